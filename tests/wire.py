"""A Graph tenant on the wire: a ``requests`` adapter that answers like Graph and checks every call.

The real ``members.graph.GraphClient`` sends through it, so what is checked is the URL and body
the app would put on the network (DESIGN.md invariants 1 and 2):

- every path segment is a known Graph word or a canonical (lower-case) GUID, in a place where an
  id belongs; a role by template is ``directoryRoles(roleTemplateId='<guid>')``;
- every DELETE (alone or inside a ``$batch``) is ``.../members/<guid>/$ref``;
- every reference in a body (``@odata.id``, ``members@odata.bind``) is ``<base>/directoryObjects/<guid>``;
- only GET, POST (``$batch`` or ``members/$ref``), PATCH (a group) and DELETE are sent.

A call that breaks a rule is recorded in ``violations`` and raises ``AssertionError`` (so a test
client, which re-raises view exceptions, fails loudly too). Answers come from a tiny fixed tenant
(``TENANT``); ``faults`` may replace any answer with a throttle, an outage, garbage or a lost one.
"""

import json
import re
import threading
from collections.abc import Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from members.graph import GraphClient

BASE = "https://graph.wire.test/v1.0"
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BY_TEMPLATE = re.compile(rf"directoryRoles\(roleTemplateId='({GUID.pattern})'\)")
WORDS = {"directory", "administrativeUnits", "groups", "directoryRoles", "members", "$ref", "$count", "$batch",
         "me", "memberOf", "transitiveMemberOf", "scopedRoleMemberOf", "ownedObjects", "users", "devices",
         "directoryObjects", "microsoft.graph.group", "microsoft.graph.administrativeUnit",
         "microsoft.graph.directoryRole", "getByIds", "owners"}
ID_AFTER = {"administrativeUnits", "groups", "directoryRoles", "members", "directoryObjects", "users", "devices", "owners"}
DELETE_PATH = re.compile(rf".*/(members|owners)/{GUID.pattern}/\$ref")

UNIT = "7d2f0c1e-5a4b-4c3d-9e8f-0a1b2c3d4e5f"
GROUP = "02bd9fd6-8f93-4758-87c3-1fb73740a315"
ROLE = "a0b1c2d3-e4f5-4a6b-8c7d-9e0f1a2b3c4d"
ROLE_TEMPLATE = "fdd7a751-b60b-444a-984c-02652fe8fa1c"  # Groups Administrator
MEMBERS = ["4562bcc8-c436-4f95-b7c0-4f8ce89dca5e", "c11b732b-0e16-46c1-b0fa-bd32c8a42455",
           "9b1c3a2e-7f6d-4e5c-8b4a-3d2c1b0a9f8e"]
OUTSIDER = "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b"  # a user who is in no container
TENANT = {
    UNIT: {"id": UNIT, "displayName": "Contoso West"},
    GROUP: {"id": GROUP, "displayName": "Helpdesk Tier 1", "groupTypes": [], "securityEnabled": True, "mailEnabled": False},
    ROLE: {"id": ROLE, "displayName": "Groups Administrator", "roleTemplateId": ROLE_TEMPLATE},
}
PEOPLE = {m: {"id": m, "@odata.type": "#microsoft.graph.user", "displayName": f"Person {n}",
              "userPrincipalName": f"person{n}@contoso.example"} for n, m in enumerate(MEMBERS + [OUTSIDER])}

# What a fault may put in place of an answer: (status, headers, body); None is a lost answer.
FAULTS = {
    "429": (429, {"Retry-After": "0"}, {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}),
    "503": (503, {"Retry-After": "0"}, {"error": {"code": "UnknownError", "message": ""}}),
    "504": (504, {}, {"error": {"code": "UnknownError", "message": ""}}),
    "500": (500, {}, {"error": {"code": "InternalServerError", "message": "boom"}}),
    "403": (403, {}, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}),
    "404": (404, {}, {"error": {"code": "Request_ResourceNotFound", "message": "Resource does not exist."}}),
    "400": (400, {}, {"error": {"code": "Request_BadRequest", "message": "Invalid object identifier."}}),
    "401": (401, {}, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired."}}),
    "html": (502, {"Content-Type": "text/html"}, "<html><body>Bad gateway</body></html>"),
    "not-json": (200, {"Content-Type": "application/json"}, "{not json"),
    "odd-json": (200, {"Content-Type": "application/json"}, [1, 2, 3]),
    "drop": None,
}


