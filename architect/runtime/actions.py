"""Run a Genesys data action definition locally: the request/response pipeline Genesys runs, step by step."""

from __future__ import annotations

import base64
import functools
import json
import re
import socket
import ssl
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path

import jsonschema
import requests

from architect.genesys.data_action_format import (BLOCKS_A_RUN, DEFAULT_REQUEST_TEMPLATE, DEFAULT_TIMEOUT_SECONDS,
                                                  NOT_RUN_LOCALLY, RESERVED_INPUT_NAMES, lookup, shape_problems)
from architect.genesys.template_references import reference_flaws
from architect.runtime import jsonpath
from architect.runtime.velocity import TemplateRenderError, render_velocity

# Facts: docs/reference/data-actions.md §1.1 (file format), §2 (contracts, draft-04, reserved input
# names), §3 (Velocity, translation map, defaults, the pipeline in §3.5), §4.1/§4.3 (Basic auth credential fields
# userName/password, `${credentials.x}`), §5 (timeout 1-60 s, default 60; non-2xx -> failure; non-JSON body ->
# 400 ACTION.REMOTE_ENDPOINT). Step names are ours: Genesys's test-mode operation names are unverified (§5.1).

EXCERPT_CHARS = 500
_UNRESOLVED_REFERENCE = re.compile(r"\$!?\{[^}]*\}")


class ActionDefinitionError(ValueError):
    """A data action file or dict does not have the shape of a Genesys export."""


@dataclass
class Step:
    """One pipeline step with its intermediate result (like the Test tab's operations, §5.1)."""

    name: str
    ok: bool
    detail: dict = field(default_factory=dict)
    error: str | None = None


@dataclass
class ActionResult:
    """What running an action produced: the path Architect would take and the outputs it would see."""

    status: str  # "success", "failure" or "timeout": the Call Data Action paths (§5)
    outputs: dict
    raw_output: object
    steps: list[Step]
    error: str | None
    duration_ms: float
    request: dict | None  # method, url, headers (Authorization and credential values redacted), body
    # Why this run failed or may differ where a real call would not: the service unreachable from here, a
    # credential it refused, a ${...} reference left in the request. One readable line each; --strict exits 1.
    local_faults: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-serialisable document of the result."""
        return asdict(self)


# ---------------------------------------------------------------------------------------------------------------
# Loading and shape checks


def load_action(path: str | Path) -> dict:
    """Read and shape-check a data action export (JSON); raises ActionDefinitionError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ActionDefinitionError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        action = json.loads(text)
    except ValueError as exc:
        raise ActionDefinitionError(f"{path}: not JSON: {exc}") from None
    check_action(action, source=str(path))
    return action


def check_action(action, *, source: str = "action") -> None:
    """Raise ActionDefinitionError listing every way `action` differs from the export format so that it cannot run.

    The format is architect.genesys.data_action_format's, the one `companion check` applies; an integration type
    this runtime does not run is refused with the reason `check` gives for it.
    """
    if not isinstance(action, dict):
        raise ActionDefinitionError(f"{source}: a data action must be a JSON object, got {type(action).__name__}")
    problems = [problem.message for problem in shape_problems(action) if problem.rule in BLOCKS_A_RUN]
    for side, schema_key in (("input", "inputSchema"), ("output", "successSchema")):
        schema = lookup(action, f"contract.{side}.{schema_key}")
        if isinstance(schema, dict):
            problem = _schema_problem(_schema_key(schema))
            if problem:
                problems.append(f"contract.{side}.{schema_key} is not a valid draft-04 schema: {problem}")
    if problems:
        raise ActionDefinitionError(f"{source}: " + "; ".join(problems))
    kind = action["integrationType"]
    if kind in NOT_RUN_LOCALLY:
        raise ActionDefinitionError(f"{source}: integrationType {kind!r} is not run locally: {NOT_RUN_LOCALLY[kind]}")


# ---------------------------------------------------------------------------------------------------------------
# Execution


class _StepFailed(Exception):
    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS] + f"... ({len(text)} chars)"


def _unresolved(text: str) -> list[str]:
    return _UNRESOLVED_REFERENCE.findall(text)


def _schema_key(schema: dict) -> str:
    return json.dumps(schema, sort_keys=True)


# Checking a schema costs more than the rest of a run; a flow runs the same few actions over and over.
@functools.lru_cache(maxsize=256)
def _schema_problem(schema_json: str) -> str | None:
    try:
        jsonschema.Draft4Validator.check_schema(json.loads(schema_json))
    except jsonschema.SchemaError as exc:
        return exc.message
    return None


@functools.lru_cache(maxsize=256)
def _validator(schema_json: str) -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(schema_json))


