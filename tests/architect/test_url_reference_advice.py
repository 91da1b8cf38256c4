"""Severity and advice match the risk for inputs in a data action's URL."""

from __future__ import annotations

import json

from architect.check.data_action import check_data_action
from architect.runtime.actions import execute_action
from tests.runtime.stub_server import StubServer


def action(url: str, required=("phone",)) -> dict:
    return {
        "name": "Lookup", "integrationType": "custom-rest-actions", "actionType": "custom",
        "config": {"request": {"requestUrlTemplate": url, "requestType": "GET", "headers": {},
                               "requestTemplate": "${input.rawRequest}"},
                   "response": {"translationMap": {}, "translationMapDefaults": {}, "successTemplate": "${rawResult}"}},
        "contract": {"input": {"inputSchema": {"type": "object", **({"required": list(required)} if required else {}),
                                               "properties": {"phone": {"type": "string"}, "id": {"type": "string"}}}},
                     "output": {"successSchema": {"type": "object", "properties": {}}}},
        "secure": False,
    }


def findings(document):
    found, _ = check_data_action("a.json", json.dumps(document))
    return [(f.rule, f.severity, f.message) for f in found]


def test_an_unescaped_input_in_the_query_string_is_a_warning_because_plus_arrives_as_a_space():
    document = action("https://crm.example.com/customers?phone=${input.phone}")
    [(rule, severity, message)] = findings(document)
    assert (rule, severity) == ("DA025", "warning")
    assert "a + in the value (an E.164 number) arrives as a space" in message
    # What a real HTTP server makes of it: the query string is form-decoded, so + is a space.
    with StubServer() as stub:
        stub.answer("GET", "/customers", json_body={})
        execute_action(document, {"phone": "+13175550116"}, base_url=stub.url)
        assert stub.received[0].query == {"phone": [" 13175550116"]}


def test_escaped_in_the_query_string_is_clean_and_arrives_intact():
    document = action("https://crm.example.com/customers?phone=$esc.url(${input.phone})")
    assert findings(document) == []
    with StubServer() as stub:
        stub.answer("GET", "/customers", json_body={})
        execute_action(document, {"phone": "+13175550116"}, base_url=stub.url)
        assert stub.received[0].query == {"phone": ["+13175550116"]}


def test_an_optional_input_in_a_path_segment_is_advised_to_be_required_not_quiet():
    document = action("https://crm.example.com/customers/$esc.url(${input.id})/orders", required=())
    [(rule, severity, message)] = findings(document)
    assert (rule, severity) == ("DA014", "warning")
    assert message.endswith("make 'id' required in the input contract (a quiet $!{input.id} would leave an empty "
                            "path segment)")


def test_an_optional_input_in_the_query_string_is_still_advised_to_be_quiet():
    document = action("https://crm.example.com/customers?id=$esc.url(${input.id})", required=())
    [(rule, _severity, message)] = findings(document)
    assert rule == "DA014" and message.endswith("use $!{input.id}")
