"""The shipped scenario JSON Schema: valid draft-07 (what editors' YAML servers read), in step with the runner."""

import re
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from architect.runtime.flow.schedules import STATES
from architect.testing.expectations import DISPOSITIONS
from architect.testing.scenarios import SCHEMA_PATH, schema
from architect.testing.stubs import STATUSES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "architect" / "scenarios" / "companion-sample-inbound-call.scenarios.yaml"


def test_schema_is_valid_draft_07():
    jsonschema.Draft7Validator.check_schema(schema())
    assert schema()["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_schedule_states_stub_statuses_and_dispositions_match_the_runner():
    definitions = schema()["definitions"]
    assert set(definitions["call"]["properties"]["schedules"]["additionalProperties"]["enum"]) == set(STATES)
    stub_kinds = definitions["stub"]["oneOf"]
    assert set(stub_kinds[0]["enum"]) | {"success"} == set(STATUSES)
    assert {next(iter(option["required"])) for option in stub_kinds[1:]} == set(STATUSES)
    forms = definitions["expect"]["properties"]["disposition"]["oneOf"]
    spelled = set(forms[0]["enum"]) | {option["required"][0] for option in forms[1:]}
    assert spelled == set(DISPOSITIONS)


def test_sample_file_names_the_schema_for_editors_and_validates():
    first = SAMPLE.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match and (SAMPLE.parent / match.group(1)).resolve() == SCHEMA_PATH
    jsonschema.Draft7Validator(schema()).validate(YAML(typ="safe", pure=True).load(SAMPLE.read_text(encoding="utf-8")))
