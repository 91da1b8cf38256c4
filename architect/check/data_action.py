"""Rules for data-action JSON files (the export format of docs/reference/data-actions.md §1, §2 and §3)."""

from __future__ import annotations

import json
import re

from architect.check.findings import Finding
from architect.check.findings import finding
from architect.contracts import contract_violations
from architect.contracts import join_path

REQUEST_TYPES = ("GET", "PUT", "POST", "PATCH", "DELETE")
KNOWN_INTEGRATION_TYPES = (
    "custom-rest-actions",
    "purecloud-data-actions",
    "function-data-actions",
    "aws-lambda-data-actions",
)
# key -> expected Python type, for the keys every export carries (§1.1).
_SHAPE = {
    "name": str,
    "integrationType": str,
    "actionType": str,
    "config": dict,
    "config.request": dict,
    "config.request.requestUrlTemplate": str,
    "config.request.requestType": str,
    "config.request.headers": dict,
    "config.request.requestTemplate": str,
    "config.response": dict,
    "config.response.translationMap": dict,
    "config.response.translationMapDefaults": dict,
    "config.response.successTemplate": str,
    "contract": dict,
    "contract.input": dict,
    "contract.input.inputSchema": dict,
    "contract.output": dict,
    "contract.output.successSchema": dict,
}
# requestTemplate defaults to ${input.rawRequest} (§1.1).
_OPTIONAL = {"config.request.requestTemplate"}
_ALLOWED_KEYS = {
    "": {"name", "integrationType", "actionType", "config", "contract", "secure"},
    "config": {"request", "response", "timeoutSeconds"},
    "config.request": {"requestUrlTemplate", "requestType", "headers", "requestTemplate"},
    "config.response": {"translationMap", "translationMapDefaults", "successTemplate"},
    "contract": {"input", "output"},
    "contract.input": {"inputSchema"},
    "contract.output": {"successSchema"},
}
# ${input.x}, $!{input.x}, $input.x, $!input.x
_INPUT_REF = re.compile(r"\$(?P<silent>!)?(?P<brace>\{)?input\.(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?(brace)\})")
_JSON_ESCAPED = re.compile(r"\$!?\{?esc\.json(?:String|Encode)\(\s*$")
_URL_ESCAPED = re.compile(r"\$!?\{?(?:esc\.(?:url|uriEncode|urlFormEncode)|urlTool\.optionalQueryParam)\([^()]*$")
_RAW_REQUEST = "rawRequest"


def _get(document: dict, dotted: str):
    node = document
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def looks_like_data_action(document) -> bool:
    """True when a JSON document has the keys of a data action (used when scanning folders)."""
    return isinstance(document, dict) and bool({"integrationType", "actionType", "contract"} & set(document))


def _inside_json_string(text: str, end: int) -> bool:
    """Whether position `end` of a JSON-ish template is inside a string literal (odd number of unescaped quotes)."""
    quotes = 0
    index = 0
    while index < end:
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == '"':
            quotes += 1
        index += 1
    return quotes % 2 == 1


def _is_json_body(request: dict) -> bool:
    template = request.get("requestTemplate")
    if request.get("requestType") == "GET" or not isinstance(template, str):
        return False
    if template.strip() in ("${input.rawRequest}", "$input.rawRequest"):
        return False
    headers = request.get("headers") if isinstance(request.get("headers"), dict) else {}
    content_type = next((str(v) for k, v in headers.items() if str(k).lower() == "content-type"), "")
    if content_type and "json" not in content_type.lower():
        return False
    return "json" in content_type.lower() or template.lstrip().startswith(("{", "["))


