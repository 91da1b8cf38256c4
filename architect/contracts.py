"""Data-action contracts: JSON Schemas in Genesys's draft-04 dialect, generated from the marshmallow schemas.

The rules come from docs/reference/data-actions.md §2 (HC:141876 "Add contracts to custom
actions"): input contracts are one flat object of scalar properties; output contracts may nest objects and
arrays but not arrays inside arrays; `$ref` is not supported; property names start with a letter and hold
only letters, digits, `-` and `_`; `orgId`, `integrationId` and `rawRequest` are reserved input names.
`contract_violations` states those rules once; generation refuses on them and `companion check` reports them.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import marshmallow as ma
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from jsonschema import Draft4Validator
from jsonschema.exceptions import SchemaError

from architect.genesys.data_action_format import RESERVED_INPUT_NAMES

DRAFT_04 = "http://json-schema.org/draft-04/schema#"
PROPERTY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
INPUT_TYPES = ("string", "integer", "number", "boolean", "null")
# The draft-04 keywords; anything else (OpenAPI's nullable, readOnly, example, x-...) is not Genesys's dialect.
DRAFT_04_KEYWORDS = frozenset(
    "$schema id title description default type properties required additionalProperties items "
    "additionalItems enum minimum maximum exclusiveMinimum exclusiveMaximum minLength maxLength pattern "
    "format minItems maxItems uniqueItems multipleOf minProperties maxProperties patternProperties "
    "dependencies allOf anyOf oneOf not definitions".split()
)
# Order of the keys in a generated property, for readable, stable files.
_PROPERTY_KEY_ORDER = ("type", "title", "description")

Direction = Literal["input", "output"]


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken contract rule: where (a JSON path inside the schema), which rule, and why."""

    path: str
    rule: str
    message: str
    severity: str = "error"


class ContractError(ValueError):
    """A schema cannot become a Genesys contract; the message names each field and rule."""

    def __init__(self, source: str, violations: list[Violation]):
        self.source = source
        self.violations = violations
        lines = [f"{v.path}: {v.message} ({v.rule})" for v in violations]
        super().__init__(f"{source} cannot be a Genesys data-action contract:\n  " + "\n  ".join(lines))


