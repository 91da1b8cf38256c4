"""Why a participant-attributes request returned 2xx and stored nothing: the findings for one HttpRequest."""

from __future__ import annotations

import dataclasses
import json

from architect.doctor.api_paths import ApiPaths
from architect.doctor.api_paths import Operation
from architect.doctor.api_paths import path_segments
from architect.doctor.findings import ERROR
from architect.doctor.findings import Finding
from architect.doctor.findings import finding
from architect.doctor.flow_keys import FlowKeys
from architect.doctor.request import HttpRequest
from architect.doctor.request import split_url

# The body model of every endpoint that writes participant attributes, as the SDK names it.
ATTRIBUTES_MODEL = "ParticipantAttributes"
# The media-independent endpoint; the media-specific ones put calls/, callbacks/, emails/ ... after conversations/.
GENERIC_ATTRIBUTES_PATH = "/api/v2/conversations/{conversationId}/participants/{participantId}/attributes"
_BODYLESS = {"GET", "HEAD", "DELETE", "OPTIONS"}


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """The findings for one request, the operation it reached (None when none), and the attributes it carried."""

    request: HttpRequest
    findings: tuple[Finding, ...]
    operation: Operation | None
    target: Operation
    attributes: dict | None
    body: object

    @property
    def persists(self) -> bool:
        """Whether the request, as sent, would store the attributes: no finding is an error."""
        return not any(f.severity == ERROR for f in self.findings)


def _json_type(value) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array", dict: "object"}[type(value)]


