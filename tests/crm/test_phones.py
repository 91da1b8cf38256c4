"""Phone normalisation: what Call.Ani really holds and what people type, to E.164 or a reason."""

from __future__ import annotations

import pytest

from service.crm.keys import normalise_keys
from service.crm.phones import PhoneError
from service.crm.phones import canonical_e164
from service.crm.phones import normalise_phone
from service.crm.phones import strip_uri


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        # Architect's Call.Ani on PSTN calls (tel: URI, RFC 3966).
        ("tel:+13175550116", "US", "+13175550116"),
        ("tel: +13175550116", "US", "+13175550116"),
        ("TEL:+13175550116", "US", "+13175550116"),
        ("tel:+1-317-555-0116", "US", "+13175550116"),
        ("tel:+13175550116;ext=204", "US", "+13175550116"),
        ("tel:5550116;phone-context=+1317", "US", "+13175550116"),
        # SIP trunks and WebRTC (sip:/sips: URI, RFC 3261), with and without the +.
        ("sip:+13175550116@10.0.0.1;user=phone", "US", "+13175550116"),
        ("sip:+13175550116@10.0.0.1:5060;transport=udp", "US", "+13175550116"),
        ("sips:+442079460958@sbc.example.com;user=phone", "US", "+442079460958"),
        ("sip:13175550116@carrier.example.net", "US", "+13175550116"),
        ("sip:%2B13175550116@10.0.0.1", "US", "+13175550116"),
        ("sip:+13175550116;isub=12@10.0.0.1", "US", "+13175550116"),
        # Typed by people: international forms.
        ("+1 (317) 555-0116", "US", "+13175550116"),
        ("+1.317.555.0116", "US", "+13175550116"),
        ("00 44 20 7946 0958", "US", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
        ("+61 491 570 156", "US", "+61491570156"),
        ("+49 30 901820", "US", "+4930901820"),
        ("+33 1 09 75 83 51", "US", "+33109758351"),
        ("+1 317 555 0116 ext. 12", "US", "+13175550116"),
        # National digits, read in the configured default region.
        ("(317) 555-0116", "US", "+13175550116"),
        ("3175550116", "US", "+13175550116"),
        ("1-317-555-0116", "US", "+13175550116"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0491 570 156", "AU", "+61491570156"),
        ("030 901820", "DE", "+4930901820"),
        ("01 09 75 83 51", "FR", "+33109758351"),
        ("  +13175550116  ", "US", "+13175550116"),
    ],
)
def test_known_forms_normalise_to_e164(raw, region, e164):
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("", "US", "is empty"),
        ("   ", "US", "is empty"),
        ("tel:anonymous", "US", "is not a phone number"),
        ("sip:anonymous@anonymous.invalid", "US", "is not a phone number"),
        ("sip:gateway.example.com", "US", "without a user part"),
        ("tel:", "US", "has no number in it"),
        ("hello", "US", "is not a phone number"),
        ("+1 555 555 5555", "US", "is not a valid number"),  # 555 is not a North American area code
        ("12", "US", "is not a valid number"),
        ("+999 1234 5678", "US", "unknown country code"),
        ("+1317555011600000000", "US", "too long"),
        ("020 7946 0958", "US", "is not a valid number"),  # a London number read as American
        ("+44 20 7946", "US", "is not a valid number"),
    ],
)
def test_unusable_numbers_raise_with_the_reason(raw, region, reason):
    with pytest.raises(PhoneError, match=reason):
        normalise_phone(raw, region)


def test_national_number_without_region_context_names_the_setting():
    with pytest.raises(PhoneError, match="COMPANION_DEFAULT_REGION"):
        normalise_phone("3175550116", "ZZ")


@pytest.mark.parametrize(
    ("uri", "number"),
    [
        ("tel:+13175550116;ext=1", "+13175550116"),
        ("sip:+13175550116@10.0.0.1;user=phone", "+13175550116"),
        ("+1 (317) 555-0116", "+1 (317) 555-0116"),
    ],
)
def test_strip_uri_keeps_only_the_number_part(uri, number):
    assert strip_uri(uri) == number


def test_normalise_keys_keeps_non_empty_keys_in_lookup_order():
    keys = normalise_keys(
        {"email": " Ada.Lovelace@Example.COM ", "phone": "tel:+13175550116", "customerId": " C-1 ", "accountNumber": ""},
        "US",
    )
    assert list(keys.items()) == [
        ("customerId", "C-1"),
        ("phone", "+13175550116"),
        ("email", "ada.lovelace@example.com"),
    ]


def test_normalise_keys_raises_for_an_unusable_phone():
    with pytest.raises(PhoneError):
        normalise_keys({"phone": "tel:anonymous", "customerId": "C-1"}, "US")


def _example_numbers():
    import phonenumbers

    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in range(12):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is not None:
                yield phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def test_the_e164_shortcut_agrees_with_the_full_parser_on_every_regions_example_numbers():
    import phonenumbers

    checked = 0
    for e164 in _example_numbers():
        shortcut = canonical_e164(e164)
        if shortcut is None:
            continue  # the full parser decides
        parsed = phonenumbers.parse(e164, None)
        assert phonenumbers.is_valid_number(parsed), e164
        assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == shortcut
        checked += 1
    assert checked > 1000


@pytest.mark.parametrize("text", ["+4402079460958", "+1 3175550116", "+13175550116 ", "+15555555555", "+1", "+0123"])
def test_the_e164_shortcut_leaves_anything_unusual_to_the_full_parser(text):
    assert canonical_e164(text) is None
