"""CRM JSON -> our fields: dotted paths, JSONPath, the record path, type coercion, and the config checks."""

from __future__ import annotations

import json

import pytest

from service.config import ConfigError
from service.config import load_settings
from schemas.record import BUILTIN_NAMES as RECORD_FIELDS
from service.crm.coerce import coerce_record
from service.crm.fieldmap import FieldMap
from service.crm.fieldmap import PathError
from service.crm.fieldmap import WrongShape
from service.crm.http import HttpBackend
from tests.crm.http_fixtures import ANN_PHONE
from tests.crm.http_fixtures import backend_env
from tests.crm.http_fixtures import crm  # noqa: F401 (fixture)
from tests.crm.http_fixtures import crm_log  # noqa: F401 (fixture)
from tests.crm.http_fixtures import make_backend  # noqa: F401 (fixture)

TIERS = ("standard", "silver", "gold", "platinum")

# A contact as a Salesforce-style CRM nests it: an envelope, names in an object, phones in a list.
NESTED = {
    "totalSize": 1,
    "records": [
        {
            "Id": "003XX0001",
            "Name": {"First": "Ben", "Last": "Okafor"},
            "Phones": [{"type": "home", "number": "+442079460001"}, {"type": "mobile", "number": "+447400123456"}],
            "Account": {"Number": 5512, "Tier__c": "Platinum", "Flags": {"VIP": "yes"}},
            "Score": "87",
            "LastActivity": "2024-03-10T09:15:00+01:00",
        }
    ],
}
NESTED_MAP = {
    "customerId": "Id",
    "firstName": "Name.First",
    "lastName": "$.Name.Last",
    "phone": "$.Phones[?(@.type=='mobile')].number",
    "accountNumber": "Account.Number",
    "tier": "Account.Tier__c",
    "vip": "$.Account.Flags.VIP",
    "priority": "Score",
    "lastContactAt": "LastActivity",
}


def coerce(**raw):
    record, problems = coerce_record(raw, tiers=TIERS, default_region="US")
    return record, problems


def test_default_mapping_reads_our_own_field_names():
    fields = FieldMap(RECORD_FIELDS, {})
    assert fields.extract({"firstName": "Ann", "vip": True, "other": 1}) == {"firstName": "Ann", "vip": True}


def test_nested_crm_answer_through_record_path_dotted_paths_and_jsonpath(make_backend, crm):
    crm.wrong_shape(NESTED)
    backend = make_backend(CRM_FIELD_MAP=json.dumps(NESTED_MAP), CRM_RECORD_PATH="records")
    result = backend.lookup({"phone": ANN_PHONE})
    assert result.outcome == "hit"
    assert result.record == {
        "customerId": "003XX0001",
        "firstName": "Ben",
        "lastName": "Okafor",
        "displayName": "Ben Okafor",
        "email": "",
        "phone": "+447400123456",
        "accountNumber": "5512",
        "tier": "platinum",
        "segment": "",
        "preferredLanguage": "",
        "priority": 87,
        "vip": True,
        "openCases": 0,
        "lastContactAt": "2024-03-10T08:15:00Z",
    }


def test_field_map_from_a_file(make_backend, crm, tmp_path):
    crm.wrong_shape(NESTED)
    path = tmp_path / "map.json"
    path.write_text(json.dumps(NESTED_MAP), encoding="utf-8")
    backend = make_backend(CRM_FIELD_MAP=f"@{path}", CRM_RECORD_PATH="$.records")
    assert backend.lookup({"phone": ANN_PHONE}).record["firstName"] == "Ben"


@pytest.mark.parametrize(
    "envelope", [{"totalSize": 0, "records": []}, {"records": None}], ids=["empty-records", "null-records"]
)
def test_empty_envelope_is_a_miss(make_backend, crm, envelope):
    crm.wrong_shape(envelope)
    result = make_backend(CRM_RECORD_PATH="records").lookup({"phone": ANN_PHONE})
    assert (result.outcome, result.degraded) == ("miss", False)


def test_missing_record_path_is_a_wrong_shape(make_backend, crm):
    crm.wrong_shape({"error": "quota exceeded"})
    result = make_backend(CRM_RECORD_PATH="records").lookup({"phone": ANN_PHONE})
    assert (result.outcome, result.degraded) == ("error", True)
    assert result.reason == "CRM answer has the wrong shape: no 'records' in the CRM answer (an object)"


