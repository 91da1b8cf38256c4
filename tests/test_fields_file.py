"""The fields file: what it may declare, and one line per problem when it is wrong (start-up stops)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from schemas.fields_file import FieldsFileError
from schemas.fields_file import load_fields_file
from schemas.fields_file import parse_fields
from service.config import ConfigError
from service.config import load_settings

ISSUE_EXAMPLE = """\
fields:
  loyaltyPoints: {type: integer, description: Loyalty points balance}
  accountManager: {type: string, description: Account manager's name, attribute: crm.accountManager}
  churnRisk: {type: boolean, description: At risk of leaving}
"""


def write(tmp_path, text: str):
    path = tmp_path / "fields.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_documented_example_gives_typed_fields_with_default_attributes(tmp_path):
    config = load_fields_file(write(tmp_path, ISSUE_EXAMPLE))
    assert [(f.name, f.type, f.attribute, f.default) for f in config.fields] == [
        ("loyaltyPoints", "integer", "crm.loyaltyPoints", 0),
        ("accountManager", "string", "crm.accountManager", ""),
        ("churnRisk", "boolean", "crm.churnRisk", False),
    ]
    assert config.fields[0].title == "Loyalty points" and config.fields[0].description == "Loyalty points balance"
    assert not any(field.builtin for field in config.fields)


def test_columns_and_paths_are_read_too():
    config = parse_fields({
        "fields": {"tenure": {"type": "integer", "path": "$.stats.tenure", "minimum": 0, "maximum": 99}},
        "columns": {"Phone Number": "phone", " Tenure ": "tenure"},
    })
    assert dict(config.columns) == {"Phone Number": "phone", "Tenure": "tenure"}
    assert dict(config.paths) == {"tenure": "$.stats.tenure"}
    assert config.fields[0].bounds == (0, 99)


@pytest.mark.parametrize(("fields", "problem"), [
    ({"loyalty-points": {"type": "integer"}}, "field name 'loyalty-points' must start with a letter"),
    ({"2fa": {"type": "boolean"}}, "field name '2fa' must start with a letter"),
    ({"x" * 65: {"type": "string"}}, "at most 64 characters"),
    ({"tier": {"type": "string"}}, "fields.tier: the name is taken by the built-in field tier"),
    ({"Phone": {"type": "string"}}, "fields.Phone: the name is taken by the built-in field phone (names are compared"),
    ({"found": {"type": "boolean"}}, "fields.found: the name is taken by the reserved name found"),
    ({"traceparent": {"type": "string"}}, "taken by the reserved name traceparent"),
    ({"rawRequest": {"type": "string"}}, "taken by the reserved name rawRequest"),
    ({"emailKey": {"type": "string"}}, "taken by the reserved name emailKey"),
    ({"score": {"type": "float"}}, "fields.score: type must be one of string, integer, boolean, not 'float'"),
    ({"score": {}}, "fields.score: type must be one of string, integer, boolean, not None"),
    ({"score": "integer"}, "fields.score must be a mapping"),
    ({"score": {"type": "integer", "colour": "red"}}, "fields.score: unknown key(s) colour"),
    ({"score": {"type": "integer", "attribute": " crm.score"}}, "must have no surrounding spaces"),
    ({"score": {"type": "integer", "attribute": "crm.{{score}}"}}, "no '{{' or '}}'"),
    ({"score": {"type": "string", "minimum": 0}}, "minimum and maximum apply to integer fields only"),
    ({"score": {"type": "integer", "minimum": 10}}, "the range must include 0"),
    ({"score": {"type": "integer", "minimum": 5, "maximum": 1}}, "minimum 5 is above maximum 1"),
    ({"score": {"type": "integer", "maximum": 2**70}}, "maximum must be a 64-bit integer"),
    ({"score": {"type": "integer", "description": ["a"]}}, "description must be a non-empty string"),
])
def test_each_bad_field_is_named_with_the_rule_it_breaks(fields, problem):
    with pytest.raises(FieldsFileError) as error:
        parse_fields({"fields": fields}, "f.yaml")
    assert len(error.value.problems) == 1, error.value.problems
    assert problem in error.value.problems[0]
    assert str(error.value).startswith("f.yaml: ")


def test_names_clash_ignoring_case_and_attributes_must_be_unique():
    with pytest.raises(FieldsFileError) as error:
        parse_fields({"fields": {"score": {"type": "integer"}, "Score": {"type": "string"},
                                 "a": {"type": "string", "attribute": "crm.x"},
                                 "b": {"type": "string", "attribute": "crm.x"}}})
    assert error.value.problems == [
        "fields.Score: the name is taken by the field score (names are compared ignoring case)",
        "fields.b: attribute 'crm.x' is already the key of fields.a",
    ]


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    path = write(tmp_path, """\
        fields:
          tier: {type: string}
          score: {type: float}
        columns:
          Phone Number: telephone
        colour: red
        """)
    with pytest.raises(ConfigError) as error:
        load_settings({"COMPANION_FIELDS_FILE": str(path)}, demo=True)
    lines = str(error.value).splitlines()
    assert lines == [
        f"COMPANION_FIELDS_FILE: {path}: unknown key(s) colour; keys are: fields, columns",
        f"COMPANION_FIELDS_FILE: {path}: fields.tier: the name is taken by the built-in field tier "
        "(names are compared ignoring case)",
        f"COMPANION_FIELDS_FILE: {path}: fields.score: type must be one of string, integer, boolean, not 'float'",
        f"COMPANION_FIELDS_FILE: {path}: columns.Phone Number: 'telephone' is not a field (built-in or in this file)",
    ]


@pytest.mark.parametrize(("text", "problem"), [
    ("fields: [a, b]\n", "'fields' must be a mapping"),
    ("- a\n", "must be a mapping with a 'fields' key"),
    ("fields: {a: {type: string}\n", "is not valid YAML"),
    ("fields:\n  a: {type: string}\n  a: {type: integer}\n", "is not valid YAML"),  # a repeated key
])
def test_a_file_of_the_wrong_shape_says_so(tmp_path, text, problem):
    with pytest.raises(FieldsFileError, match=problem):
        load_fields_file(write(tmp_path, text))


def test_an_unreadable_file_stops_start_up_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match=r"^COMPANION_FIELDS_FILE: .*absent.yaml: cannot read: No such file"):
        load_settings({"COMPANION_FIELDS_FILE": str(tmp_path / "absent.yaml")}, demo=True)


def test_settings_carry_the_fields_of_the_file(tmp_path):
    settings = load_settings({"COMPANION_FIELDS_FILE": str(write(tmp_path, ISSUE_EXAMPLE))}, demo=True)
    assert settings.fields.names == ("loyaltyPoints", "accountManager", "churnRisk")
    assert load_settings({}, demo=True).fields.fields == ()


def _serve(tmp_path, **variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPANION_")}
    env.update({"COMPANION_API_KEYS": "fields-test-key-0123456789", "COMPANION_TRACE_SECRET": "fields-secret-0123456789",
                "COMPANION_BIND": "127.0.0.1:0", **variables})
    return subprocess.run([str(Path(sys.executable).with_name("companion")), "serve", "--port", "0"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60)


def test_companion_serve_with_a_bad_fields_file_exits_2_with_one_line_per_problem(tmp_path):
    bad = write(tmp_path, "fields:\n  tier: {type: string}\n  score: {type: float}\n")
    completed = _serve(tmp_path, COMPANION_FIELDS_FILE=str(bad), COMPANION_SQLITE_PATH=str(tmp_path / "absent.db"))
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    lines = [line.strip() for line in completed.stderr.splitlines()[1:]]
    assert lines[:2] == [
        f"COMPANION_FIELDS_FILE: {bad}: fields.tier: the name is taken by the built-in field tier "
        "(names are compared ignoring case)",
        f"COMPANION_FIELDS_FILE: {bad}: fields.score: type must be one of string, integer, boolean, not 'float'",
    ]
    assert lines[2].startswith("COMPANION_SQLITE_PATH:") and len(lines) == 3


def test_companion_serve_refuses_a_database_imported_with_other_fields(tmp_path):
    from service.crm.demo import create_demo_database

    db = tmp_path / "crm.sqlite3"
    create_demo_database(db, 10, custom=load_fields_file(write(tmp_path, ISSUE_EXAMPLE)).fields)
    other = tmp_path / "other.yaml"
    other.write_text("fields:\n  loyaltyPoints: {type: integer}\n", encoding="utf-8")
    completed = _serve(tmp_path, COMPANION_FIELDS_FILE=str(other), COMPANION_SQLITE_PATH=str(db))
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert (f"COMPANION_SQLITE_PATH: {db} was imported with loyaltyPoints (integer), accountManager (string), "
            "churnRisk (boolean), but the fields file defines loyaltyPoints (integer)") in completed.stderr
