"""References in a data action's templates that can never resolve, whatever the inputs and the response.

Genesys renders request templates with Apache Velocity, whose references are case-sensitive: `${INPUT.x}` is not
`${input.x}`, and an undefined reference is printed as written (the Velocity user guide, "Formal reference
notation" and "Quiet reference notation", https://velocity.apache.org/engine/2.3/user-guide.html). Inputs are
the contract's properties (https://help.mypurecloud.com/articles/velocity-macros-for-data-actions/). A
translation-map default is pasted into the success template as JSON text when its JSONPath finds nothing
(https://help.mypurecloud.com/articles/translation-map-defaults/), so it must be valid for its output's type.
`companion check` reports each flaw; `companion action run` and `simulate` refuse to run an action that has one.
"""

from __future__ import annotations

import json
import re

from architect.genesys.data_action_format import ShapeProblem, lookup

RAW_REQUEST = "rawRequest"
# ${input.x}, $!{input.x}, $input.x, $!input.x, in any case (case-sensitivity is the point).
INPUT_REFERENCE = re.compile(r"\$(?P<silent>!)?(?P<brace>\{)?(?P<scope>input)\.(?P<name>[A-Za-z][A-Za-z0-9_-]*)"
                             r"(?(brace)\})", re.IGNORECASE)
# Text left for a person to fill in: <your-host>, {{host}}, your-domain.com, REPLACE_ME, changeme, TODO, xxx.
_PLACEHOLDER_URL = re.compile(r"<[^<>]*>|\{\{[^{}]*\}\}|\byour[-_]?(?:domain|company|host|server|api|instance|org|"
                              r"url|tenant|site)\b|replace[-_]?me|changeme|\btodo\b|\bx{3,}\b", re.IGNORECASE)


def templates(action: dict) -> list[tuple[str, str]]:
    """(dotted path, text) of every Velocity template of the request."""
    request = lookup(action, "config.request")
    if not isinstance(request, dict):
        return []
    found = []
    for key in ("requestUrlTemplate", "requestTemplate"):
        if isinstance(request.get(key), str):
            found.append((f"config.request.{key}", request[key]))
    headers = request.get("headers")
    if isinstance(headers, dict):
        found += [(f"config.request.headers.{name}", value) for name, value in headers.items() if isinstance(value, str)]
    return found


def placeholder_in_url(url: str) -> str | None:
    """The placeholder text in a URL, if it has one (outside Velocity references)."""
    match = _PLACEHOLDER_URL.search(re.sub(r"\$!?\{[^}]*\}", "", url))
    return match.group(0) if match else None


def _fits(literal, kind: str) -> bool:
    if kind in ("integer", "number") and isinstance(literal, bool):
        return False
    if kind == "integer":
        return isinstance(literal, int) or (isinstance(literal, float) and literal.is_integer())
    return isinstance(literal, {"number": (int, float), "string": str, "boolean": bool, "null": type(None),
                                "array": list, "object": dict}.get(kind, object))


def _default_problem(value: str, kind) -> str | None:
    try:
        literal = json.loads(value)
    except ValueError:
        return None  # not JSON at all: a separate rule (DA012)
    kinds = [k for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
    if not kinds or any(_fits(literal, k) for k in kinds):
        return None
    return f"{value} is not {' or '.join(kinds)}"


def reference_flaws(action: dict) -> list[ShapeProblem]:
    """Every reference that can never resolve: wrong-case ${INPUT.x}, undeclared inputs, mistyped defaults, and
    placeholder URLs."""
    schema = lookup(action, "contract.input.inputSchema")
    properties = schema.get("properties") if isinstance(schema, dict) and isinstance(schema.get("properties"), dict) \
        else None
    out = []
    request_type = lookup(action, "config.request.requestType")
    for path, text in templates(action):
        if path == "config.request.requestTemplate" and request_type == "GET":
            continue  # GET sends no body: the template is never rendered
        for match in INPUT_REFERENCE.finditer(text):
            name = match.group("name")
            if match.group("scope") != "input":
                out.append(ShapeProblem(path, "DA022", f"{match.group(0)}: Velocity references are case-sensitive, so "
                                                       f"{match.group('scope')}. is not the inputs (write input.{name})"))
            elif name != RAW_REQUEST and properties is not None and name not in properties:
                out.append(ShapeProblem(path, "DA017", f"${{input.{name}}} is not an input of the contract; Velocity "
                                                       "prints the reference itself"))
    url = lookup(action, "config.request.requestUrlTemplate")
    if isinstance(url, str):
        placeholder = placeholder_in_url(url)
        if placeholder:
            out.append(ShapeProblem("config.request.requestUrlTemplate", "DA024",
                                    f"the URL holds the placeholder {placeholder!r}: put the real endpoint in"))
    defaults = lookup(action, "config.response.translationMapDefaults")
    outputs = lookup(action, "contract.output.successSchema.properties")
    if isinstance(defaults, dict) and isinstance(outputs, dict):
        for key, value in defaults.items():
            output = outputs.get(key)
            if isinstance(value, str) and isinstance(output, dict) and "type" in output:
                problem = _default_problem(value, output["type"])
                if problem:
                    out.append(ShapeProblem(f"config.response.translationMapDefaults.{key}", "DA023",
                                            f"the default {problem}, the type of output {key!r}: a response "
                                            "without it fails the output contract"))
    return out
