"""Web Services Data Action definitions in Genesys's export format (docs/reference/data-actions.md §1)."""

from __future__ import annotations

import json

from architect.contracts import contract_for
from architect.export.endpoints import Endpoint
from architect.export.options import ExportError
from architect.export.options import ExportOptions

INTEGRATION_TYPE = "custom-rest-actions"
# The User Defined credential field the bearer header reads (docs/reference/data-actions.md §4.1).
API_KEY_CREDENTIAL_FIELD = "apiKey"


def request_template(input_contract: dict) -> str:
    """A JSON body built from the inputs, every value escaped with $esc.jsonString.

    docs/reference/data-actions.md §3.1: formal `${input.x}` prints its own name when x is unset, so optional inputs use
    silent references, and `$esc.jsonString` adds no quotes of its own. `$!esc.jsonString($!{input.x})` stays
    empty when x is unset whatever jsonString does with null.
    """
    required = set(input_contract.get("required", []))
    members = []
    for name, prop in input_contract["properties"].items():
        if prop.get("type") != "string":
            # A non-string optional input has no JSON-safe empty rendering; the schemas have none today.
            raise ExportError(f"input {name!r} is {prop.get('type')!r}: the generated JSON body supports string inputs")
        if name in required:
            value = f"$esc.jsonString(${{input.{name}}})"
        else:
            value = f"$!esc.jsonString($!{{input.{name}}})"
        members.append(f'"{name}": "{value}"')
    return "{" + ", ".join(members) + "}"


def request_headers(options: ExportOptions) -> dict[str, str]:
    """Headers of every action: JSON body, plus the bearer key from the credential (Basic is added by Genesys)."""
    headers = {}
    if options.auth == "bearer":
        headers["Authorization"] = f"Bearer ${{credentials.{API_KEY_CREDENTIAL_FIELD}}}"
    headers["Content-Type"] = "application/json"
    return headers


def build_data_action(endpoint: Endpoint, options: ExportOptions) -> dict:
    """The action definition for one endpoint, key for key in the order of a Genesys export."""
    input_contract = contract_for(endpoint.request, "input")
    output_contract = contract_for(endpoint.response, "output")
    return {
        "name": endpoint.action_name,
        "integrationType": INTEGRATION_TYPE,
        "actionType": "custom",
        "config": {
            "request": {
                "requestUrlTemplate": options.base_url + endpoint.path,
                "requestType": "POST",
                "headers": request_headers(options),
                "requestTemplate": request_template(input_contract),
            },
            "response": {
                # The service answers with a flat object shaped like the output contract, so the body passes
                # through untouched (docs/reference/data-actions.md §8).
                "translationMap": {},
                "translationMapDefaults": {},
                "successTemplate": "${rawResult}",
            },
            "timeoutSeconds": options.timeout_seconds,
        },
        "contract": {
            "input": {"inputSchema": input_contract},
            "output": {"successSchema": output_contract},
        },
        "secure": False,
    }


def render_json(document: dict) -> str:
    """Stable JSON text: two-space indent, declared key order, trailing newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