class WireViolation(AssertionError):
    """The app put something on the wire that the security invariants forbid."""


class GraphWire(BaseAdapter):
    """Answers Graph calls from ``TENANT``, checking each; ``faults`` yields a fault name or None per call."""

    def __init__(self, faults: Iterator[str | None] | None = None) -> None:
        super().__init__()
        self.faults = faults
        self.sent: list[tuple[str, str]] = []  # (method, path?query) of every call, $batch items included
        self.violations: list[str] = []
        # (method, member) of every write whose success reached the app: not one a fault replaced,
        # nor an item of a $batch whose whole answer was lost (what "done" may rest on).
        self.confirmed: list[tuple[str, str]] = []
        self._writing: list[tuple[str, str]] = []  # the write being answered (for a fault that answers 2xx)
        self._lock = threading.Lock()

    # --- checking ---------------------------------------------------------------------------

    def _refuse(self, why: str) -> None:
        with self._lock:
            self.violations.append(why)
        raise WireViolation(why)

    def check_path(self, method: str, path: str) -> None:
        """``path`` is relative to the version (``/groups/<id>/members``)."""
        self.sent.append((method, path))
        segments = path.split("?", 1)[0].strip("/").split("/")
        previous = ""
        for segment in segments:
            if segment in WORDS:
                pass
            elif GUID.fullmatch(segment) and previous in ID_AFTER:
                pass
            elif BY_TEMPLATE.fullmatch(segment):
                pass
            else:
                self._refuse(f"{method} {path}: segment {segment!r} is neither a Graph word nor a canonical id")
            previous = segment
        if method == "DELETE" and not DELETE_PATH.fullmatch(path.split("?", 1)[0]):
            self._refuse(f"DELETE {path} is not a member reference ending in /$ref")
        if method not in {"GET", "POST", "PATCH", "DELETE"}:
            self._refuse(f"{method} {path}: the app never sends this method")

    def check_reference(self, url: object) -> str:
        match = re.fullmatch(rf"{re.escape(BASE)}/directoryObjects/({GUID.pattern})", str(url))
        if not match:
            self._refuse(f"a member reference {url!r} is not {BASE}/directoryObjects/<guid>")
        return match.group(1)

    # --- answering --------------------------------------------------------------------------

    def answer(self, method: str, path: str, body: object) -> tuple[int, dict, object]:
        """One call's (status, headers, body) from the fixed tenant."""
        self.check_path(method, path)
        bare = path.split("?", 1)[0].rstrip("/")
        parts = bare.strip("/").split("/")
        if method == "POST" and bare.endswith("/owners/$ref") and len(parts) == 4 and parts[0] == "groups":
            self.check_reference((body or {}).get("@odata.id") if isinstance(body, dict) else None)
            return 204, {}, None  # an owner added (owners are not the members the journal checks compare)
        if method == "POST" and bare.endswith("/members/$ref"):
            member = self.check_reference((body or {}).get("@odata.id") if isinstance(body, dict) else None)
            self._writing = [("add", member)]
            if member in MEMBERS:
                return 400, {}, {"error": {"code": "Request_BadRequest", "message": "One or more added object references already exist for the following modified properties: 'members'."}}
            return self._confirmed("add", [member]) if member in PEOPLE else FAULTS["404"]
        if method == "PATCH":
            if not (len(parts) == 2 and parts[0] == "groups") or not isinstance(body, dict) or set(body) != {"members@odata.bind"}:
                self._refuse(f"PATCH {path} {body!r}: only a group's members@odata.bind is ever patched")
            return self._confirmed("add", [self.check_reference(url) for url in body["members@odata.bind"]])
        if method == "DELETE" and parts[-3] == "owners":
            return (204, {}, None) if parts[-2] in PEOPLE else FAULTS["404"]
        if method == "DELETE":
            self._writing = [("remove", parts[-2])]
            return self._confirmed("remove", [parts[-2]]) if parts[-2] in MEMBERS + [OUTSIDER] and self._container(parts) \
                else FAULTS["404"]
        if method == "POST" and parts == ["directoryObjects", "getByIds"]:
            ids = (body or {}).get("ids") if isinstance(body, dict) else None
            if not isinstance(ids, list) or not 1 <= len(ids) <= 1000 or not all(GUID.fullmatch(str(i)) for i in ids):
                self._refuse(f"getByIds with {body!r}: 1 to 1,000 canonical ids")
            return 200, {}, {"value": [PEOPLE[i] for i in ids if i in PEOPLE]}  # ids of no object are left out
        if method == "POST":
            self._refuse(f"POST {path}: only $batch, members/$ref and getByIds are ever posted")
        return self._read(parts, path)

    def _confirmed(self, action: str, members: list[str]) -> tuple[int, dict, object]:
        self._writing = [(action, member) for member in members]
        self.confirmed += self._writing  # taken back by _faulted if its answer is lost
        return 204, {}, None

    def _container(self, parts: list[str]) -> dict | None:
        for part in parts:
            if part in TENANT:
                return TENANT[part]
            if (match := BY_TEMPLATE.fullmatch(part)) and match.group(1) == ROLE_TEMPLATE:
                return TENANT[ROLE]
        return None

    def _read(self, parts: list[str], path: str) -> tuple[int, dict, object]:
        if parts[0] == "me" or parts[-1] in {"memberOf", "microsoft.graph.administrativeUnit"} or parts[0] in {"users", "devices"}:
            return 200, {}, {"value": []}
        if parts == ["directoryRoles"]:
            return 200, {}, {"value": [TENANT[ROLE]]}
        if parts in (["groups"], ["directory", "administrativeUnits"]):
            kind = "groups" if parts == ["groups"] else "units"
            return 200, {}, {"value": [TENANT[GROUP if kind == "groups" else UNIT]], "@odata.count": 1}
        if parts[0] == "directoryObjects":
            return (200, {}, PEOPLE[parts[1]]) if parts[1] in PEOPLE else FAULTS["404"]
        container = self._container(parts)
        if container is None:
            return FAULTS["404"]
        if parts[-1] == "$count":
            return 200, {"Content-Type": "text/plain"}, str(len(MEMBERS))
        if "members" in parts and parts[-1] != "members" and parts[-1] not in WORDS:
            return (200, {}, {"id": parts[-1]}) if parts[-1] in MEMBERS else FAULTS["404"]
        if parts[-1] in {"members", "microsoft.graph.group"}:
            return 200, {}, {"value": [PEOPLE[m] for m in MEMBERS], "@odata.count": len(MEMBERS)}
        if parts[-1] == "owners":  # a group's owners: its first member
            return 200, {}, {"value": [PEOPLE[MEMBERS[0]]]}
        return 200, {}, container

    def _batch(self, body: object) -> tuple[int, dict, object]:
        if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
            self._refuse(f"a $batch without requests: {body!r}")
        if len(body["requests"]) > 20:
            self._refuse(f"a $batch of {len(body['requests'])} requests (Graph takes 20)")
        answers = []
        for item in body["requests"]:
            status, headers, answer = self._faulted(lambda: self.answer(item["method"], "/" + item["url"].lstrip("/"), item.get("body")))
            answers.append({"id": item["id"], "status": status, "headers": headers, "body": answer})
        return 200, {}, {"responses": answers}

    def _faulted(self, answer: Callable[[], tuple[int, dict, object]]) -> tuple[int, dict, object]:
        """The answer, or the fault drawn for this call (a lost answer raises ConnectionError)."""
        mark, self._writing = len(self.confirmed), []
        try:
            result = answer()  # checked (and done) whatever the fault: a fault only replaces what comes back
        except requests.ConnectionError:
            del self.confirmed[mark:]  # an item's lost answer loses its whole $batch's answer, earlier items' too
            raise
        writing, self._writing = self._writing, []  # a $batch's own answer is no item's write
        fault = next(self.faults, None) if self.faults is not None else None
        if fault is None:
            return result
        del self.confirmed[mark:]  # its success never reached the app ...
        if FAULTS[fault] is not None and 200 <= FAULTS[fault][0] < 300:
            self.confirmed += writing  # ... unless the fault itself told it "OK" (a 200 with a body of garbage)
        if FAULTS[fault] is None:
            raise requests.ConnectionError("the wire dropped the answer")
        return FAULTS[fault]

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        url = request.url
        if not url.startswith(BASE + "/"):
            self._refuse(f"a call outside Graph: {url}")
        parts = urlsplit(url)
        path = parts.path[len(urlsplit(BASE).path):] + (f"?{parts.query}" if parts.query else "")
        for name, _ in parse_qsl(parts.query, keep_blank_values=True):
            if not name.startswith("$"):
                self._refuse(f"{request.method} {path}: query parameter {name!r} is not an OData option")
        body = json.loads(request.body) if request.body else None
        if request.method == "POST" and path.split("?")[0] == "/$batch":
            self.sent.append(("POST", "/$batch"))
            status, headers, answer = self._faulted(lambda: self._batch(body))
        else:
            status, headers, answer = self._faulted(lambda: self.answer(request.method, path, body))
        return _response(request, status, headers, answer)

    def close(self) -> None:
        pass


