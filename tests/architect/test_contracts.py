"""Contract generation from marshmallow schemas, and each Genesys contract rule it refuses on."""

from __future__ import annotations

import marshmallow as ma
import pytest

from architect.contracts import DRAFT_04
from architect.contracts import ContractError
from architect.contracts import contract_for
from architect.contracts import contract_violations
from architect.contracts import flattened_outputs
from schemas import ContextRequest
from schemas import CustomerQuery
from schemas import CustomerResponse
from schemas import TraceRequest
from schemas import TraceResponse


def _refusal(schema, direction) -> ContractError:
    with pytest.raises(ContractError) as caught:
        contract_for(schema, direction)
    return caught.value


def test_trace_input_contract_is_draft04_with_required_conversation_id():
    contract = contract_for(TraceRequest, "input")
    assert contract["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert contract["title"] == "Trace context request"
    assert contract["description"] == "Identifies the call whose trace context is wanted."
    assert contract["type"] == "object"
    assert contract["required"] == ["conversationId"]
    assert contract["additionalProperties"] is True
    assert contract["properties"]["conversationId"]["type"] == "string"
    assert contract["properties"]["conversationId"]["title"] == "Conversation id"
    assert "Call.ConversationId" in contract["properties"]["conversationId"]["description"]


def test_field_with_load_default_is_optional_in_the_input_contract():
    contract = contract_for(TraceRequest, "input")
    assert "participantId" in contract["properties"]
    assert "participantId" not in contract["required"]


def test_customer_input_has_only_optional_strings_and_says_at_least_one_in_its_description():
    contract = contract_for(CustomerQuery, "input")
    assert "required" not in contract
    assert set(contract["properties"]) == {"phone", "customerId", "email", "accountNumber"}
    assert {prop["type"] for prop in contract["properties"].values()} == {"string"}
    assert contract["description"] == "At least one of phone, customerId, email, accountNumber."


def test_context_input_combines_conversation_and_customer_keys_flat():
    contract = contract_for(ContextRequest, "input")
    assert contract["required"] == ["conversationId"]
    assert set(contract["properties"]) == {
        "conversationId", "participantId", "phone", "customerId", "email", "accountNumber"
    }


def test_output_contract_types_follow_the_schema_fields():
    contract = contract_for(CustomerResponse, "output")
    types = {name: prop["type"] for name, prop in contract["properties"].items()}
    assert types["found"] == "boolean"
    assert types["vip"] == "boolean"
    assert types["priority"] == "integer"
    assert types["openCases"] == "integer"
    assert types["tier"] == "string"
    assert contract["properties"]["priority"]["minimum"] == 0
    assert contract["properties"]["priority"]["maximum"] == 100


def test_output_contract_has_no_ref_even_for_nested_schemas():
    class Inner(ma.Schema):
        code = ma.fields.String()

    class Outer(ma.Schema):
        inner = ma.fields.Nested(Inner)
        items = ma.fields.List(ma.fields.Nested(Inner))

    contract = contract_for(Outer, "output")
    assert "$ref" not in repr(contract)
    assert contract["properties"]["inner"]["properties"]["code"]["type"] == "string"
    assert flattened_outputs(contract) == {"inner.code": "string", "items.code": "string collection"}


def test_reserved_input_name_is_refused_naming_the_field_and_rule():
    class WithOrgId(ma.Schema):
        orgId = ma.fields.String()

    error = _refusal(WithOrgId, "input")
    assert "WithOrgId" in str(error)
    assert "properties.orgId" in str(error)
    assert "CT005" in str(error)
    assert [v.rule for v in error.violations] == ["CT005"]


@pytest.mark.parametrize("name", ["integrationId", "rawRequest"])
def test_every_reserved_input_name_is_refused(name):
    schema = ma.Schema.from_dict({name: ma.fields.String()}, name="Reserved")
    assert [v.rule for v in _refusal(schema, "input").violations] == ["CT005"]


def test_nested_object_in_input_is_refused():
    class Address(ma.Schema):
        city = ma.fields.String()

    class WithAddress(ma.Schema):
        address = ma.fields.Nested(Address)

    error = _refusal(WithAddress, "input")
    assert [(v.path, v.rule) for v in error.violations] == [("properties.address.type", "CT003")]
    assert "flat" in error.violations[0].message


def test_array_in_input_is_refused():
    schema = ma.Schema.from_dict({"tags": ma.fields.List(ma.fields.String())}, name="WithTags")
    assert [v.rule for v in _refusal(schema, "input").violations] == ["CT003"]


def test_nested_array_in_output_is_refused():
    schema = ma.Schema.from_dict({"matrix": ma.fields.List(ma.fields.List(ma.fields.Integer()))}, name="Matrix")
    error = _refusal(schema, "output")
    assert [(v.path, v.rule) for v in error.violations] == [("properties.matrix.items", "CT006")]


def test_array_of_objects_holding_an_array_is_a_nested_array_too():
    class Row(ma.Schema):
        values = ma.fields.List(ma.fields.Integer())

    schema = ma.Schema.from_dict({"rows": ma.fields.List(ma.fields.Nested(Row))}, name="Rows")
    assert [v.rule for v in _refusal(schema, "output").violations] == ["CT006"]


def test_array_of_scalars_in_output_is_allowed():
    schema = ma.Schema.from_dict({"counts": ma.fields.List(ma.fields.Integer())}, name="Counts")
    assert contract_for(schema, "output")["properties"]["counts"]["items"] == {"type": "integer"}


@pytest.mark.parametrize("bad_name", ["1st", "first name", "caf\u00e9", "_private", "a.b"])
def test_property_names_outside_the_genesys_pattern_are_refused(bad_name):
    schema = ma.Schema.from_dict({"ok": ma.fields.String(data_key=bad_name)}, name="BadName")
    for direction in ("input", "output"):
        error = _refusal(schema, direction)
        assert [v.rule for v in error.violations] == ["CT004"]
        assert repr(bad_name) in str(error)


def test_ref_in_a_contract_is_refused_with_its_path():
    schema = {
        "type": "object",
        "properties": {"customer": {"$ref": "#/definitions/Customer"}},
        "definitions": {"Customer": {"type": "object"}},
    }
    rules = {(v.path, v.rule) for v in contract_violations(schema, "output")}
    assert ("properties.customer.$ref", "CT001") in rules


def test_openapi_only_keywords_are_refused_at_generation():
    schema = ma.Schema.from_dict({"note": ma.fields.String(dump_only=True)}, name="ReadOnly")
    error = _refusal(schema, "output")
    assert [(v.path, v.rule) for v in error.violations] == [("properties.note.readOnly", "CT010")]


def test_nullable_input_is_refused_because_inputs_take_one_scalar_type():
    schema = ma.Schema.from_dict({"note": ma.fields.String(allow_none=True)}, name="Nullable")
    assert [v.rule for v in _refusal(schema, "input").violations] == ["CT003"]


def test_every_project_schema_pair_makes_valid_contracts():
    for request, response in ((TraceRequest, TraceResponse), (CustomerQuery, CustomerResponse)):
        assert contract_for(request, "input")["$schema"] == DRAFT_04
        assert contract_for(response, "output")["$schema"] == DRAFT_04