@pytest.mark.parametrize(
    "path, document, expected",
    [
        ("a.b", {"a": {"b": 1}}, 1),
        ("a.list[1].c", {"a": {"list": [{"c": 1}, {"c": 2}]}}, 2),
        ("a.list.0.c", {"a": {"list": [{"c": 5}]}}, 5),
        ("m[0][1]", {"m": [[1, 2]]}, 2),
        ("$['dotted.key']", {"dotted.key": "x"}, "x"),
        ("$.a.b[0].c", {"a": {"b": [{"c": "deep"}]}}, "deep"),
        ("$..email", {"contact": {"emails": {"email": "e@x.org"}}}, "e@x.org"),
    ],
)
def test_paths_select_values(path, document, expected):
    assert FieldMap(("x",), {"x": path}).extract(document) == {"x": expected}


@pytest.mark.parametrize("path", ["a.missing", "a.list[5]", "a.b.c", "$.nope"])
def test_paths_that_select_nothing_leave_the_field_to_its_default(path):
    fields = FieldMap(("x",), {"x": path})
    assert fields.extract({"a": {"list": [1], "b": "text"}}) == {}


@pytest.mark.parametrize("path", ["a..b", "a.[0]", " a", "a[x]", "$.a[", "$.#"])
def test_invalid_paths_are_refused_when_compiled(path):
    with pytest.raises(PathError):
        FieldMap(("x",), {"x": path})


def test_unknown_field_in_the_map_is_refused_naming_the_valid_ones():
    with pytest.raises(PathError, match="unknown field.*firstname; fields are: customerId"):
        FieldMap(RECORD_FIELDS, {"firstname": "name"})


def test_list_of_non_objects_is_a_wrong_shape():
    with pytest.raises(WrongShape, match="a list of a number"):
        FieldMap(RECORD_FIELDS, {}).select_record([1, 2])


# -- coercion ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [(True, True), ("true", True), ("TRUE", True), (1, True), ("1", True), ("yes", True),
     (False, False), ("false", False), (0, False), ("0", False), ("no", False), ("", False)],
)
def test_vip_accepts_the_usual_boolean_spellings(value, expected):
    record, problems = coerce(vip=value)
    assert (record["vip"], problems) == (expected, [])


@pytest.mark.parametrize("value", ["maybe", 2, [True], {"v": 1}, 0.5])
def test_vip_refuses_other_values_and_says_so(value):
    record, problems = coerce(vip=value)
    assert record["vip"] is False
    assert len(problems) == 1 and problems[0].startswith("vip: ")


@pytest.mark.parametrize(
    "value, expected",
    [(50, 50), ("50", 50), (50.0, 50), (0, 0), (100, 100), (150, 100), (-5, 0), ("1000", 100)],
)
def test_priority_is_clamped_to_0_100(value, expected):
    record, problems = coerce(priority=value)
    assert (record["priority"], problems) == (expected, [])


@pytest.mark.parametrize("value", ["high", 12.5, True, None])
def test_priority_that_is_not_an_integer_becomes_0(value):
    record, problems = coerce(priority=value)
    assert record["priority"] == 0
    assert bool(problems) == (value is not None)  # null is "not set", not a fault


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00Z"),
        ("2024-05-01T05:30:00.123456-04:30", "2024-05-01T10:00:00Z"),
        ("2024-05-01 10:00:00", "2024-05-01T10:00:00Z"),
        ("2024-05-01", "2024-05-01T00:00:00Z"),
        ("20240501", "2024-05-01T00:00:00Z"),
        (1714557600, "2024-05-01T10:00:00Z"),
        (1714557600000, "2024-05-01T10:00:00Z"),
        ("1714557600000", "2024-05-01T10:00:00Z"),
        ("", ""),
    ],
)
def test_last_contact_becomes_utc_with_z(value, expected):
    record, problems = coerce(lastContactAt=value)
    assert (record["lastContactAt"], problems) == (expected, [])


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", True, {"t": 1}])
def test_last_contact_that_is_no_timestamp_becomes_empty(value):
    record, problems = coerce(lastContactAt=value)
    assert record["lastContactAt"] == ""
    assert problems[0].startswith("lastContactAt: ")


def test_text_fields_take_numbers_as_digits_and_refuse_structures():
    record, problems = coerce(customerId=12345, accountNumber=7.0, segment={"name": "x"}, firstName="  Ann ")
    assert (record["customerId"], record["accountNumber"], record["segment"], record["firstName"]) == (
        "12345", "7", "", "Ann"
    )
    assert problems == ["segment: an object where text was expected"]