def _check_shape(file: str, document: dict) -> list[Finding]:
    out = []
    for dotted, expected in _SHAPE.items():
        parent, _, key = dotted.rpartition(".")
        container = _get(document, parent) if parent else document
        if not isinstance(container, dict):
            continue  # reported for the parent
        if key not in container:
            if dotted not in _OPTIONAL:
                out.append(finding(file, dotted, "DA002", f"missing {key!r} ({expected.__name__})"))
        elif not isinstance(container[key], expected):
            out.append(
                finding(file, dotted, "DA002", f"{key!r} must be a {expected.__name__}, not {type(container[key]).__name__}")
            )
    for dotted, allowed in _ALLOWED_KEYS.items():
        container = _get(document, dotted) if dotted else document
        if not isinstance(container, dict):
            continue
        for key in container:
            if key not in allowed:
                out.append(finding(file, join_path(dotted, key), "DA003", f"{key!r} is not part of the export shape"))
    if "secure" not in document:
        out.append(finding(file, "secure", "DA003", "'secure' is missing; exports always carry it (default false)"))
    elif not isinstance(document["secure"], bool):
        out.append(finding(file, "secure", "DA002", "'secure' must be true or false"))
    return out


def _check_header_values(file: str, headers: dict) -> list[Finding]:
    return [
        finding(file, join_path("config.request.headers", key), "DA002", "header values must be strings")
        for key, value in headers.items()
        if not isinstance(value, str)
    ]


def _check_top_level(file: str, document: dict) -> list[Finding]:
    out = []
    name = document.get("name")
    if isinstance(name, str) and not 1 <= len(name) <= 256:
        out.append(finding(file, "name", "DA006", f"name has {len(name)} characters; Genesys allows 1-256"))
    kind = document.get("integrationType")
    if isinstance(kind, str) and kind not in KNOWN_INTEGRATION_TYPES:
        out.append(finding(file, "integrationType", "DA004", f"unknown integrationType {kind!r}"))
    action_type = document.get("actionType")
    if isinstance(action_type, str) and action_type != "custom":
        out.append(finding(file, "actionType", "DA005", f'actionType is {action_type!r}; exports use "custom"'))
    request_type = _get(document, "config.request.requestType")
    if isinstance(request_type, str) and request_type not in REQUEST_TYPES:
        out.append(
            finding(
                file,
                "config.request.requestType",
                "DA010",
                f"requestType {request_type!r} is not one of {', '.join(REQUEST_TYPES)}",
            )
        )
    config = document.get("config")
    if isinstance(config, dict) and "timeoutSeconds" in config:
        timeout = config["timeoutSeconds"]
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= 60:
            out.append(
                finding(file, "config.timeoutSeconds", "DA011", f"timeoutSeconds {timeout!r} must be an integer 1-60")
            )
    url = _get(document, "config.request.requestUrlTemplate")
    if isinstance(url, str) and isinstance(kind, str):
        if kind == "custom-rest-actions" and not url.startswith(("https://", "http://", "${", "$!{", "$")):
            out.append(
                finding(file, "config.request.requestUrlTemplate", "DA020", "web services actions need an absolute URL")
            )
        if kind == "purecloud-data-actions" and not url.startswith("/api/v2/"):
            out.append(
                finding(
                    file,
                    "config.request.requestUrlTemplate",
                    "DA020",
                    "Genesys Cloud Data Actions call the platform API with a relative /api/v2/... URL",
                )
            )
    return out


def _check_response(file: str, response: dict) -> list[Finding]:
    out = []
    mapping = response.get("translationMap") if isinstance(response.get("translationMap"), dict) else {}
    defaults = response.get("translationMapDefaults")
    if not isinstance(defaults, dict):
        return out
    for key, value in defaults.items():
        path = join_path("config.response.translationMapDefaults", key)
        if not isinstance(value, str):
            out.append(finding(file, path, "DA002", "defaults are JSON text in a string, e.g. \"0\" or \"\\\"\\\"\""))
            continue
        try:
            json.loads(value)
        except ValueError:
            out.append(
                finding(
                    file,
                    path,
                    "DA012",
                    f"default {value!r} is not a JSON literal; it is pasted into the success template as JSON text "
                    f"(a string needs quotes: {json.dumps(json.dumps(value))})",
                )
            )
        if key not in mapping:
            out.append(finding(file, path, "DA013", f"{key!r} has a default but no translationMap entry"))
    return out