def _schema_violations(schema: dict, instance) -> list[str]:
    validator = _validator(_schema_key(schema))
    violations = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        violations.append(f"{where}: {error.message}")
    return violations


def _rebase_url(url: str, base_url: str | None) -> str:
    """Point an absolute URL at base_url's scheme+host(+path prefix); join a relative /api/v2 URL to it."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme and parts.netloc:
        if not base_url:
            return url
        base = urllib.parse.urlsplit(base_url)
        return urllib.parse.urlunsplit(
            (base.scheme, base.netloc, base.path.rstrip("/") + parts.path, parts.query, parts.fragment))
    if url.startswith("/"):
        if not base_url:
            raise _StepFailed("failure", f"request URL {url!r} is relative (Genesys Cloud Data Actions call the "
                                         "Genesys API): give base_url / --base-url to say where to send it")
        return base_url.rstrip("/") + url
    raise _StepFailed("failure",
                      f"request URL {url!r} is neither absolute (https://host/...) nor relative (/api/v2/...)")


# Shorter credential values are not replaced inside text: a one-letter test key would otherwise turn
# "/v1/context" into "/v1/conte[redacted]t" and hide nothing. Authorization headers are always hidden.
_MIN_REDACTED_LENGTH = 4


def _redactor(credentials: dict):
    secrets = sorted({str(v) for v in credentials.values() if v is not None and len(str(v)) >= _MIN_REDACTED_LENGTH},
                     key=len, reverse=True)

    def redact(text: str) -> str:
        for secret in secrets:
            text = text.replace(secret, "[redacted]")
        return text

    return redact


def _flatten(value: dict, prefix: str = "") -> dict:
    """Nested objects become dotted keys (Architect's flattened view, §2); arrays stay lists."""
    flat = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, name + "."))
        else:
            flat[name] = item
    return flat


class _Run:
    """The state of one execution: the steps so far and the request record."""

    def __init__(self):
        self.steps: list[Step] = []
        self.request: dict | None = None

    def ok(self, name: str, **detail) -> None:
        self.steps.append(Step(name, True, detail))

    def fail(self, name: str, outcome: str, message: str, **detail):
        self.steps.append(Step(name, False, detail, message))
        return _StepFailed(outcome, message)


def _render(template: str, context: dict, run: _Run, step: str, template_name: str) -> str:
    try:
        return render_velocity(template, context, name=template_name)
    except TemplateRenderError as exc:
        raise run.fail(step, "failure", str(exc), template=template) from None


def execute_action(action: dict, inputs: dict, credentials: dict | None = None, *,
                   session: requests.Session | None = None, base_url: str | None = None,
                   timeout: float | None = None) -> ActionResult:
    """Run `action` with `inputs` and `credentials` against its endpoint (or base_url) and report every step."""
    check_action(action, source=f"action {action.get('name', '?')!r}" if isinstance(action, dict) else "action")
    started = time.monotonic()
    run = _Run()
    credentials = dict(credentials or {})
    own_session = session is None
    session = session or requests.Session()
    try:
        raw_output = _pipeline(action, dict(inputs), credentials, run, session, base_url, timeout)
        status, error = "success", None
    except _StepFailed as exc:
        raw_output, status, error = None, exc.status, str(exc)
    finally:
        if own_session:
            session.close()
    outputs = run.steps[-1].detail["outputs"] if status == "success" else {}
    return ActionResult(status=status, outputs=outputs, raw_output=raw_output, steps=run.steps, error=error,
                        duration_ms=(time.monotonic() - started) * 1000.0, request=run.request,
                        local_faults=_local_faults(run))


def _local_faults(run: _Run) -> list[str]:
    """The problems of this run that say more about the local set-up than about the action (see ActionResult)."""
    faults = []
    for step in run.steps:
        references = step.detail.get("unresolved") or []
        if references:
            faults.append(f"{step.name}: unresolved {', '.join(dict.fromkeys(references))} "
                          "(Genesys would send the text as it is)")
        if step.name == "send request" and not step.ok and "cannot reach" in (step.error or ""):
            faults.append(step.error)
        if step.name == "check response" and step.detail.get("status") in (401, 403):
            faults.append(f"the service refused the credential (HTTP {step.detail['status']}): check --credential")
    return faults


