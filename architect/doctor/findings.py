"""What `companion doctor` reports: findings, and the catalogue of rule ids with severity, summary and sources.

An `error` means the request, as sent, would not store the attributes (doctor then exits 1). A `warning` is a
risk the request cannot rule out; `info` is context. Every rule names the public sources it rests on.
"""

from __future__ import annotations

import dataclasses

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITY_ORDER = {ERROR: 0, WARNING: 1, INFO: 2}

_SDK_REPO = "https://github.com/MyPureCloud/platform-client-sdk-python/blob/master/build"
_SDK_DOCS = f"{_SDK_REPO}/docs"
# Public sources, each named once. The API path list itself is cited with its SDK version (api_paths.ApiPaths.source).
SOURCES = {
    "api-explorer": "https://developer.genesys.cloud/devapps/api-explorer",  # Genesys's browsable API reference
    "conversations-api-python": f"{_SDK_DOCS}/ConversationsApi.md",
    "conversations-api-javascript":
        "https://github.com/MyPureCloud/platform-client-sdk-javascript/blob/master/build/docs/ConversationsApi.md",
    "media-participant-request": f"{_SDK_DOCS}/MediaParticipantRequest.md",
    "participant-attributes": f"{_SDK_DOCS}/ParticipantAttributes.md",
    "participant": f"{_SDK_DOCS}/Participant.md",
    "set-participant-data": "https://help.mypurecloud.com/articles/set-participant-data-action/",
    "get-participant-data": "https://help.mypurecloud.com/articles/get-participant-data-action/",
    "regions": f"{_SDK_REPO}/PureCloudPlatformClientV2/purecloud_region_hosts.py",
    "curl-data": "https://curl.se/docs/manpage.html#-d",
    "if-match": "https://www.rfc-editor.org/rfc/rfc9110#section-13.1.1",
    "json": "https://www.rfc-editor.org/rfc/rfc8259",
}

# rule id -> (severity, summary, source keys). Ids are stable: docs and tests refer to them.
# "api-paths" stands for the recorded SDK path list (PyPI page of the SDK version it came from).
RULES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "DR001": (ERROR, "path is not in the Genesys Cloud public API", ("api-paths", "api-explorer")),
    "DR002": (ERROR, "participant PATCH: its body model has no `attributes` field, so the attributes are ignored",
              ("media-participant-request", "conversations-api-python")),
    "DR003": (ERROR, "the path exists, but not with this HTTP method", ("api-paths", "conversations-api-python")),
    "DR004": (ERROR, "attribute value is not a string: participant attributes are a map of strings",
              ("participant-attributes", "set-participant-data")),
    "DR005": (WARNING, "field that is not in the operation's body model: it is ignored",
              ("participant-attributes", "media-participant-request")),
    "DR006": (ERROR, "no `attributes` object in the body: there is nothing to store", ("participant-attributes",)),
    "DR007": (WARNING, "the whole participant object sent back: only `attributes` is read, the rest is ignored",
              ("participant", "participant-attributes")),
    "DR008": (INFO, "media-specific /attributes variant: works only on a conversation of that media type",
              ("conversations-api-python",)),
    "DR009": (ERROR, "If-Match header on an operation that declares none: a stale ETag is refused with 412",
              ("api-paths", "if-match")),
    "DR010": (WARNING, "a running voice flow that sets the same keys overwrites them when it ends",
              ("get-participant-data",)),
    "DR011": (INFO, "attributes written after the conversation ended do not reach analytics",
              ("set-participant-data",)),
    "DR012": (ERROR, "the body is not sent as JSON (Content-Type)", ("curl-data", "conversations-api-python")),
    "DR013": (ERROR, "the body is not a JSON object", ("json", "participant-attributes")),
    "DR014": (WARNING, "host is not a Genesys Cloud API host", ("regions",)),
    "DR015": (ERROR, "this operation does not write participant attributes", ("api-paths", "conversations-api-python")),
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One problem with the request: the rule, where (path, body field or header), what is wrong, and sources."""

    rule: str
    message: str
    severity: str
    where: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict:
        """The finding as a JSON-ready dict (for --json)."""
        return {"rule": self.rule, "severity": self.severity, "where": self.where, "message": self.message,
                "sources": list(self.sources)}

    def as_text(self) -> str:
        """`severity RULE where: message` and the sources on the next line."""
        where = f" {self.where}:" if self.where else ""
        return f"{self.severity} {self.rule}{where} {self.message}\n    source: {' ; '.join(self.sources)}"


def finding(rule: str, message: str, where: str = "", api_paths_source: str = "") -> Finding:
    """A Finding with the rule's catalogue severity and its sources resolved to URLs."""
    severity, _summary, keys = RULES[rule]
    urls = tuple(api_paths_source if key == "api-paths" else SOURCES[key] for key in keys)
    return Finding(rule, message, severity, where, tuple(u for u in urls if u))