def _check_templates(file: str, document: dict) -> list[Finding]:
    request = _get(document, "config.request")
    input_schema = _get(document, "contract.input.inputSchema")
    if not isinstance(request, dict) or not isinstance(input_schema, dict):
        return []
    properties = input_schema.get("properties") if isinstance(input_schema.get("properties"), dict) else {}
    required = set(input_schema.get("required") or []) if isinstance(input_schema.get("required"), list) else set()
    out: list[Finding] = []
    templates: list[tuple[str, str]] = []
    if isinstance(request.get("requestUrlTemplate"), str):
        templates.append(("config.request.requestUrlTemplate", request["requestUrlTemplate"]))
    if isinstance(request.get("headers"), dict):
        for key, value in request["headers"].items():
            if isinstance(value, str):
                templates.append((join_path("config.request.headers", key), value))
    json_body = _is_json_body(request)
    if isinstance(request.get("requestTemplate"), str):
        template = request["requestTemplate"]
        if request.get("requestType") == "GET":
            if template.strip() not in ("${input.rawRequest}", "$input.rawRequest", ""):
                out.append(
                    finding(file, "config.request.requestTemplate", "DA019", "GET requests do not send a body")
                )
        else:
            templates.append(("config.request.requestTemplate", template))
    for path, text in templates:
        for match in _INPUT_REF.finditer(text):
            name = match.group("name")
            if name == _RAW_REQUEST:
                continue
            if name not in properties:
                out.append(finding(file, path, "DA017", f"${{input.{name}}} is not an input of the contract"))
                continue
            if not match.group("silent") and name not in required:
                out.append(
                    finding(
                        file,
                        path,
                        "DA014",
                        f"{match.group(0)} is optional in the contract: when unset, Velocity prints the reference "
                        f"itself; use $!{{input.{name}}}",
                    )
                )
            prop = properties.get(name) if isinstance(properties.get(name), dict) else {}
            before = text[: match.start()]
            if path == "config.request.requestUrlTemplate" and not _URL_ESCAPED.search(before):
                out.append(
                    finding(file, path, "DA018", f"{match.group(0)} goes into the URL unescaped; use $esc.url(...)")
                )
            if path == "config.request.requestTemplate" and json_body and prop.get("type") == "string":
                if _JSON_ESCAPED.search(before):
                    continue
                if _inside_json_string(text, match.start()):
                    out.append(
                        finding(
                            file,
                            path,
                            "DA015",
                            f"{match.group(0)} sits in a JSON string unescaped; a quote or backslash in the value "
                            f'breaks the body: write "$esc.jsonString({match.group(0)})" inside the quotes',
                        )
                    )
                else:
                    out.append(
                        finding(file, path, "DA016", f"{match.group(0)} is inserted as raw JSON, not as a string")
                    )
    return out


def _check_contracts(file: str, document: dict) -> list[Finding]:
    out = []
    for direction, dotted in (("input", "contract.input.inputSchema"), ("output", "contract.output.successSchema")):
        schema = _get(document, dotted)
        if schema is None:
            continue
        for violation in contract_violations(schema, direction, dotted, unknown_keywords="warning"):
            out.append(finding(file, violation.path, violation.rule, violation.message, severity=violation.severity))
    return out


def check_data_action(file: str, text: str) -> tuple[list[Finding], dict | None]:
    """Findings for one data-action file, and the parsed document (None when it is not JSON)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return [finding(file, "", "DA001", f"not valid JSON: {exc.msg}", exc.lineno, exc.colno)], None
    if not isinstance(document, dict):
        return [finding(file, "", "DA002", "a data action is a JSON object")], None
    out = _check_shape(file, document)
    headers = _get(document, "config.request.headers")
    if isinstance(headers, dict):
        out += _check_header_values(file, headers)
    out += _check_top_level(file, document)
    response = _get(document, "config.response")
    if isinstance(response, dict):
        out += _check_response(file, response)
    out += _check_templates(file, document)
    out += _check_contracts(file, document)
    return out, document
