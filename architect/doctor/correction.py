"""The corrected request for a diagnosis: curl, and the Python and JavaScript SDK calls that send it."""

from __future__ import annotations

import dataclasses
import json

from architect.doctor.api_paths import ApiPaths
from architect.doctor.api_paths import is_placeholder
from architect.doctor.api_paths import path_segments
from architect.doctor.curl import render_curl
from architect.doctor.diagnose import Diagnosis
from architect.doctor.diagnose import as_attribute_string
from architect.doctor.request import HttpRequest
from architect.doctor.request import split_url

DEFAULT_API_HOST = "https://api.mypurecloud.com"  # us-east-1, the SDK's default region (PureCloudRegionHosts)


@dataclasses.dataclass(frozen=True)
class Correction:
    """The request to send instead, and how each SDK sends it."""

    request: HttpRequest
    operation_path: str
    python: str
    javascript: str
    python_method: str
    javascript_method: str
    notes: tuple[str, ...]

    def as_dict(self) -> dict:
        """The correction as a JSON-ready dict (for --json)."""
        return {
            **self.request.as_dict(),
            "operation": self.operation_path,
            "curl": render_curl(self.request),
            "python": {"method": self.python_method, "code": self.python},
            "javascript": {"method": self.javascript_method, "code": self.javascript},
            "notes": list(self.notes),
        }


def _ids(diagnosis: Diagnosis, paths: ApiPaths) -> tuple[str, str]:
    """Conversation and participant id from the path (value segments in order), else from the body, else placeholders."""
    values = [s for s in path_segments(diagnosis.request.url)
              if s.lower() not in paths.literals and not is_placeholder(s)]
    conversation = values[0] if values else "{conversationId}"
    participant = values[1] if len(values) > 1 else None
    body = diagnosis.body if isinstance(diagnosis.body, dict) else {}
    if participant is None:
        if isinstance(body.get("participantId"), str):
            participant = body["participantId"]
        elif isinstance(body.get("participants"), list):
            participant = next((p["id"] for p in body["participants"]
                                if isinstance(p, dict) and isinstance(p.get("id"), str)), None)
    return conversation, participant or "{participantId}"


def correct(diagnosis: Diagnosis, paths: ApiPaths) -> Correction:
    """The request that stores the same attributes: PATCH .../attributes, string values, JSON, no If-Match."""
    notes = []
    origin, _path = split_url(diagnosis.request.url)
    secure = "https://" + origin[len("http://"):] if origin.startswith("http://") else origin
    if secure in paths.region_hosts.values():
        origin = secure
    else:
        notes.append(f"host {origin} replaced by {DEFAULT_API_HOST}; use your region's API host" if origin else
                     f"no host given: {DEFAULT_API_HOST} (us-east-1) shown; use your region's API host")
        origin = DEFAULT_API_HOST
    conversation, participant = _ids(diagnosis, paths)
    if "{" in conversation + participant:
        notes.append("fill in the conversation id and the participant id (the customer or external participant, "
                     "the one Set Participant Data writes to in a flow)")
    target = diagnosis.target
    path = target.path.replace("{conversationId}", conversation).replace("{participantId}", participant)
    attributes = {str(k): as_attribute_string(v) for k, v in (diagnosis.attributes or {}).items()}
    if not attributes:
        attributes = {"key": "value"}
        notes.append("the request carried no attribute map doctor could find; put your keys in place of key/value")
    body = json.dumps({"attributes": attributes}, ensure_ascii=False)
    headers = [("Authorization", diagnosis.request.header("Authorization") or "Bearer YOUR_ACCESS_TOKEN"),
               ("Content-Type", "application/json")]
    request = HttpRequest("PATCH", origin + path, tuple(headers), body)
    literal = json.dumps(attributes, ensure_ascii=False)
    ids = f"{json.dumps(conversation)}, {json.dumps(participant)}"
    python = "\n".join([
        "import PureCloudPlatformClientV2",
        "",
        "body = PureCloudPlatformClientV2.ParticipantAttributes()",
        f"body.attributes = {literal}",
        f"PureCloudPlatformClientV2.{target.api_class}(api_client).{target.method}({ids}, body)",
    ])
    javascript = "\n".join([
        f"const api = new platformClient.{target.api_class}();",
        f"await api.{target.javascript_method}({ids}, {{ attributes: {literal} }});",
    ])
    return Correction(request, target.path, python, javascript, f"{target.api_class}.{target.method}",
                      f"{target.api_class}.{target.javascript_method}", tuple(notes))
