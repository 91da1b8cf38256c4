"""Phone numbers as Architect's Call.Ani holds them or as people type them, normalised to E.164."""

from __future__ import annotations

import functools
import re
from urllib.parse import unquote

import phonenumbers

# Call.Ani is a URI: "tel:+13175550116" on PSTN calls, "sip:+13175550116@10.0.0.1;user=phone" from SIP trunks
# and WebRTC (Genesys Architect "Call.Ani": "the caller's ANI ... tel:+1..." or a SIP address). tel: follows
# RFC 3966 (parameters after ';', e.g. ;ext=, ;phone-context=), sip:/sips: follow RFC 3261 (user@host;params).
_SCHEME = re.compile(r"^\s*(tel|sips?)\s*:\s*", re.IGNORECASE)
_REASONS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "has no valid country code (start it with + and the "
    "country code, or set COMPANION_DEFAULT_REGION for national numbers)",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "is not a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "is too short after the international prefix",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "is too short to be a phone number",
    phonenumbers.NumberParseException.TOO_LONG: "is too long to be a phone number",
}


_E164_SHAPE = re.compile(r"\+([1-9]\d{6,14})")


class PhoneError(ValueError):
    """A phone number that cannot be normalised; str() is the reason, phrased to follow "phone ..."."""


def strip_uri(value: str) -> str:
    """The number part of a tel:/sip:/sips: URI (unchanged when there is no scheme)."""
    match = _SCHEME.match(value)
    if not match:
        return value.strip()
    scheme = match.group(1).lower()
    rest = value[match.end():]
    if scheme == "tel":
        number, *params = rest.split(";")
        # RFC 3966 local number: the global prefix is in phone-context (tel:5550116;phone-context=+1317).
        for param in params:
            name, _, context = param.partition("=")
            if name.strip().lower() == "phone-context" and context.strip().startswith("+"):
                return context.strip() + unquote(number).strip()
        return unquote(number).strip()
    user, at, _host = rest.partition("@")
    if not at:
        raise PhoneError("is a SIP address without a user part (expected sip:+<number>@host)")
    # A user part may carry its own parameters (sip:+1317...;isub=1@host); the number is before them.
    return unquote(user.split(";", 1)[0]).strip()


def canonical_e164(text: str) -> str | None:
    """text itself when it already is a valid number in E.164 (+ and digits only), else None.

    Skips libphonenumber's general parser, which costs as much as the validity check: an import of a
    million numbers from a CRM export (usually E.164 already) takes half the time. Anything this does
    not accept goes through the full parser; tests check both agree on every region's example numbers.
    """
    match = _E164_SHAPE.fullmatch(text)
    if not match:
        return None
    digits = match.group(1)
    # Country calling codes are prefix-free (ITU-T E.164), so the first known prefix is the country code.
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            national = digits[size:]
            if not national:
                return None
            number = phonenumbers.PhoneNumber(country_code=country_code, national_number=int(national))
            zeros = len(national) - len(national.lstrip("0"))
            if zeros and len(national) > 1:
                number.italian_leading_zero = True
                if zeros > 1:
                    number.number_of_leading_zeros = zeros
            if phonenumbers.is_valid_number(number) and (
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == text
            ):
                return text
            return None
    return None


@functools.lru_cache(maxsize=8192)
def normalise_phone(value: str, default_region: str) -> str:
    """E.164 for an ANI or a typed number; national numbers are read in default_region (e.g. "US").

    :raise PhoneError: with the reason the number cannot be used.
    """
    if not value or not value.strip():
        raise PhoneError("is empty")
    number_text = strip_uri(value)
    if not number_text:
        raise PhoneError("has no number in it")
    fast = canonical_e164(number_text)
    if fast:
        return fast
    candidates = [number_text]
    compact = re.sub(r"[\s().\-/]", "", number_text)
    # "00" is the international prefix in most of the world, but not in the default region when that is
    # e.g. US (011); people still type "00 44 ...", so a second reading treats it as "+".
    if compact.startswith("00") and len(compact) > 4:
        candidates.append("+" + compact[2:])
    reason = "is not a phone number"
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, default_region)
        except phonenumbers.NumberParseException as exc:
            if exc.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE and candidate.startswith("+"):
                reason = "has an unknown country code"
            else:
                reason = _REASONS.get(exc.error_type, "is not a phone number")
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        region = phonenumbers.region_code_for_number(parsed)
        where = f"in {region}" if region and region != "ZZ" else f"for country code +{parsed.country_code}"
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        reason = f"is not a valid number {where} ({e164})"
    raise PhoneError(reason)