def connection_reason(exc: BaseException) -> str:
    """A connection failure in a few words ("connection refused"), not the urllib3 repr of the exception."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionRefusedError):
            return "connection refused (is the service running on that host and port?)"
        if isinstance(exc, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(exc, ssl.SSLError):
            return f"TLS failed ({exc.reason or exc})"
        if isinstance(exc, ConnectionResetError):
            return "the connection was reset"
        if isinstance(exc, OSError) and exc.strerror:
            return exc.strerror.lower()
        exc = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException)
                                                   else getattr(exc, "reason", None))
    return "connection failed"


def _pipeline(action, inputs, credentials, run: _Run, session, base_url, timeout):
    config = action["config"]
    request_config = config["request"]
    response_config = config["response"]
    redact = _redactor(credentials)

    # 0. References that can never resolve (the rules `companion check` reports as DA017, DA022-DA024): Genesys
    # would send them as written, so the run fails here rather than succeed with them listed as unresolved.
    flaws = reference_flaws(action)
    if flaws:
        raise run.fail("check references", "failure", "; ".join(f"{flaw.path}: {flaw.message}" for flaw in flaws),
                       flaws=[{"path": flaw.path, "rule": flaw.rule, "message": flaw.message} for flaw in flaws])

    # 1. Input contract (§2, §3.5 step 1).
    reserved = [name for name in RESERVED_INPUT_NAMES if name in inputs]
    if reserved:
        raise run.fail("validate input", "failure",
                       f"input {', '.join(reserved)} is reserved by Genesys (orgId, integrationId, rawRequest): "
                       "an input with that name overwrites the platform value and the action fails",
                       input=inputs)
    violations = _schema_violations(action["contract"]["input"]["inputSchema"], inputs)
    if violations:
        raise run.fail("validate input", "failure", "input does not match the input contract: " + "; ".join(violations),
                       input=inputs, violations=violations)
    raw_request = json.dumps(inputs, ensure_ascii=False, separators=(",", ":"))
    run.ok("validate input", input=inputs, rawRequest=raw_request)
    context = {"input": {**inputs, "rawRequest": raw_request}, "credentials": credentials}

    # 2. Request URL, headers and body (§3.1); GET ignores the body template (HC:138534 via §1.1).
    method = request_config["requestType"]
    rendered_url = _render(request_config["requestUrlTemplate"], context, run, "render request URL", "request URL")
    try:
        url = _rebase_url(rendered_url.strip(), base_url)
    except _StepFailed as exc:
        run.fail("render request URL", exc.status, str(exc), url=redact(rendered_url))
        raise
    run.ok("render request URL", rendered=redact(rendered_url), url=redact(url),
           unresolved=_unresolved(rendered_url))

    headers = {}
    for name, template in (request_config.get("headers") or {}).items():
        headers[name] = _render(template, context, run, "render headers", f"header {name}")
    if "userName" in credentials and not any(name.lower() == "authorization" for name in headers):
        # Basic Auth credential type: "The integration then sends the Basic authentication header with every
        # action request" (§4.1). An explicit Authorization header in the action wins.
        pair = f"{credentials['userName']}:{credentials.get('password') or ''}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    shown_headers = {name: ("[redacted]" if name.lower() == "authorization" else redact(value))
                     for name, value in headers.items()}
    run.ok("render headers", headers=shown_headers,
           unresolved=[ref for value in headers.values() for ref in _unresolved(value)])

    body = None
    if method == "GET":
        run.ok("render body", skipped="GET requests do not use the request template")
    else:
        body = _render(request_config.get("requestTemplate", DEFAULT_REQUEST_TEMPLATE), context, run,
                       "render body", "body")
        run.ok("render body", body=redact(body), unresolved=_unresolved(body))
    run.request = {"method": method, "url": redact(url), "headers": shown_headers,
                   "body": None if body is None else redact(body)}

    # 3. Send with the action's timeout (§5).
    limit = float(timeout if timeout is not None else config.get("timeoutSeconds") or DEFAULT_TIMEOUT_SECONDS)
    status_code, content_type, text = _send(session, method, url, headers, body, limit, run)

    # 4. Non-2xx -> failure; non-JSON -> failure (§5).
    if not 200 <= status_code < 300:
        raise run.fail("check response", "failure",
                       f"remote endpoint answered HTTP {status_code}: {_excerpt(text)}",
                       status=status_code, body=_excerpt(text))
    if text.strip() == "":
        # An empty 2xx body (202/204) is undocumented (§9 question 5); Genesys's own Set-Participant-Attribute
        # module (§1.2 F) targets a void endpoint with successTemplate ${rawResult}, so it must be tolerated:
        # we read it as the empty object.
        text = "{}"
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise run.fail("check response", "failure",
                       f"remote endpoint answered HTTP {status_code} with a body that is not JSON ({exc}); Genesys "
                       f"reports 400 BAD_REQUEST ACTION.REMOTE_ENDPOINT: {_excerpt(text)}",
                       status=status_code, contentType=content_type, body=_excerpt(text)) from None
    run.ok("check response", status=status_code, json=document)

    # 5. Translation map with Jayway JSONPath; missing -> default (JSON text); null stays null (§3.3, §3.4).
    defaults = response_config.get("translationMapDefaults") or {}
    values_as_json: dict[str, str] = {}
    resolved: dict[str, dict] = {}
    for key, path_text in (response_config.get("translationMap") or {}).items():
        try:
            value = jsonpath.evaluate(path_text, document)
        except jsonpath.JsonPathError as exc:
            raise run.fail("apply translation map", "failure", f"translationMap {key!r}: {exc}",
                           resolved=resolved) from None
        if value is not jsonpath.MISSING:
            values_as_json[key] = json.dumps(value, ensure_ascii=False)
            resolved[key] = {"path": path_text, "value": value, "from": "response"}
            continue
        if key not in defaults:
            raise run.fail("apply translation map", "failure",
                           f"translationMap {key!r}: {path_text} found nothing in the response and "
                           f"translationMapDefaults has no {key!r} entry", resolved=resolved)
        try:
            default_value = json.loads(defaults[key])
        except ValueError:
            raise run.fail("apply translation map", "failure",
                           f"translationMapDefaults {key!r} is not valid JSON text: {defaults[key]!r} (it is "
                           "substituted as raw JSON; a string default needs quotes, e.g. \"\\\"UNKNOWN\\\"\")",
                           resolved=resolved) from None
        values_as_json[key] = defaults[key]
        resolved[key] = {"path": path_text, "value": default_value, "from": "default"}
    run.ok("apply translation map", resolved=resolved)

    # 6. Success template with ${rawResult} and each map value as JSON text; parse it (§3.3, §3.5 step 6).
    success_context = {**values_as_json, "rawResult": text}
    rendered = _render(response_config.get("successTemplate", "${rawResult}"), success_context, run,
                       "render success template", "success template")
    try:
        result = json.loads(rendered)
    except ValueError as exc:
        raise run.fail("render success template", "failure",
                       f"success template rendered text that is not JSON ({exc}): {_excerpt(rendered)}",
                       text=_excerpt(rendered)) from None
    run.ok("render success template", text=_excerpt(rendered), result=result)

    # 7. Output contract (draft-04), then Architect's flattened view (§2).
    violations = _schema_violations(action["contract"]["output"]["successSchema"], result)
    if violations:
        raise run.fail("validate output", "failure",
                       "result does not match the output contract: " + "; ".join(violations), violations=violations)
    run.ok("validate output")
    if not isinstance(result, dict):
        raise run.fail("flatten", "failure",
                       f"the success template must produce a JSON object for Architect, got {type(result).__name__}")
    run.ok("flatten", outputs=_flatten(result))
    return result


def _send(session, method, url, headers, body, limit, run: _Run):
    """Send the request within `limit` seconds overall; returns (status, content type, body text)."""
    started = time.monotonic()
    deadline = started + limit

    def timed_out(message: str):
        return run.fail("send request", "timeout", message, method=method, url=run.request["url"],
                        timeoutSeconds=limit, elapsedMs=round((time.monotonic() - started) * 1000.0, 1))

    try:
        response = session.request(method, url, headers=headers,
                                   data=None if body is None else body.encode("utf-8"),
                                   timeout=(limit, limit), stream=True)
        chunks = []
        with response:
            for chunk in response.iter_content(65536):
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise timed_out(f"no complete response within the action timeout of {limit:g} s")
    except requests.Timeout:
        raise timed_out(f"no response within the action timeout of {limit:g} s") from None
    except requests.ConnectionError as exc:
        # requests reports a read timeout while streaming the body as a ConnectionError.
        if time.monotonic() >= deadline or "timed out" in str(exc).lower():
            raise timed_out(f"no complete response within the action timeout of {limit:g} s") from None
        raise run.fail("send request", "failure", f"cannot reach {run.request['url']}: {connection_reason(exc)}",
                       method=method, url=run.request["url"]) from None
    except requests.RequestException as exc:
        raise run.fail("send request", "failure", f"request to {run.request['url']} failed: {exc}",
                       method=method, url=run.request["url"]) from None
    if time.monotonic() > deadline:
        raise timed_out(f"no complete response within the action timeout of {limit:g} s")
    raw = b"".join(chunks)
    charset = requests.utils.get_encoding_from_headers(response.headers)
    content_type = response.headers.get("Content-Type", "")
    # JSON is UTF-8 unless the server says otherwise (requests would guess ISO-8859-1 for text/* without charset).
    text = raw.decode(charset if charset and "charset" in content_type.lower() else "utf-8", errors="replace")
    run.ok("send request", method=method, url=run.request["url"], status=response.status_code,
           contentType=content_type, elapsedMs=round((time.monotonic() - started) * 1000.0, 1),
           body=_excerpt(text))
    return response.status_code, content_type, text
