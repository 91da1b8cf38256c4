"""Rules for data-action JSON files (the export format of docs/reference/data-actions.md §1, §2 and §3)."""

from __future__ import annotations

import json
import re

from architect.check.findings import Finding
from architect.check.findings import finding
from architect.contracts import contract_violations
from architect.contracts import join_path
from architect.genesys.data_action_format import NOT_RUN_LOCALLY
from architect.genesys.data_action_format import lookup
from architect.genesys.data_action_format import shape_problems
from architect.genesys.template_references import reference_flaws
from architect.runtime.jsonpath import JsonPathError, compile_path

# ${input.x}, $!{input.x}, $input.x, $!input.x
_INPUT_REF = re.compile(r"\$(?P<silent>!)?(?P<brace>\{)?input\.(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?(brace)\})")
_JSON_ESCAPED = re.compile(r"\$!?\{?esc\.json(?:String|Encode)\(\s*$")
_URL_ESCAPED = re.compile(r"\$!?\{?(?:esc\.(?:url|uriEncode|urlFormEncode)|urlTool\.optionalQueryParam)\([^()]*$")
_RAW_REQUEST = "rawRequest"


_get = lookup


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
    """The export format's keys, types and enumerations (the same rules the runtime refuses to run without)."""
    out = [finding(file, problem.path, problem.rule, problem.message) for problem in shape_problems(document)]
    kind = document.get("integrationType")
    if kind in NOT_RUN_LOCALLY:
        out.append(finding(file, "integrationType", "DA021", f"{kind} is valid, but companion action run and "
                           f"simulate do not run it: {NOT_RUN_LOCALLY[kind]}"))
    return out


def _check_top_level(file: str, document: dict) -> list[Finding]:
    out = []
    kind = document.get("integrationType")
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
    for key, path in mapping.items():
        if isinstance(path, str):
            # The runtime's own compiler, so check and action run agree on which paths Genesys (Jayway) takes.
            try:
                compile_path(path)
            except JsonPathError as exc:
                out.append(finding(file, join_path("config.response.translationMap", key), "DA026", str(exc)))
    defaults = response.get("translationMapDefaults")
    if not isinstance(defaults, dict):
        return out
    for key, value in defaults.items():
        path = join_path("config.response.translationMapDefaults", key)
        if not isinstance(value, str):
            continue  # a shape problem (DA002)
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
                continue  # DA017, from reference_flaws
            prop = properties.get(name) if isinstance(properties.get(name), dict) else {}
            before = text[: match.start()]
            in_url = path == "config.request.requestUrlTemplate"
            in_query = in_url and "?" in re.sub(r"\$!?\{[^}]*\}", "", before)
            if not match.group("silent") and name not in required:
                # In a path segment a quiet $!{} leaves an empty segment (/customers//orders): the input must be there.
                advice = (f"make {name!r} required in the input contract (a quiet $!{{input.{name}}} would leave an "
                          "empty path segment)" if in_url and not in_query else f"use $!{{input.{name}}}")
                out.append(
                    finding(
                        file,
                        path,
                        "DA014",
                        f"{match.group(0)} is optional in the contract: when unset, Velocity prints the reference "
                        f"itself; {advice}",
                    )
                )
            if in_url and not _URL_ESCAPED.search(before):
                if in_query:
                    out.append(finding(file, path, "DA025", f"{match.group(0)} goes into the query string unescaped: "
                                       "a + in the value (an E.164 number) arrives as a space, & and # cut it; use "
                                       "$esc.url(...)"))
                else:
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
    out += _check_top_level(file, document)
    response = _get(document, "config.response")
    if isinstance(response, dict):
        out += _check_response(file, response)
    out += _check_templates(file, document)
    out += [finding(file, flaw.path, flaw.rule, flaw.message) for flaw in reference_flaws(document)]
    out += _check_contracts(file, document)
    return out, document
