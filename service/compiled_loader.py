"""Request loaders compiled at start-up from the marshmallow schemas: the same answers as schema.load(), faster.

A request schema made of plain string fields (the /v1 contracts) is turned into a JSON Schema by apispec's
marshmallow converter and compiled to Python by fastjsonschema. A body the compiled validator accepts is
loaded without marshmallow: the declared fields it carries, the schema's load defaults, then the schema's own
@validates_schema methods. Anything refused goes to schema.load() itself, so every 400 carries marshmallow's
own per-field messages. A schema with anything else in it (another field type, a data_key, a pre_load or
post_load hook...) is not compiled: its loader is schema.load(), and `reason` says why.
tests/test_compiled_loader.py proves the two agree with Hypothesis: same inputs accepted and refused, same
messages, same loaded values.
"""

from __future__ import annotations

import marshmallow as ma
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from fastjsonschema import JsonSchemaValueException
from fastjsonschema import compile as compile_json_schema
from marshmallow.decorators import VALIDATES_SCHEMA


def _field_obstacle(name: str, field: ma.fields.Field) -> str | None:
    """Why this field cannot be compiled, or None."""
    if type(field) is not ma.fields.String:
        return f"field {name} is a {type(field).__name__}, not a plain String"
    if field.data_key not in (None, name) or field.attribute not in (None, name):
        return f"field {name} is renamed (data_key or attribute)"
    if field.allow_none or field.dump_only:
        return f"field {name} allows null or is dump-only"
    for validator in field.validators:
        if type(validator) is not ma.validate.Length or validator.equal is not None:
            return f"field {name} has a validator other than Length(min, max)"
    return None


def _schema_validators(schema: ma.Schema) -> tuple[list, str | None]:
    """The schema's @validates_schema methods (bound), or why the schema has hooks we do not compile."""
    checks = []
    for attr_name in dir(type(schema)):
        hook_config = getattr(getattr(type(schema), attr_name, None), "__marshmallow_hook__", None)
        if not hook_config:
            continue
        for tag, uses in hook_config.items():
            if tag != VALIDATES_SCHEMA:
                return [], f"method {attr_name} is a {tag} hook"
            for many, kwargs in uses:
                if many or kwargs.get("pass_original") or kwargs.get("pass_collection"):
                    return [], f"schema validator {attr_name} takes the original data or the collection"
        checks.append(getattr(schema, attr_name))
    return checks, None


def request_json_schema(schema: ma.Schema) -> dict:
    """The JSON Schema of a request schema, as apispec converts it for the OpenAPI document."""
    spec = APISpec(title="compiled", version="0", openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=lambda _schema: None)])
    converted = spec.plugins[0].converter.schema2jsonschema(schema)
    # Unknown keys are dropped by the schema (Meta.unknown = EXCLUDE), so any other property is allowed.
    return {"type": "object", "properties": converted["properties"], "required": converted.get("required", [])}


class CompiledLoader:
    """schema.load() for a request body, compiled when the schema allows it (see the module docstring)."""

    def __init__(self, schema: ma.Schema):
        self.schema = schema
        self.reason = self._obstacle(schema)
        self.checks, hook_reason = _schema_validators(schema)
        self.reason = self.reason or hook_reason
        self.compiled = self.reason is None
        if not self.compiled:
            return
        self.json_schema = request_json_schema(schema)
        # use_default=False: the body is not to be changed; load defaults are marshmallow's, applied below.
        self._validate = compile_json_schema(self.json_schema, use_default=False)
        self._fields = tuple(
            (name, field.load_default) for name, field in schema.load_fields.items()
        )

    @staticmethod
    def _obstacle(schema: ma.Schema) -> str | None:
        if schema.unknown != ma.EXCLUDE:
            return "unknown keys are not excluded"
        if schema.many or schema.partial or schema.only or schema.exclude:
            return "many, partial, only or exclude is set"
        for name, field in schema.load_fields.items():
            reason = _field_obstacle(name, field)
            if reason:
                return reason
        return None

    def accepts(self, body: dict) -> bool:
        """The compiled verdict alone: True when the body passes the JSON Schema and the schema validators."""
        return self._loaded(body) is not None

    def load(self, body: dict) -> dict:
        """What schema.load(body) returns; raises its ValidationError for a body it refuses."""
        if self.compiled:
            data = self._loaded(body)
            if data is not None:
                return data
        # Refused (or not compiled): marshmallow itself says why, with its own per-field messages.
        return self.schema.load(body)

    def _loaded(self, body: dict) -> dict | None:
        try:
            self._validate(body)
        except JsonSchemaValueException:
            return None
        missing = ma.missing
        data = {}
        for name, default in self._fields:
            if name in body:
                data[name] = body[name]
            elif default is not missing:
                data[name] = default() if callable(default) else default
        for check in self.checks:
            try:
                # As marshmallow calls a schema validator (Schema._run_validator).
                check(data, partial=None, many=False, unknown=ma.EXCLUDE)
            except ma.ValidationError:
                return None
        return data