def test_phone_is_normalised_to_e164_and_invalid_ones_dropped_without_quoting_them():
    assert coerce(phone="(317) 555-0116")[0]["phone"] == "+13175550116"
    assert coerce(phone="tel:+44 20 7946 0000")[0]["phone"] == "+442079460000"
    record, problems = coerce(phone="555")
    assert record["phone"] == ""
    assert problems == ["phone: not a valid phone number"]


def test_tier_is_lower_cased_and_must_be_a_configured_tier():
    assert coerce(tier="Gold")[0]["tier"] == "gold"
    record, problems = coerce(tier="diamond")
    assert record["tier"] == ""
    assert problems == ["tier: not one of the configured tiers (standard, silver, gold, platinum)"]


def test_email_is_lower_cased_and_open_cases_refuse_negatives():
    record, problems = coerce(email=" Ann.Lee@Example.COM ", openCases=-2)
    assert (record["email"], record["openCases"]) == ("ann.lee@example.com", 0)
    assert problems == ["openCases: negative"]


def test_display_name_is_kept_when_given_and_built_from_names_otherwise():
    assert coerce(displayName="Dr. Lee", firstName="Ann", lastName="Lee")[0]["displayName"] == "Dr. Lee"
    assert coerce(firstName="Ann")[0]["displayName"] == "Ann"


def test_refused_values_are_logged_once_per_lookup_by_field_name(make_backend, crm, crm_log):
    crm.wrong_shape({"customerId": "C9", "vip": "perhaps", "priority": "high"})
    result = make_backend().lookup({"phone": ANN_PHONE})
    assert (result.outcome, result.degraded, result.record["vip"], result.record["priority"]) == ("hit", False, False, 0)
    assert [r.problems for r in crm_log] == [
        ["priority: text where an integer was expected", "vip: text where a boolean was expected"]
    ]


# -- configuration -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("CRM_URL_TEMPLATE", "crm.example.com/contacts?phone={phone}", "http:// or https:// URL"),
        ("CRM_URL_TEMPLATE", "https://crm.example.com/contacts", "uses no lookup key"),
        ("CRM_URL_TEMPLATE", "https://crm.example.com/c?q={name}", "has the placeholder {name}"),
        ("CRM_URL_TEMPLATE", "https://crm.example.com/c?q={phone", "not a valid template"),
        ("CRM_URL_TEMPLATE", "https://crm.example.com/c?q={phone!r}", "has the placeholder {phone}"),
        ("CRM_AUTH_HEADER", "Bearer abc", 'must look like "Header-Name: value"'),
        ("CRM_AUTH_HEADER", "Bad Name: abc", 'must look like "Header-Name: value"'),
        ("CRM_AUTH_HEADER", "Authorization:", 'must look like "Header-Name: value"'),
        ("CRM_FIELD_MAP", '{"firstName": "$.name["}', "not a valid JSONPath"),
        ("CRM_FIELD_MAP", '{"nickname": "nick"}', "unknown field(s) nickname"),
        ("CRM_RECORD_PATH", "records..x", "not a dotted path"),
    ],
)
def test_bad_http_settings_stop_start_up_naming_the_variable(crm, variable, value, message):
    with pytest.raises(ConfigError) as raised:
        HttpBackend(load_settings(backend_env(crm, **{variable: value})))
    text = str(raised.value)
    assert text.startswith(f"COMPANION_{variable}: ")
    assert message in text


def test_auth_header_value_never_appears_in_a_config_error(crm):
    with pytest.raises(ConfigError) as raised:
        HttpBackend(load_settings(backend_env(crm, CRM_AUTH_HEADER="Bearer-s3cr3t-without-colon")))
    assert "s3cr3t" not in str(raised.value)


def test_several_bad_settings_are_reported_together(crm):
    env = backend_env(crm, CRM_URL_TEMPLATE="ftp://x/{phone}", CRM_AUTH_HEADER="nope")
    with pytest.raises(ConfigError) as raised:
        HttpBackend(load_settings(env))
    assert [line.split(":")[0] for line in str(raised.value).splitlines()] == [
        "COMPANION_CRM_URL_TEMPLATE",
        "COMPANION_CRM_AUTH_HEADER",
    ]