def carried_attributes(body) -> dict | None:
    """The attribute map the caller meant to write, wherever they put it; None when there is none."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("attributes"), dict):
        return body["attributes"]
    for key in ("customAttributes", "externalAttributes", "participantAttributes", "data", "participantData"):
        if isinstance(body.get(key), dict):
            return body[key]
    participants = body.get("participants")
    if isinstance(participants, list):
        for item in participants:
            if isinstance(item, dict):
                found = carried_attributes(item) or next(
                    (carried_attributes(v) for v in item.values() if isinstance(v, dict) and carried_attributes(v)),
                    None)
                if found:
                    return found
    return None


def _is_flat_map(body: dict, known: set[str]) -> bool:
    """A body that is itself the key/value map (`{"caseId": "123"}`), with no field of any known model."""
    return bool(body) and not (set(body) & known) and all(not isinstance(v, dict | list) for v in body.values())


class _Diagnoser:
    def __init__(self, request: HttpRequest, paths: ApiPaths, flow: FlowKeys | None):
        self.request = request
        self.paths = paths
        self.flow = flow
        self.findings: list[Finding] = []
        self.source = paths.source
        self.flat_map: dict | None = None  # the body itself, when it is the key/value map

    def add(self, rule: str, message: str, where: str = "") -> None:
        self.findings.append(finding(rule, message, where, self.source))

    def run(self) -> Diagnosis:
        self.check_host()
        operation, target = self.check_path()
        body = self.check_body(operation, target)
        attributes = self.flat_map if self.flat_map is not None else carried_attributes(body)
        self.check_headers(operation or target)
        self.check_flow_risks(attributes)
        return Diagnosis(self.request, tuple(self.findings), operation, target, attributes, body)

    def check_host(self) -> None:
        origin, _path = split_url(self.request.url)
        if not origin:
            return  # a bare path: nothing to say about the host
        hosts = sorted(set(self.paths.region_hosts.values()))
        if origin.startswith("http://") and "https://" + origin[len("http://"):] in hosts:
            self.add("DR014", f"{origin} is plain http; the Genesys Cloud API hosts are https "
                              f"(the SDK's region list): use https://{origin[len('http://'):]}", "url")
        elif origin not in hosts:
            self.add("DR014", f"{origin} is not one of the {len(hosts)} Genesys Cloud API hosts "
                              f"(https://api.mypurecloud.com, https://api.mypurecloud.ie, https://api.usw2.pure.cloud, "
                              f"...; the SDK's region list); the request may never have reached Genesys Cloud",
                     "url")

    def check_path(self) -> tuple[Operation | None, Operation]:
        """The operation the request reached (or None), and the attributes operation the correction should use."""
        method = self.request.method
        path = "/" + "/".join(path_segments(self.request.url))
        generic = self.paths.operation("PATCH", GENERIC_ATTRIBUTES_PATH)
        matches = self.paths.operations_for(path)
        if not matches:
            nearest = self.paths.nearest(path, method)
            self.add("DR001", f"{method} {path} is not in the API ({len(self.paths.operations)} operations of "
                              f"{self.paths.sdk} {self.paths.version}); the nearest real path is "
                              f"{nearest.verb} {nearest.path} ({nearest.summary.rstrip('.')})", "path")
            return None, generic
        by_verb = [op for op in matches if op.verb == method]
        attributes_ops = [op for op in matches if op.body_model == ATTRIBUTES_MODEL]
        if not by_verb:
            verbs = ", ".join(sorted({op.verb for op in matches}))
            template = matches[0].path
            self.add("DR003", f"{template} takes {verbs}, not {method}", "method")
            return None, attributes_ops[0] if attributes_ops else generic
        operation = by_verb[0]
        if operation.body_model == ATTRIBUTES_MODEL:
            if operation.path != GENERIC_ATTRIBUTES_PATH:
                media = operation.path.split("/")[4].removesuffix("s")  # calls -> call, emails -> email
                self.add("DR008", f"{operation.path} works only when the conversation is a {media} conversation and "
                                  f"returns the attributes; {GENERIC_ATTRIBUTES_PATH} works for every media type",
                         "path")
            return operation, operation
        fields = self.paths.models.get(operation.body_model or "", {})
        if operation.path.endswith("/participants/{participantId}") and "attributes" not in fields:
            listed = ", ".join(fields) if fields else "no body"
            self.add("DR002", f"{operation.verb} {operation.path} ({operation.method}) takes "
                              f"{operation.body_model or 'no body'} ({listed}); an `attributes` field there is unknown "
                              f"and ignored, so the call can answer 2xx and store nothing", "path")
        else:
            self.add("DR015", f"{operation.verb} {operation.path} is {operation.method} "
                              f"({operation.summary.rstrip('.')}); participant attributes are written with "
                              f"PATCH {GENERIC_ATTRIBUTES_PATH}", "path")
        return operation, generic

    def check_body(self, operation: Operation | None, target: Operation):
        request = self.request
        if request.method in _BODYLESS and request.body is None:
            self.add("DR006", f"a {request.method} request has no body, so it carries no attributes", "body")
            return None
        if request.body is None or not request.body.strip():
            self.add("DR006", "the request has no body; the attributes endpoint takes {\"attributes\": {...}}", "body")
            return None
        content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            sent = content_type or "none"
            hint = (" (curl -d sends application/x-www-form-urlencoded unless told otherwise)"
                    if content_type == "application/x-www-form-urlencoded" else "")
            self.add("DR012", f"Content-Type is {sent}{hint}; send -H 'Content-Type: application/json'",
                     "header Content-Type")
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            self.add("DR013", f"the body is not valid JSON: {exc}", "body")
            return None
        if not isinstance(body, dict):
            self.add("DR013", f"the body is a JSON {_json_type(body)}; it must be an object "
                              "{\"attributes\": {\"key\": \"value\"}}", "body")
            return body
        model_name = operation.body_model if operation is not None else target.body_model
        model = self.paths.models.get(model_name or "", {})
        participant_fields = set(self.paths.models.get("Participant", {})) - {"attributes"}
        sent_back = sorted(set(body) & participant_fields)
        if len(sent_back) >= 2:
            self.add("DR007", f"the body carries participant fields {', '.join(sent_back)}: it looks like the "
                              f"participant read with GET and sent back; send only {{\"attributes\": {{...}}}}", "body")
        ignored = [key for key in body if key not in model and key != "attributes"]
        if ignored and model_name:
            self.add("DR005", f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} not in {model_name} "
                              f"({', '.join(model) or 'no fields'})", "body")
        attributes = body.get("attributes")
        if attributes is None:
            known = set(model) | participant_fields | {"participants"}
            if _is_flat_map(body, known):
                self.flat_map = body
                self.add("DR006", "the body is the key/value map itself; wrap it: {\"attributes\": {...}}", "body")
            else:
                self.add("DR006", "the body has no `attributes` object; the attributes endpoint takes "
                                  "{\"attributes\": {\"key\": \"value\"}}", "body")
        elif attributes == {}:
            self.add("DR006", "`attributes` is empty: there is nothing to store", "body.attributes")
        elif not isinstance(attributes, dict):
            self.add("DR006", f"`attributes` is a JSON {_json_type(attributes)}, not an object of key/value strings",
                     "body.attributes")
        values = attributes if isinstance(attributes, dict) else self.flat_map or carried_attributes(body) or {}
        for key, value in values.items():
            if not isinstance(value, str):
                shown = json.dumps(value)
                self.add("DR004", f"{key!r} is a JSON {_json_type(value)} ({shown[:60]}); send it as the string "
                                  f"{json.dumps(as_attribute_string(value))[:60]}", f"body.attributes.{key}")
        return body

    def check_headers(self, operation: Operation) -> None:
        if self.request.header("If-Match") is not None and "If-Match" not in operation.headers:
            self.add("DR009", f"{operation.method} declares no If-Match header; an ETag that changed since it was "
                              f"read (a voice call changes often) gets 412 Precondition Failed and nothing is written: "
                              f"drop the header", "header If-Match")

    def check_flow_risks(self, attributes: dict | None) -> None:
        keys = set(attributes or {})
        if self.flow is not None:
            clash = sorted(keys & self.flow.sets)
            read = sorted(keys & self.flow.reads)
            if clash:
                self.add("DR010", f"{self.flow.file} sets {', '.join(clash)} with Set Participant Data: while that "
                                  f"flow runs on the call, its value wins when the flow ends", "flow")
            if read:
                self.add("DR010", f"{self.flow.file} reads {', '.join(read)} with Get Participant Data: a voice flow "
                                  f"keeps its own copy and writes it back when the flow ends, overwriting this write",
                         "flow")
        else:
            self.add("DR010", "if a voice flow is running on this call and sets or reads the same keys, the value "
                              "it holds is written back when the flow ends (check with --flow FLOW.yaml)", "flow")
        self.add("DR011", "write while the conversation is live: analytics cannot reopen a completed conversation "
                          "to save attributes written afterwards", "timing")


def as_attribute_string(value) -> str:
    """How a non-string attribute value is best sent: true/false, the number as written, JSON for structures."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def diagnose(request: HttpRequest, paths: ApiPaths, flow: FlowKeys | None = None) -> Diagnosis:
    """Every finding for the request, against the recorded API paths (and a flow's keys when given)."""
    return _Diagnoser(request, paths, flow).run()

