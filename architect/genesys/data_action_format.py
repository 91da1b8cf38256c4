"""The data-action export format: its keys and their types, integration and request types, the timeout range.

Sources (restated in docs/reference/data-action-format.md): the Genesys "export and import data actions" and
"data action contracts" help pages, and the Terraform provider's `genesyscloud_integration_action` resource.
`companion check` reports every problem found here; the runtime refuses to run an action with a problem that
`BLOCKS_A_RUN` names, and refuses the integration types in `NOT_RUN_LOCALLY` for the reason given there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# integrationType -> the integration's name in the Genesys admin UI.
INTEGRATION_TYPES = {
    "custom-rest-actions": "Web Services Data Actions",
    "purecloud-data-actions": "Genesys Cloud Data Actions",
    "function-data-actions": "Function Data Actions",
    "aws-lambda-data-actions": "AWS Lambda Data Actions",
}
# Integration types Genesys runs but this project cannot run locally, and why (one reason, used by both tools).
NOT_RUN_LOCALLY = {
    "aws-lambda-data-actions": (
        "an AWS Lambda data action invokes the Lambda function its requestUrlTemplate names by ARN, with the "
        "integration's AWS role; there is no HTTP endpoint to run it against locally (test the function itself, or "
        "stand a Web Services Data Action with the same contract in for it)"
    ),
}
REQUEST_TYPES = ("GET", "PUT", "POST", "PATCH", "DELETE")
ACTION_TYPE = "custom"  # every exported custom action
TIMEOUT_SECONDS = (1, 60)  # config.timeoutSeconds, inclusive
DEFAULT_TIMEOUT_SECONDS = 60.0
NAME_LENGTH = (1, 256)
RESERVED_INPUT_NAMES = ("orgId", "integrationId", "rawRequest")  # an input of that name makes the action fail
DEFAULT_REQUEST_TEMPLATE = "${input.rawRequest}"  # what an action without requestTemplate sends

_TYPE_NAMES = {str: "a string", dict: "an object", bool: "true or false", int: "an integer"}
# Keys without which there is no action to run.
REQUIRED = {
    "name": str,
    "integrationType": str,
    "actionType": str,
    "config": dict,
    "config.request": dict,
    "config.request.requestUrlTemplate": str,
    "config.request.requestType": str,
    "config.response": dict,
    "contract": dict,
    "contract.input": dict,
    "contract.input.inputSchema": dict,
    "contract.output": dict,
    "contract.output.successSchema": dict,
}
# Keys every export carries, which have a default when left out (no headers, no mapping, ${rawResult}, not
# secure). requestTemplate (default ${input.rawRequest}) and timeoutSeconds (default 60) are optional.
EXPORTED = {
    "config.request.headers": dict,
    "config.response.translationMap": dict,
    "config.response.translationMapDefaults": dict,
    "config.response.successTemplate": str,
    "secure": bool,
}
OPTIONAL = {"config.request.requestTemplate": str, "config.timeoutSeconds": int}
ALLOWED_KEYS = {
    "": {"name", "integrationType", "actionType", "config", "contract", "secure"},
    "config": {"request", "response", "timeoutSeconds"},
    "config.request": {"requestUrlTemplate", "requestType", "headers", "requestTemplate"},
    "config.response": {"translationMap", "translationMapDefaults", "successTemplate"},
    "contract": {"input", "output"},
    "contract.input": {"inputSchema"},
    "contract.output": {"successSchema"},
}
# Archy references a data action by integration name + action name. An export made in the admin UI appends
# " - Exported <date> @ <time>" to the name; the action in the org has the name without it.
_EXPORT_SUFFIX = re.compile(r"\s+-\s+Exported \d{4}-\d{2}-\d{2} @ \d{2}:\d{2}$")


def action_key(name: str) -> str:
    """How a callData action name matches an action file's name (the UI export suffix dropped, any case)."""
    return _EXPORT_SUFFIX.sub("", name.strip()).casefold()