def _response(request: requests.PreparedRequest, status: int, headers: dict, body: object) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = {200: "OK", 204: "No Content"}.get(status, "Error")
    response.headers = CaseInsensitiveDict({"request-id": "0f0e0d0c-0b0a-4909-8807-060504030201", **headers})
    if isinstance(body, (dict, list)):
        response.headers.setdefault("Content-Type", "application/json")
        response._content = json.dumps(body).encode()
    else:
        response._content = (body or "").encode()
    response.url = request.url
    response.request = request
    return response


def client_on(wire: GraphWire) -> GraphClient:
    """A real GraphClient whose calls go over ``wire`` (retries without waiting)."""
    session = requests.Session()
    session.mount(BASE + "/", wire)
    return GraphClient("wire-token", base_url=BASE, session=session, max_retries=2, max_retry_wait=0,
                       sleep=lambda seconds: None)


class AuthorityWire(BaseAdapter):
    """The sign-in authority for msal: its discovery document, and a token endpoint that refuses
    every code (``invalid_grant``), as Entra does for a made-up, used or expired one."""

    def __init__(self, authority: str) -> None:
        super().__init__()
        self.authority = authority.rstrip("/")
        self.sent: list[tuple[str, str]] = []

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self.sent.append((request.method, request.url))
        path = request.url.split("?", 1)[0]
        if path.endswith("/.well-known/openid-configuration"):
            return _response(request, 200, {}, {
                "issuer": f"{self.authority}/v2.0",
                "authorization_endpoint": f"{self.authority}/oauth2/v2.0/authorize",
                "token_endpoint": f"{self.authority}/oauth2/v2.0/token",
                "end_session_endpoint": f"{self.authority}/oauth2/v2.0/logout",
                "jwks_uri": f"{self.authority}/discovery/v2.0/keys",
            })
        if request.method == "POST" and path == f"{self.authority}/oauth2/v2.0/token":
            return _response(request, 400, {}, {"error": "invalid_grant",
                                                "error_description": "AADSTS70000: The provided authorization code is invalid."})
        return _response(request, 404, {}, {"error": "not_found"})

    def close(self) -> None:
        pass


def authority_session(authority: str) -> tuple[requests.Session, AuthorityWire]:
    """A session for msal whose authority is ``AuthorityWire``."""
    wire = AuthorityWire(authority)
    session = requests.Session()
    session.mount(f"{authority.rstrip('/')}/", wire)
    return session, wire
