"""Real local HTTP servers standing in for Salesforce, HubSpot, Zendesk and Dynamics 365, token endpoints
included, answering in each vendor's documented shapes (tests/crm/VENDOR_SOURCES.md lists the pages).

Each stand-in holds Ann with her phone number stored the way people type it, not in E.164, and finds her
the way the vendor documents its search: Salesforce SOSL splits words on punctuation, Zendesk's
`phone:*digits` ignores formatting, HubSpot and Dataverse compare the stored text exactly.

    with VendorStandIn("salesforce") as crm:
        crm.url, crm.token_url     # COMPANION_CRM_BASE_URL, COMPANION_CRM_TOKEN_URL
        crm.token_calls            # token endpoint calls so far
        crm.revoke_tokens()        # every token issued so far now gets 401 (as an expired session does)
        crm.throttle(1, "0")       # the next API request answers 429 with Retry-After: 0
        crm.fail(503)              # every API request answers 503 until crm.fail(None)
        crm.compress = True        # answers gzip-encoded when the client accepts it
        crm.delay_s = 0.2          # API answers after 200 ms (the benchmark's CRM latency)
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

CLIENT_ID = "companion-test-client"
CLIENT_SECRET = "companion-test-secret-0123456789"
PRIVATE_TOKEN = "pat-na1-00000000-test-token"
ZENDESK_EMAIL = "agent@example.com"
ZENDESK_TOKEN = "zendesk-api-token-0123456789"
TENANT = "contoso.onmicrosoft.com"

ANN_E164 = "+13175550116"
ANN_GUID = "8a5c1d2e-0b7f-4c3a-9e21-5f6d7c8b9a01"

# Ann as each vendor stores her. The phone is typed differently in each.
ANN_SALESFORCE = {
    "attributes": {"type": "Contact", "url": "/services/data/v62.0/sobjects/Contact/003Dn00000QX9fKIAT"},
    "Id": "003Dn00000QX9fKIAT",
    "FirstName": "Ann",
    "LastName": "Lee",
    "Name": "Ann Lee",
    "Email": "ann.lee@example.com",
    "Phone": "(317) 555-0116",
    "Account": {"attributes": {"type": "Account", "url": "/services/data/v62.0/sobjects/Account/001Dn"}, "AccountNumber": "AC-77"},
    "Tier__c": "gold",
}
ANN_HUBSPOT = {
    "id": "51",
    "properties": {
        "createdate": "2024-03-05T10:00:00.000Z",
        "email": "ann.lee@example.com",
        "firstname": "Ann",
        "hs_language": "en-us",
        "hs_object_id": "51",
        "lastmodifieddate": "2024-05-01T10:00:00.000Z",
        "lastname": "Lee",
        "mobilephone": None,
        "phone": "317-555-0116",
        "customer_tier": "gold",
    },
    "createdAt": "2024-03-05T10:00:00.000Z",
    "updatedAt": "2024-05-01T10:00:00.000Z",
    "archived": False,
}
ANN_ZENDESK = {
    "id": 35436,
    "url": "https://example.zendesk.com/api/v2/users/35436.json",
    "name": "Ann Lee",
    "email": "ann.lee@example.com",
    "phone": "+1 317.555.0116",
    "locale": "en-US",
    "role": "end-user",
    "user_fields": {"tier": "gold"},
    "result_type": "user",
}
ANN_DYNAMICS = {
    "@odata.etag": 'W/"4418563"',
    "contactid": ANN_GUID,
    "firstname": "Ann",
    "lastname": "Lee",
    "fullname": "Ann Lee",
    "emailaddress1": "ann.lee@example.com",
    "telephone1": "+1 317-555-0116",
    "mobilephone": None,
    "new_tier": "gold",
}


class VendorStandIn:
    """One vendor's API and token endpoint on 127.0.0.1, in a thread."""

    def __init__(self, vendor: str):
        self.vendor = vendor
        self.token_calls = 0
        self.api_calls = 0
        self.compress = False
        self.delay_s = 0.0
        self.requests: list[dict] = []
        self._valid_tokens: set[str] = set()
        self._throttle: list[str] = []
        self._fail: int | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.token_url = {
            "salesforce": f"{self.url}/services/oauth2/token",
            "dynamics": f"{self.url}/{TENANT}/oauth2/v2.0/token",
        }.get(vendor, "")
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def __enter__(self) -> VendorStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- switches ----------------------------------------------------------------------------------

    def revoke_tokens(self) -> None:
        with self._lock:
            self._valid_tokens.clear()

    def throttle(self, count: int, retry_after: str) -> None:
        with self._lock:
            self._throttle = [retry_after] * count

    def fail(self, status: int | None) -> None:
        with self._lock:
            self._fail = status

    # -- token endpoint ------------------------------------------------------------------------------

    def issue_token(self, form: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            self.token_calls += 1
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 400 if self.vendor == "salesforce" else 401, {
                "error": "invalid_client",
                "error_description": "invalid client credentials",
            }
        token = "tok-" + secrets.token_hex(8)
        with self._lock:
            self._valid_tokens.add(token)
        if self.vendor == "salesforce":
            # No expires_in: Salesforce's client-credentials answer does not say when the token expires.
            return 200, {
                "access_token": token,
                "signature": "c2lnbmF0dXJl",
                "scope": "api",
                "instance_url": self.url,
                "id": f"{self.url}/id/00DDn00000ABCDE/005Dn00000FGHIJ",
                "token_type": "Bearer",
                "issued_at": "1717000000000",
                "api_instance_url": self.url,
            }
        if not form.get("scope", "").endswith("/.default"):
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: scope must end in /.default"}
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    # -- API -----------------------------------------------------------------------------------------

    def authorised(self, headers) -> bool:
        value = headers.get("Authorization", "")
        if self.vendor in ("salesforce", "dynamics"):
            with self._lock:
                return value.startswith("Bearer ") and value[7:] in self._valid_tokens
        if self.vendor == "hubspot":
            return value == f"Bearer {PRIVATE_TOKEN}"
        expected = base64.b64encode(f"{ZENDESK_EMAIL}/token:{ZENDESK_TOKEN}".encode()).decode()
        return value == f"Basic {expected}"

    def answer(self, method: str, path: str, query: dict[str, str], body: bytes) -> tuple[int, dict]:
        """(status, JSON document) for one authorised API request, per the vendor's documented shapes."""
        with self._lock:
            self.api_calls += 1
            if self._fail is not None:
                return self._fail, {"message": "unavailable"}
        return getattr(self, f"_{self.vendor}")(method, path, query, body)

    def throttled(self) -> str | None:
        with self._lock:
            return self._throttle.pop() if self._throttle else None

    def _salesforce(self, method, path, query, body):
        if path.startswith("/services/data/v62.0/sobjects/Contact/"):
            if path.rsplit("/", 1)[1] == ANN_SALESFORCE["Id"]:
                return 200, _only(ANN_SALESFORCE, query.get("fields", ""))
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        if path != "/services/data/v62.0/search/":
            return 404, [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
        sosl = query.get("q", "")
        match = re.match(r"^FIND \{(.*)\} IN (PHONE|EMAIL) FIELDS RETURNING Contact\((.*) LIMIT 1\)$", sosl)
        if not match:
            return 400, [{"errorCode": "MALFORMED_SEARCH", "message": f"bad SOSL: {sosl}"}]
        terms, group, fields = match.groups()
        found = False
        if group == "PHONE":
            words = re.findall(r"\d+", ANN_SALESFORCE["Phone"])
            for term in terms.split(" OR "):
                wanted = re.findall(r"\d+", term)
                found |= any(words[i : i + len(wanted)] == wanted for i in range(len(words)))
        else:
            found = terms.replace("\\", "").lower() == ANN_SALESFORCE["Email"]
        return 200, {"searchRecords": [_only(ANN_SALESFORCE, fields.replace(" ", ""))] if found else []}

    def _hubspot(self, method, path, query, body):
        if method != "POST" or path != "/crm/v3/objects/contacts/search":
            return 404, {"status": "error", "message": "not found", "category": "OBJECT_NOT_FOUND"}
        request = json.loads(body)
        props = ANN_HUBSPOT["properties"]
        found = False
        for group in request.get("filterGroups", []):
            ok = True
            for rule in group["filters"]:
                stored = props.get(rule["propertyName"])
                if rule["operator"] == "EQ":
                    ok &= stored is not None and str(stored).lower() == str(rule["value"]).lower()
                elif rule["operator"] == "IN":
                    ok &= stored is not None and stored in rule["values"]
                else:
                    return 400, {"status": "error", "message": f"unknown operator {rule['operator']}"}
            found |= ok
        result = {**ANN_HUBSPOT, "properties": {k: props[k] for k in request.get("properties", []) if k in props}}
        return 200, {"total": 1 if found else 0, "results": [result] if found else []}

    def _zendesk(self, method, path, query, body):
        if path == f"/api/v2/users/{ANN_ZENDESK['id']}.json":
            return 200, {"user": {k: v for k, v in ANN_ZENDESK.items() if k != "result_type"}}
        if path.startswith("/api/v2/users/"):
            return 404, {"error": "RecordNotFound", "description": "Not found"}
        if path != "/api/v2/search.json":
            return 404, {"error": "InvalidEndpoint", "description": "Not found"}
        text = query.get("query", "")
        found = False
        phone = re.fullmatch(r"type:user phone:\*(\d+)", text)
        mail = re.fullmatch(r"type:user email:(\S+)", text)
        if phone:
            found = re.sub(r"\D", "", ANN_ZENDESK["phone"]).endswith(phone.group(1))
        elif mail:
            found = mail.group(1).lower() == ANN_ZENDESK["email"]
        results = [ANN_ZENDESK] if found else []
        return 200, {"results": results, "facets": None, "next_page": None, "previous_page": None, "count": len(results)}

    def _dynamics(self, method, path, query, body):
        select = query.get("$select", "")
        context = f"{self.url}/api/data/v9.2/$metadata#contacts({select})"
        if path == f"/api/data/v9.2/contacts({ANN_GUID})":
            return 200, {"@odata.context": context + "/$entity", **_only(ANN_DYNAMICS, "@odata.etag," + select)}
        if path != "/api/data/v9.2/contacts":
            return 404, {"error": {"code": "0x80060888", "message": "Resource not found for the segment"}}
        condition = query.get("$filter", "")
        found = False
        for column, literal in re.findall(r"(\w+) eq '((?:[^']|'')*)'", condition):
            found |= ANN_DYNAMICS.get(column) == literal.replace("''", "'")
        rows = [_only(ANN_DYNAMICS, "@odata.etag," + select)] if found else []
        return 200, {"@odata.context": context, "value": rows}


def _only(record: dict, fields: str) -> dict:
    wanted = {name.split(".")[0] for name in fields.split(",") if name}
    return {k: v for k, v in record.items() if k in wanted or k == "attributes"}


def _handler(standin: VendorStandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_GET(self):
            self._serve()

        def do_POST(self):
            self._serve()

        def _serve(self):
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            standin.requests.append({"method": self.command, "path": parts.path, "query": query, "body": body})
            if parts.path == urllib.parse.urlsplit(standin.token_url).path and standin.token_url:
                form = dict(urllib.parse.parse_qsl(body.decode()))
                self._send(*standin.issue_token(form))
                return
            if not standin.authorised(self.headers):
                self._send(401, [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}])
                return
            if standin.delay_s:
                time.sleep(standin.delay_s)
            retry_after = standin.throttled()
            if retry_after is not None:
                self._send(429, {"message": "rate limit"}, {"Retry-After": retry_after})
                return
            self._send(*standin.answer(self.command, parts.path, query, body))

        def _send(self, status: int, document, headers=None):
            data = json.dumps(document).encode()
            extra = dict(headers or {})
            if standin.compress and "gzip" in self.headers.get("Accept-Encoding", ""):
                data = gzip.compress(data)
                extra["Content-Encoding"] = "gzip"
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler
