"""The fields file: a contact centre's own customer fields (and CSV header names), read once and validated.

    fields:
      loyaltyPoints: {type: integer, description: Loyalty points balance, minimum: 0}
      accountManager: {type: string, description: Account manager's name, attribute: crm.accountManager}
      churnRisk: {type: boolean, description: At risk of leaving, path: $.risk.churn}
    columns:
      Phone Number: phone

Rules and the reasons for them are in docs/crm.md ("Your own fields").
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path

from schemas.record import BUILTIN_NAMES
from schemas.record import EMAIL_KEY_COLUMN
from schemas.record import FIELD_TYPES
from schemas.record import INTEGER_RANGE
from schemas.record import RecordField
from schemas.trace import TraceRequest
from schemas.trace import TraceResponse

# A field name becomes a contract property (Genesys: a letter, then letters, digits, '-' or '_';
# https://help.mypurecloud.com/?p=141876, the rule architect/contracts.py checks), an Architect
# variable (Task.<name>, where '-' would read as a minus) and a store column: letters, digits and '_' only.
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_NAME_LENGTH = 64
MAX_ATTRIBUTE_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 512
# Names that are taken besides the built-in fields: what the API adds to a record, the trace fields that share
# the context action's output, the request's own inputs, Genesys's reserved input names, the store's e-mail
# key and SQLite's row-id aliases. Compared case-insensitively (Architect identifiers and SQLite columns are).
RESERVED_NAMES = (
    "found", "degraded", "source",
    *TraceResponse().fields, *TraceRequest().fields,
    "orgId", "integrationId", "rawRequest",
    EMAIL_KEY_COLUMN, "rowid", "oid", "_rowid_",
)
FIELD_KEYS = ("type", "title", "description", "attribute", "minimum", "maximum", "path")
TOP_KEYS = ("fields", "columns")
ATTRIBUTE_PREFIX = "crm."
_PLACEHOLDER = re.compile(r"\{\{|\}\}")


class FieldsFileError(ValueError):
    """A fields file that cannot be used; `problems` has one line per problem."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


@dataclasses.dataclass(frozen=True)
class FieldsConfig:
    """A validated fields file: the custom fields, CSV header -> field name, and field -> remote CRM path."""

    fields: tuple[RecordField, ...] = ()
    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)
    paths: Mapping[str, str] = dataclasses.field(default_factory=dict)
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)


NO_CUSTOM_FIELDS = FieldsConfig()


def _title(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").split()
    return " ".join([words[0].capitalize(), *(w.lower() if not w.isupper() else w for w in words[1:])])


def _check_text(value, what: str, limit: int, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{what} must be a non-empty string")
        return None
    if len(value) > limit or "\n" in value:
        problems.append(f"{what} must be one line of at most {limit} characters")
        return None
    return value.strip()


def _check_bound(spec: Mapping, key: str, where: str, problems: list[str]) -> int | None:
    value = spec.get(key)
    if value is None:
        return None
    low, high = INTEGER_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(f"{where}: {key} must be a 64-bit integer")
        return None
    return value


def _parse_field(name, spec, taken: dict[str, str], attributes: dict[str, str], problems: list[str]):
    where = f"fields.{name}"
    if not isinstance(name, str) or not FIELD_NAME.match(name) or len(name) > MAX_NAME_LENGTH:
        problems.append(
            f"field name {name!r} must start with a letter and hold only letters, digits and '_' "
            f"(at most {MAX_NAME_LENGTH} characters)"
        )
        return None
    clash = taken.get(name.lower())
    if clash is not None:
        problems.append(f"{where}: the name is taken by {clash} (names are compared ignoring case)")
        return None
    taken[name.lower()] = f"the field {name}"
    if not isinstance(spec, Mapping):
        problems.append(f"{where} must be a mapping such as {{type: string, description: ...}}")
        return None
    count = len(problems)
    unknown = [str(key) for key in spec if key not in FIELD_KEYS]
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; keys are: {', '.join(FIELD_KEYS)}")
    kind = spec.get("type")
    if kind not in FIELD_TYPES:
        problems.append(f"{where}: type must be one of {', '.join(FIELD_TYPES)}, not {kind!r}")
    description = spec.get("description", "")
    if description != "":
        description = _check_text(description, f"{where}: description", MAX_DESCRIPTION_LENGTH, problems) or ""
    title = _check_text(spec["title"], f"{where}: title", MAX_DESCRIPTION_LENGTH, problems) if "title" in spec else None
    attribute = spec.get("attribute", ATTRIBUTE_PREFIX + name)
    if not isinstance(attribute, str) or not attribute.strip():
        problems.append(f"{where}: attribute must be a non-empty participant-data key")
    elif attribute != attribute.strip() or len(attribute) > MAX_ATTRIBUTE_LENGTH or "\n" in attribute or (
        _PLACEHOLDER.search(attribute)
    ):
        problems.append(
            f"{where}: attribute {attribute!r} must have no surrounding spaces, no line breaks, no '{{{{' or '}}}}' "
            f"and at most {MAX_ATTRIBUTE_LENGTH} characters"
        )
    elif attribute in attributes:
        problems.append(f"{where}: attribute {attribute!r} is already the key of {attributes[attribute]}")
    else:
        attributes[attribute] = f"fields.{name}"
    minimum, maximum = (_check_bound(spec, key, where, problems) for key in ("minimum", "maximum"))
    if (minimum is not None or maximum is not None) and kind != "integer":
        problems.append(f"{where}: minimum and maximum apply to integer fields only")
    if minimum is not None and maximum is not None and minimum > maximum:
        problems.append(f"{where}: minimum {minimum} is above maximum {maximum}")
    elif (minimum is not None and minimum > 0) or (maximum is not None and maximum < 0):
        # An absent value is 0, which must be a valid value.
        problems.append(f"{where}: the range must include 0, the value of an absent field")
    path = spec.get("path")
    if path is not None:
        path = _check_text(path, f"{where}: path", MAX_ATTRIBUTE_LENGTH, problems)
    if len(problems) > count:
        return None
    return RecordField(
        name=name, type=kind, title=title or _title(name), description=description or title or _title(name),
        minimum=minimum, maximum=maximum, attribute=attribute, builtin=False,
    ), path


def _parse_columns(columns, names: set[str], problems: list[str]) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        problems.append("columns must be a mapping of CSV header -> field name, such as {Phone Number: phone}")
        return {}
    result: dict[str, str] = {}
    for header, name in columns.items():
        if not isinstance(header, str) or not header.strip():
            problems.append(f"columns: {header!r} must be a non-empty CSV header")
        elif name not in names:
            problems.append(f"columns.{header}: {name!r} is not a field (built-in or in this file)")
        else:
            result[header.strip()] = name
    return result


def parse_fields(data: object, source: str = "fields file") -> FieldsConfig:
    """A FieldsConfig from the parsed YAML (or any mapping of the same shape).

    :raise FieldsFileError: with one line per problem.
    """
    if not isinstance(data, Mapping):
        raise FieldsFileError(source, ["must be a mapping with a 'fields' key (and optionally 'columns')"])
    problems: list[str] = []
    unknown = [str(key) for key in data if key not in TOP_KEYS]
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; keys are: {', '.join(TOP_KEYS)}")
    specs = data.get("fields")
    if not isinstance(specs, Mapping):
        problems.append("'fields' must be a mapping of field name -> {type: ..., description: ...}")
        specs = {}
    taken = {name.lower(): f"the built-in field {name}" for name in BUILTIN_NAMES}
    taken.update({name.lower(): f"the reserved name {name}" for name in RESERVED_NAMES})
    attributes: dict[str, str] = {}
    fields, paths = [], {}
    for name, spec in specs.items():
        parsed = _parse_field(name, spec, taken, attributes, problems)
        if parsed is not None:
            field, path = parsed
            fields.append(field)
            if path:
                paths[field.name] = path
    columns = _parse_columns(data.get("columns"), {*BUILTIN_NAMES, *(f.name for f in fields)}, problems)
    if problems:
        raise FieldsFileError(source, problems)
    return FieldsConfig(tuple(fields), columns, paths, source)


def load_fields_file(path: str | Path) -> FieldsConfig:
    """Read and validate a YAML fields file.

    :raise FieldsFileError: with one line per problem (unreadable file and YAML syntax included).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FieldsFileError(str(path), [f"cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise FieldsFileError(str(path), ["is not UTF-8 text"]) from None
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise FieldsFileError(str(path), [f"is not valid YAML: {' '.join(str(exc).split())}"]) from None
    return parse_fields(data, str(path))