# Problems after which the runtime does not run an action (the rest only matter to Genesys's import or UI).
BLOCKS_A_RUN = frozenset({"DA002", "DA004", "DA010", "DA011"})


@dataclass(frozen=True)
class ShapeProblem:
    """One way a document differs from the export format: where (dotted path), the rule id, and what."""

    path: str
    rule: str
    message: str


def lookup(document, dotted: str):
    """The value at a dotted path of nested dicts, or None."""
    node = document
    for part in dotted.split(".") if dotted else ():
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _type_problems(document: dict, table: dict, missing_rule: str | None) -> list[ShapeProblem]:
    out = []
    for dotted, expected in table.items():
        parent, _, key = dotted.rpartition(".")
        container = lookup(document, parent)
        if not isinstance(container, dict):
            continue  # reported for the parent
        if key not in container:
            if missing_rule == "DA002":
                out.append(ShapeProblem(dotted, "DA002", f"{dotted} is missing ({_TYPE_NAMES[expected]})"))
            elif missing_rule == "DA003":
                out.append(ShapeProblem(dotted, "DA003", f"{dotted} is missing; exports always carry it"))
            continue
        value = container[key]
        # bool is an int to Python; timeoutSeconds: true is not a number of seconds to Genesys.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            out.append(ShapeProblem(dotted, "DA002", f"{dotted} must be {_TYPE_NAMES[expected]}, "
                                                     f"not {type(value).__name__}"))
    return out


def shape_problems(document) -> list[ShapeProblem]:
    """Every way `document` differs from the data-action export format, in a stable order."""
    if not isinstance(document, dict):
        return [ShapeProblem("", "DA002", f"a data action is a JSON object, not {type(document).__name__}")]
    out = _type_problems(document, REQUIRED, "DA002")
    out += _type_problems(document, EXPORTED, "DA003")
    out += _type_problems(document, OPTIONAL, None)
    for dotted, allowed in ALLOWED_KEYS.items():
        container = lookup(document, dotted)
        if isinstance(container, dict):
            out += [ShapeProblem(f"{dotted}.{key}" if dotted else key, "DA003", f"{key!r} is not part of the export shape")
                    for key in container if key not in allowed]
    for table in ("config.request.headers", "config.response.translationMap", "config.response.translationMapDefaults"):
        mapping = lookup(document, table)
        if isinstance(mapping, dict):
            out += [ShapeProblem(f"{table}.{key}", "DA002", f"{table}.{key} must be a string, not {type(value).__name__}")
                    for key, value in mapping.items() if not isinstance(value, str)]
    name = document.get("name")
    if isinstance(name, str) and not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        out.append(ShapeProblem("name", "DA006", f"name has {len(name)} characters; Genesys allows 1-256"))
    kind = document.get("integrationType")
    if isinstance(kind, str) and kind not in INTEGRATION_TYPES:
        out.append(ShapeProblem("integrationType", "DA004",
                                f"integrationType {kind!r} is not one of {', '.join(INTEGRATION_TYPES)}"))
    action_type = document.get("actionType")
    if isinstance(action_type, str) and action_type != ACTION_TYPE:
        out.append(ShapeProblem("actionType", "DA005", f'actionType is {action_type!r}; exports use "{ACTION_TYPE}"'))
    request_type = lookup(document, "config.request.requestType")
    if isinstance(request_type, str) and request_type not in REQUEST_TYPES:
        out.append(ShapeProblem("config.request.requestType", "DA010",
                                f"requestType {request_type!r} is not one of {', '.join(REQUEST_TYPES)}"))
    timeout = lookup(document, "config.timeoutSeconds")
    low, high = TIMEOUT_SECONDS
    if isinstance(timeout, int) and not isinstance(timeout, bool) and not low <= timeout <= high:
        out.append(ShapeProblem("config.timeoutSeconds", "DA011",
                                f"timeoutSeconds {timeout!r} must be an integer {low}-{high}"))
    return out