def join_path(base: str, key: str | int) -> str:
    """Append a key or list index to a dotted path; odd keys are bracket-quoted (`headers["Content-Type"]`)."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", key):
        return f"{base}.{key}" if base else key
    quoted = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{base}[{quoted}]"


def _type_names(node: dict) -> list:
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind]


def _find_refs(node, path: str, out: list[Violation]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                out.append(Violation(join_path(path, key), "CT001", "$ref is not supported in contracts (HC:141876)"))
            else:
                _find_refs(value, join_path(path, key), out)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _find_refs(value, join_path(path, index), out)


def _unknown_keywords(node: dict, path: str, severity: str, out: list[Violation]) -> None:
    for key in node:
        if key not in DRAFT_04_KEYWORDS and key != "$ref":  # $ref has its own rule, CT001
            out.append(
                Violation(join_path(path, key), "CT010", f"{key!r} is not a JSON Schema draft-04 keyword", severity)
            )


def _check_name(name, path: str, out: list[Violation]) -> bool:
    if not isinstance(name, str) or not PROPERTY_NAME.match(name):
        out.append(
            Violation(
                path,
                "CT004",
                f"property name {name!r} must start with a letter and contain only letters, digits, '-' or '_'",
            )
        )
        return False
    return True


def _check_root(schema, path: str, direction: Direction, out: list[Violation]) -> bool:
    if not isinstance(schema, dict):
        out.append(Violation(path, "CT002", f"the {direction} contract must be a JSON object"))
        return False
    if schema.get("type") != "object":
        out.append(Violation(join_path(path, "type"), "CT002", f'the {direction} contract must have "type": "object"'))
    properties = schema.get("properties", {})
    if not isinstance(properties, dict):
        out.append(Violation(join_path(path, "properties"), "CT002", "properties must be an object"))
        return False
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        out.append(Violation(join_path(path, "required"), "CT007", "required must be a list of property names"))
    else:
        for name in required:
            if name not in properties:
                out.append(
                    Violation(
                        join_path(path, "required"),
                        "CT007",
                        f"required names {name!r}, which is not a property",
                        "warning",
                    )
                )
    if "$schema" in schema and schema["$schema"] != DRAFT_04:
        out.append(
            Violation(
                join_path(path, "$schema"),
                "CT008",
                f"Genesys contracts use draft-04 ({DRAFT_04}), not {schema['$schema']!r}",
                "warning",
            )
        )
    return True


def _check_input(schema: dict, path: str, keyword_severity: str, out: list[Violation]) -> None:
    _unknown_keywords(schema, path, keyword_severity, out)
    for name, prop in schema.get("properties", {}).items():
        prop_path = join_path(join_path(path, "properties"), name)
        _check_name(name, prop_path, out)
        if name in RESERVED_INPUT_NAMES:
            out.append(
                Violation(
                    prop_path,
                    "CT005",
                    f"{name!r} is a reserved input name (Genesys sets it; the action would fail)",
                )
            )
        if not isinstance(prop, dict):
            out.append(Violation(prop_path, "CT003", "an input property must be a schema object"))
            continue
        _unknown_keywords(prop, prop_path, keyword_severity, out)
        kinds = _type_names(prop)
        if len(kinds) != 1 or kinds[0] not in INPUT_TYPES or "properties" in prop or "items" in prop:
            out.append(
                Violation(
                    join_path(prop_path, "type"),
                    "CT003",
                    f"input property {name!r} has type {prop.get('type')!r}: inputs are flat, "
                    f"one of {', '.join(INPUT_TYPES)} (no nested objects or arrays)",
                )
            )


def _check_output_node(node, path: str, inside_array: bool, keyword_severity: str, out: list[Violation]) -> None:
    if not isinstance(node, dict):
        out.append(Violation(path, "CT009", "an output property must be a schema object"))
        return
    _unknown_keywords(node, path, keyword_severity, out)
    kinds = _type_names(node)
    if "array" in kinds or "items" in node:
        if inside_array:
            out.append(
                Violation(path, "CT006", "the output contract does not support nested arrays (HC:141876)")
            )
            return
        items = node.get("items")
        if isinstance(items, list):
            out.append(Violation(join_path(path, "items"), "CT006", "tuple-typed arrays are not supported"))
        elif items is not None:
            _check_output_node(items, join_path(path, "items"), True, keyword_severity, out)
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name, prop in properties.items():
            prop_path = join_path(join_path(path, "properties"), name)
            _check_name(name, prop_path, out)
            _check_output_node(prop, prop_path, inside_array, keyword_severity, out)


def contract_violations(
    schema, direction: Direction, path: str = "", *, unknown_keywords: str = "error"
) -> list[Violation]:
    """Every Genesys contract rule the JSON schema breaks, with JSON paths relative to `path`."""
    out: list[Violation] = []
    _find_refs(schema, path, out)
    if not _check_root(schema, path, direction, out):
        return out
    if direction == "input":
        _check_input(schema, path, unknown_keywords, out)
    else:
        _check_output_node(schema, path, False, unknown_keywords, out)
    try:
        Draft4Validator.check_schema(schema)
    except SchemaError as exc:
        where = path
        for part in exc.absolute_path:
            where = join_path(where, part)
        out.append(Violation(where, "CT011", f"not a valid draft-04 schema: {exc.message}"))
    return out


def _ordered_property(prop: dict) -> dict:
    ordered = {key: prop[key] for key in _PROPERTY_KEY_ORDER if key in prop}
    ordered.update((k, v) for k, v in prop.items() if k not in ordered)
    if "properties" in ordered:
        ordered["properties"] = {k: _ordered_property(v) for k, v in ordered["properties"].items()}
        ordered["additionalProperties"] = True
    if isinstance(ordered.get("items"), dict):
        ordered["items"] = _ordered_property(ordered["items"])
    return ordered


def _to_json_schema(schema: type[ma.Schema] | ma.Schema) -> dict:
    # schema_name_resolver returning None makes apispec inline nested schemas instead of emitting $ref
    # (docs/reference/libraries.md).
    plugin = MarshmallowPlugin(schema_name_resolver=lambda _schema: None)
    APISpec(title="contracts", version="1", openapi_version="3.1.0", plugins=[plugin])
    return plugin.converter.schema2jsonschema(schema)


def contract_for(schema: type[ma.Schema] | ma.Schema, direction: Direction) -> dict:
    """The Genesys contract (draft-04 JSON Schema) for a marshmallow schema; ContractError if it breaks a rule."""
    cls = schema if isinstance(schema, type) else type(schema)
    converted = _to_json_schema(schema)
    meta = cls.Meta if hasattr(cls, "Meta") else None
    contract: dict = {"$schema": DRAFT_04}
    title = getattr(meta, "title", None) or converted.get("title")
    description = getattr(meta, "description", None) or converted.get("description")
    if title:
        contract["title"] = title
    if description:
        contract["description"] = description
    contract["type"] = "object"
    if converted.get("required"):
        contract["required"] = list(converted["required"])
    contract["properties"] = {name: _ordered_property(prop) for name, prop in converted.get("properties", {}).items()}
    # Every Genesys export carries additionalProperties: true (docs/reference/data-actions.md §1.2, §8): Genesys may send
    # more inputs than the contract names, and the service may add output fields later.
    contract["additionalProperties"] = True
    violations = contract_violations(contract, direction)
    if violations:
        raise ContractError(f"{cls.__name__} ({direction})", violations)
    return contract


def flattened_outputs(schema: dict) -> dict[str, str]:
    """Output names as Architect binds them (nested objects as dotted names) -> their contract type.

    Arrays of scalars become '<type> collection'; docs/reference/data-actions.md §2 (Flattening).
    """
    names: dict[str, str] = {}

    def walk(node, prefix: str, in_array: bool) -> None:
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "object" or isinstance(node.get("properties"), dict):
            for name, prop in (node.get("properties") or {}).items():
                walk(prop, f"{prefix}.{name}" if prefix else name, in_array)
        elif kind == "array":
            walk(node.get("items") or {}, prefix, True)
        elif prefix:
            label = kind if isinstance(kind, str) else "any"
            names[prefix] = f"{label} collection" if in_array else label

    walk(schema, "", False)
    return names
