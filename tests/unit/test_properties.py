"""Property-based tests: whatever a browser (or anyone) sends to any view or fragment, the app
answers 2xx/3xx/4xx or an inline message — never a 5xx — and never puts a bad call on the wire:
every Graph URL holds only canonical ids, every DELETE ends in ``/$ref`` (``tests/wire.py`` checks
each call the real ``GraphClient`` sends).

Inputs: ids in paths, query strings, bodies (thousands of repeated ``member`` fields, non-UTF-8
bytes, long strings, odd content types) and headers (htmx's, and any Host the site accepts),
signed in or not, with CSRF checks on and off; and Graph answering with faults.
Example counts are bounded so each property takes a few seconds.
"""

import os
import re
import uuid
from html import unescape
from urllib.parse import quote, quote_from_bytes
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings, strategies as st

from members.models import AuditEntry, BackgroundChange, Expiry
from tests import wire as w
from tests.fakes import replace_graph

# A few seconds per property; PROPERTY_EXAMPLES=5000 makes a deeper search (minutes).
EXAMPLES = int(os.environ.get("PROPERTY_EXAMPLES", "250"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(FAST, max_examples=max(25, EXAMPLES // 10))

pytestmark = pytest.mark.django_db

SCOPES = ["User.Read", "User.ReadBasic.All", "Directory.Read.All", "GroupMember.ReadWrite.All",
          "AdministrativeUnit.ReadWrite.All", "RoleManagement.ReadWrite.Directory"]


# --- the seam: Graph and the sign-in authority on the wire ----------------------------------------

@pytest.fixture
def graph(monkeypatch, settings):
    """Every view's Graph calls go through a GraphWire (a fresh client per request, as in the app)."""
    wire = w.GraphWire()
    replace_graph(monkeypatch, lambda request: w.client_on(wire))
    session, authority = w.authority_session(settings.ENTRA_AUTHORITY)
    monkeypatch.setattr("accounts.tokens.http_session", lambda: session)
    monkeypatch.setattr("accounts.tokens._http_cache", {})  # msal's discovery cache: never leak this authority
    wire.authority = authority
    return wire


@pytest.fixture
def user():
    return get_user_model().objects.create(username="oid-helpdesk", email="helpdesk@contoso.example")


def signed_in_client(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    session = client.session
    session["granted_scopes"] = SCOPES
    session.save()
    return client


class Clients:
    """A fresh client per example (a sign-out in one must not sign out the next): signed in with CSRF
    checks off (as most tests) or on, anonymous with them off or on."""

    def __init__(self, user) -> None:
        self.user = user

    def __getitem__(self, who: str) -> Client:
        csrf = who in {"csrf", "anonymous-csrf"}
        return signed_in_client(self.user, csrf=csrf) if who in {"signed-in", "csrf"} else Client(enforce_csrf_checks=csrf)


@pytest.fixture
def clients(user) -> Clients:
    return Clients(user)


def assert_answered(response, graph: w.GraphWire) -> None:
    """Never a 5xx; nothing forbidden on the wire."""
    assert response.status_code < 500, (response.status_code, response.content[:500])
    assert graph.violations == []


# --- strategies ---------------------------------------------------------------------------------

KNOWN_IDS = [w.GROUP, w.UNIT, w.ROLE, w.ROLE_TEMPLATE, *w.MEMBERS, w.OUTSIDER]
HOSTILE_IDS = [
    "", " ", ".", "..", "%2e%2e", "../users", "..%2f..%2fusers", "$ref", "%24ref", "*", "me", "null", "undefined",
    f"{{{w.GROUP}}}", f"urn:uuid:{w.GROUP}", w.GROUP.replace("-", ""), w.GROUP + "x", w.GROUP + "/$ref",
    w.GROUP + "?$select=id", w.GROUP + "%2F%24ref", f" {w.GROUP}", w.GROUP[:-1], w.GROUP.replace("a", "g"),
    "\x00", "%00", "\r\nX-Injected: 1", "<script>alert(1)</script>", "' OR 1=1 --", "é" * 40, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "a" * 5000,
]
ids = st.one_of(
    st.sampled_from(KNOWN_IDS),
    st.sampled_from(KNOWN_IDS).map(str.upper),
    st.uuids().map(str),
    st.sampled_from(HOSTILE_IDS),
    st.text(max_size=60),
)
KINDS = st.one_of(st.sampled_from(["groups", "units", "roles"]), st.sampled_from(["users", "GROUPS", "roles/template", ""]),
                  st.text(max_size=12))
SUFFIXES = ["", "members/", "candidates/", "members/remove/", "members/{member}/", "members/{member}", "{member}/",
            "members/{member}/$ref", "members/{member}/extra/"]


def segment(value: str | bytes) -> str:
    return quote_from_bytes(value, safe="") if isinstance(value, bytes) else quote(value, safe="")


@st.composite
def app_paths(draw) -> str:
    """A path shaped like the app's (kind, container id, fragment, member id) with any parts, or any path."""
    if draw(st.integers(0, 9)) == 0:  # now and then, anything at all
        raw = draw(st.one_of(st.text(max_size=80), st.binary(max_size=80)))
        return "/" + (segment(raw) if draw(st.booleans()) else quote(raw if isinstance(raw, str) else raw.decode("latin-1"), safe="/%"))
    kind = draw(KINDS)
    container = draw(st.one_of(ids, st.binary(max_size=30)))
    member = draw(st.one_of(ids, st.binary(max_size=30)))
    suffix = draw(st.sampled_from(SUFFIXES)).replace("{member}", segment(member))
    return f"/{segment(kind).replace('%2F', '/')}/{segment(container)}/{suffix}"


METHODS = st.sampled_from(["GET", "GET", "POST", "POST", "DELETE", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"])
PARAM_NAMES = st.one_of(st.sampled_from(["q", "more", "part", "page", "mine", "container", "next", "member"]),
                        st.text(max_size=10), st.binary(max_size=10))
PARAM_VALUES = st.one_of(st.sampled_from(["count", "1", "0", "-1", "99999999999999999999", "last", w.GROUP, "", "ab"]),
                         st.text(max_size=40), st.binary(max_size=40), st.text(min_size=2000, max_size=4000),
                         st.sampled_from(HOSTILE_IDS))


def encode(value: str | bytes) -> str:
    return quote_from_bytes(value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def query_strings(draw) -> str:
    """A raw QUERY_STRING: repeated names, non-UTF-8 bytes, long values, or no encoding at all."""
    pairs = draw(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=6))
    text = "&".join(f"{encode(name)}={encode(value)}" for name, value in pairs)
    if draw(st.integers(0, 5)) == 0:
        text += "&" + draw(st.binary(max_size=40)).decode("latin-1")  # as the bytes came, undecoded
    return text


ALLOWED_HOSTS = st.sampled_from(["testserver", "localhost", "127.0.0.1", "login.sandbox.test", "graph.sandbox.test",
                                 "desk.sandbox.test"])
HOSTS = st.one_of(ALLOWED_HOSTS, st.tuples(ALLOWED_HOSTS, st.integers(1, 65535)).map(lambda hp: f"{hp[0]}:{hp[1]}"),
                  st.sampled_from(["evil.example", "testserver:abc", "[::1", "", "testserver.", "a" * 300]))
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)
CURRENT_URLS = st.one_of(
    st.sampled_from(["http://[", "http://[", "http://[::1", "https://]x", "http://testserver/", f"http://testserver/groups/{w.GROUP}/", "http://[", "http://[::1/",
                     "https://testserver/", "http://evil.example/x", "//testserver/", "/groups/", "javascript:alert(1)",
                     "http://testserver:99999/", "http://testserver/%00", "http://user@testserver/"]),
    HEADER_TEXT, st.just(None))


HX_REQUEST = st.one_of(st.sampled_from(["true", "true", "true", "false", "", "TRUE"]), HEADER_TEXT)
HX_TARGETS = st.one_of(st.sampled_from(["add-results", f"removed-{w.MEMBERS[0]}", "removed-", "bulk-results", "member-table"]),
                       HEADER_TEXT)


@st.composite
def headers(draw) -> dict[str, str]:
    """htmx's headers with any values, and sometimes another Host the site accepts (or one it doesn't)."""
    found = {}
    if draw(st.integers(0, 4)):
        found["HX-Request"] = draw(HX_REQUEST)
    if draw(st.booleans()):
        found["HX-Target"] = draw(HX_TARGETS)
    current = draw(CURRENT_URLS)
    if current is not None:
        found["HX-Current-URL"] = current
    if draw(st.integers(0, 4)) == 0:
        found["HX-History-Restore-Request"] = draw(st.sampled_from(["true", "false", "x"]))
    if draw(st.integers(0, 2)) == 0:
        found["Host"] = draw(HOSTS)
    return found


HX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/"}
PLAIN_OR_HX = st.sampled_from([{}, HX])


def send(client: Client, method: str, path: str, *, query: str = "", body: bytes = b"", content_type: str = "",
         header_map: dict | None = None):
    extra = {"QUERY_STRING": query} if query else {}
    header_map = dict(header_map or {})
    if "Host" in header_map:
        extra["HTTP_HOST"] = header_map.pop("Host")
    return client.generic(method, path, data=body, content_type=content_type, headers=header_map, **extra)


# --- paths, query strings, headers --------------------------------------------------------------

@FAST
@given(method=METHODS, path=app_paths(), who=st.sampled_from(["signed-in", "csrf", "anonymous"]), hx=PLAIN_OR_HX)
def test_any_path_and_method_is_answered_without_a_5xx_or_a_bad_graph_call(graph, clients, method, path, who, hx):
    assert_answered(send(clients[who], method, path, header_map=hx), graph)


PAGES = ["/", "/activity/", "/groups/", "/units/", "/roles/", f"/groups/{w.GROUP}/", f"/units/{w.UNIT}/",
         f"/roles/{w.ROLE}/", f"/roles/template/{w.ROLE_TEMPLATE}/", f"/groups/{w.GROUP}/members/",
         f"/units/{w.UNIT}/members/", f"/groups/{w.GROUP}/candidates/", f"/roles/{w.ROLE}/candidates/",
         f"/groups/{uuid.UUID(int=7)}/", f"/groups/{uuid.UUID(int=7)}/members/", "/accounts/sign-in/",
         "/accounts/callback/", "/accounts/signed-out/"]


CHANGE_PATHS = [f"/groups/{w.GROUP}/members/", f"/units/{w.UNIT}/members/", f"/roles/{w.ROLE}/members/",
                f"/groups/{w.GROUP}/members/remove/", f"/units/{w.UNIT}/members/remove/",
                f"/roles/{w.ROLE}/members/remove/", f"/groups/{w.GROUP}/members/{w.MEMBERS[0]}/",
                f"/units/{w.UNIT}/members/{w.OUTSIDER}/", f"/groups/{uuid.UUID(int=9)}/members/",
                f"/groups/{uuid.UUID(int=9)}/members/remove/", "/accounts/sign-out/", "/activity/", "/groups/"]


@FAST
@given(path=st.sampled_from(PAGES), query=query_strings(), who=st.sampled_from(["signed-in", "anonymous"]), hx=PLAIN_OR_HX)
def test_any_query_string_on_any_page_or_fragment_is_answered(graph, clients, path, query, who, hx):
    assert_answered(send(clients[who], "GET", path, query=query, header_map=hx), graph)


@FAST
@given(request=st.one_of(st.tuples(st.just("GET"), st.sampled_from(PAGES)),
                         st.tuples(st.sampled_from(["POST", "DELETE"]), st.sampled_from(CHANGE_PATHS))),
       who=st.sampled_from(["signed-in", "csrf", "anonymous"]), hx=headers(),
       members=st.lists(st.sampled_from(KNOWN_IDS), max_size=3))
def test_any_htmx_headers_and_host_are_answered_without_a_5xx(graph, clients, request, who, hx, members):
    method, path = request
    body = "&".join(f"member={m}" for m in members).encode()
    assert_answered(send(clients[who], method, path, body=body, content_type="application/x-www-form-urlencoded",
                         header_map=hx), graph)


# --- bodies -------------------------------------------------------------------------------------

CONTENT_TYPES = st.one_of(st.sampled_from([
    "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=klingon", "multipart/form-data; boundary=BoUnDaRy",
    "multipart/form-data", "multipart/form-data; boundary=", "application/json", "text/plain", "",
    "application/octet-stream"]), HEADER_TEXT)


@st.composite
def form_bodies(draw) -> bytes:
    """``member=...`` fields (ids of any shape, some repeated) and other fields, url-encoded."""
    fields = draw(st.lists(st.tuples(st.sampled_from(["member", "member", "member", "csrfmiddlewaretoken", "q"])
                                     | st.text(max_size=8), ids | st.binary(max_size=40)), max_size=30))
    return "&".join(f"{encode(name)}={encode(value)}" for name, value in fields).encode("ascii")


@st.composite
def multipart_bodies(draw) -> bytes:
    """A multipart body for boundary ``BoUnDaRy``, well or badly formed, sometimes with a file part."""
    parts = []
    for name, value in draw(st.lists(st.tuples(st.sampled_from(["member", "x"]), ids), max_size=6)):
        parts.append(b'--BoUnDaRy\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
                     + value.encode("utf-8", "surrogatepass") + b"\r\n")
    if draw(st.booleans()):
        parts.append(b'--BoUnDaRy\r\nContent-Disposition: form-data; name="member"; filename="ids.txt"\r\n'
                     b"Content-Type: text/plain\r\n\r\n" + draw(st.binary(max_size=200)) + b"\r\n")
    body = b"".join(parts) + (b"--BoUnDaRy--\r\n" if draw(st.booleans()) else b"")
    return body if draw(st.integers(0, 3)) else body[: draw(st.integers(0, len(body)))]


BODIES = st.one_of(form_bodies(), multipart_bodies(), st.binary(max_size=300),
                   st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
                   st.sampled_from([b"member=" + b"\xff\xfe" * 20, b"member=%FF%FE%00", b"member",
                                    b"=" * 50, b"&" * 500, b'{"member": ["' + w.MEMBERS[0].encode() + b'"]}']))


@FAST
@given(method=st.sampled_from(["POST", "DELETE", "PUT", "PATCH"]), path=st.sampled_from(CHANGE_PATHS), body=BODIES,
       content_type=CONTENT_TYPES, who=st.sampled_from(["signed-in", "csrf", "anonymous-csrf"]), hx=headers())
def test_any_body_of_any_content_type_is_answered_without_a_5xx_or_a_bad_graph_call(graph, clients, method, path, body,
                                                                                    content_type, who, hx):
    assert_answered(send(clients[who], method, path, body=body, content_type=content_type, header_map=hx), graph)


def member_form(distinct: int, repeats: int, bad: str | None) -> bytes:
    """``distinct`` different valid ids, then ``repeats`` more fields repeating them, and one bad id if given."""
    members = [str(uuid.UUID(int=n + 1)) for n in range(distinct)]
    members += [members[n % distinct] for n in range(repeats if distinct else 0)]
    if bad is not None:
        members.insert(len(members) // 2, bad)
    return "&".join(f"member={quote(m, safe='')}" for m in members).encode()


@FEW
@given(path=st.sampled_from([f"/groups/{w.GROUP}/members/", f"/units/{w.UNIT}/members/remove/",
                             f"/roles/{w.ROLE}/members/"]),
       distinct=st.one_of(st.integers(0, 30), st.sampled_from([999, 1000, 1001])), repeats=st.integers(0, 3000),
       bad=st.one_of(st.none(), st.sampled_from(HOSTILE_IDS)), hx=st.booleans())
def test_thousands_of_member_fields_are_bounded_and_every_attempt_is_journaled_once(graph, clients, path, distinct,
                                                                                    repeats, bad, hx):
    AuditEntry.objects.all().delete()
    graph.sent.clear()
    graph.confirmed.clear()
    body = member_form(distinct, repeats, bad)
    # Every change in its request, however large (a background change's journal: test_background_changes).
    with override_settings(BACKGROUND_CHANGE_ABOVE=1_000):
        response = send(clients["signed-in"], "POST", path, body=body, content_type="application/x-www-form-urlencoded",
                        header_map={"HX-Request": "true", "HX-Target": "add-results"} if hx else {})
    assert_answered(response, graph)
    fields = distinct + (repeats if distinct else 0) + (bad is not None)
    sent_a_change = any(method in {"PATCH", "DELETE"} or path.endswith("$ref") for method, path in graph.sent)
    if fields > 1_100 or bad is not None or distinct > 1_000:
        assert response.status_code in {200, 400} and not sent_a_change  # refused before anything is sent
        assert AuditEntry.objects.count() == 0
        if fields > 1_100:
            assert response.status_code == 400
    else:
        assert response.status_code in {200, 302}
        assert AuditEntry.objects.count() == distinct  # one entry per member, however often it was repeated
        assert_journal_tells_what_graph_confirmed(graph)


def assert_journal_tells_what_graph_confirmed(graph: w.GraphWire, answer: str | None = None) -> None:
    """Outcomes, not just rows: an entry is done exactly when Graph's success for that member's write
    reached the app, and the page says "Added."/"Removed."
    once per done entry, never for one that isn't."""
    entries = list(AuditEntry.objects.all())
    done = sorted((e.action, e.member_id) for e in entries if e.outcome == "done")
    asked = {e.member_id for e in entries}
    assert done == sorted({c for c in graph.confirmed if c[1] in asked} & {(e.action, e.member_id) for e in entries})
    if answer is not None:
        texts = [unescape(t) for t in re.findall(r'<span class="text">(.*?)</span>', answer, re.S)]
        assert sum(t in {"Added.", "Removed."} for t in texts) == len(done), (texts, done)


# --- Graph answering with faults ----------------------------------------------------------------

@FAST
@given(path=st.sampled_from(PAGES[:15] + CHANGE_PATHS[:8]), faults=st.lists(st.sampled_from(sorted(w.FAULTS)) | st.none(),
                                                                          max_size=12),
       hx=st.booleans(), members=st.lists(st.sampled_from(KNOWN_IDS), max_size=4))
# A removal whose $batch is refused, then resent one by one with a lost answer last: found once by chance.
@example(path=f"/groups/{w.GROUP}/members/remove/", faults=["400", None, "400", None, None, None, None, "drop"],
         hx=False, members=[w.GROUP, w.MEMBERS[0], w.UNIT])
def test_whatever_graph_answers_a_page_or_a_change_is_never_a_5xx(graph, clients, path, faults, hx, members):
    AuditEntry.objects.all().delete()
    graph.confirmed.clear()
    graph.faults = iter(faults)
    is_change = path in CHANGE_PATHS
    method = ("DELETE" if "/members/" in path and not path.endswith(("members/", "remove/")) else "POST") if is_change else "GET"
    body = "&".join(f"member={m}" for m in members).encode()
    response = send(clients["signed-in"], method, path, body=body, content_type="application/x-www-form-urlencoded",
                    header_map={"HX-Request": "true", "HX-Current-URL": f"http://testserver{path}"} if hx else {})
    assert_answered(response, graph)
    # Under faults too: "done" only where Graph's success reached the app, and the page says so.
    assert_journal_tells_what_graph_confirmed(graph, response.content.decode() if hx and response.status_code == 200 else None)


# --- sign-in, callback, sign-out ----------------------------------------------------------------

@FAST
@given(query=query_strings(), hx=headers(), start=st.booleans(), state=st.sampled_from(["right", "wrong", "none"]),
       code=st.one_of(st.none(), PARAM_VALUES))
def test_sign_in_and_callback_answer_any_parameters_without_a_5xx(graph, clients, query, hx, start, state, code):
    client = clients["anonymous"]
    first = send(client, "GET", "/accounts/sign-in/", query=query, header_map=hx)
    assert_answered(first, graph)
    if not start:
        client.session.flush()
    flow = client.session.get("auth_flow") or {}
    params = {"right": f"state={encode(flow.get('state', ''))}", "wrong": "state=forged", "none": ""}[state]
    if code is not None:
        params += f"&code={encode(code)}"
    answer = send(client, "GET", "/accounts/callback/", query="&".join(filter(None, [params, query])), header_map=hx)
    assert_answered(answer, graph)
    assert answer.status_code in {302, 400}
    assert "_auth_user_id" not in client.session  # no code the authority refuses signs anyone in


@FAST
@given(method=METHODS, who=st.sampled_from(["signed-in", "csrf", "anonymous", "anonymous-csrf"]), body=BODIES,
       hx=headers(), path=st.sampled_from(["/accounts/sign-out/", "/accounts/signed-out/"]))
def test_sign_out_answers_any_method_body_and_headers_without_a_5xx(graph, clients, method, who, body, hx, path):
    assert_answered(send(clients[who], method, path, body=body, content_type="application/x-www-form-urlencoded",
                         header_map=hx), graph)


# --- every URL the URLconf has, with and without its trailing slash, every method, DEBUG on and off ---

def url_routes(patterns=None, prefix: tuple = ()) -> list[tuple]:
    """Every URL pattern of the URLconf as the chain of its patterns (an include's, then its own)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            found += url_routes(entry.url_patterns, prefix + (entry.pattern,))
        elif isinstance(entry, URLPattern):
            found.append(prefix + (entry.pattern,))
    return found


PART = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def converter_values(converter) -> st.SearchStrategy[str]:
    """Values for one converter: ones the app knows (so views run for real) and any its regex matches."""
    name = type(converter).__name__
    known = {"KindConverter": st.sampled_from(["groups", "units", "roles"]),
             "GuidConverter": st.sampled_from(KNOWN_IDS) | st.sampled_from(KNOWN_IDS).map(str.upper),
             "UUIDConverter": st.just("8f7e6d5c-4b3a-4291-8877-665544332211") | st.uuids().map(str),
             "IntConverter": st.sampled_from(["1", "2", "0"]),
             "StringConverter": st.sampled_from(KNOWN_IDS) | ids.filter(lambda v: v and "/" not in v)}
    return known.get(name, st.nothing()) | st.from_regex(f"^(?:{converter.regex})$", fullmatch=True)


@st.composite
def urlconf_paths(draw) -> str:
    """One URL of the URLconf, its parts filled in (URL-quoted), as routed."""
    chain = draw(st.sampled_from(url_routes()))
    path = "/"
    for pattern in chain:
        if hasattr(pattern, "_route"):  # path(): fill each <converter:name>
            route = pattern._route
            for match in reversed(list(PART.finditer(route))):
                value = draw(converter_values(pattern.converters[match.group("name")]))
                route = route[:match.start()] + quote(value, safe="") + route[match.end():]
        else:  # re_path(): a string its regex matches
            route = draw(st.from_regex(pattern.regex, fullmatch=True).filter(lambda v: "\n" not in v))
            route = quote(route.lstrip("^"), safe="/%$")
        path += route
    return path


def slash_variants(path: str) -> list[str]:
    return [path, path.rstrip("/")] if path.endswith("/") and path != "/" else [path, path + "/"]


OVERSIZED_PASTE = ("action=add&lines=" + quote("ada.lovelace@contoso.example\n" * 10_000)).encode()  # ~400 KB


@FAST
@given(path=urlconf_paths(), slash=st.booleans(), method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
                                                                          "OPTIONS"]),
       debug=st.booleans(), who=st.sampled_from(["signed-in", "anonymous"]), hx=PLAIN_OR_HX,
       body=st.sampled_from([b"", f"member={w.MEMBERS[0]}".encode(), b"action=add&lines=a%40b.example", OVERSIZED_PASTE]))
def test_every_url_with_or_without_its_slash_any_method_debug_on_or_off_is_never_a_5xx(graph, clients, path, slash, method,
                                                                                        debug, who, hx, body):
    from django.test import override_settings

    target = slash_variants(path)[slash]
    with override_settings(DEBUG=debug):
        response = send(clients[who], method, target, body=body, content_type="application/x-www-form-urlencoded",
                        header_map=hx)
    assert_answered(response, graph)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"Traceback" not in content and b"RequestDataTooBig" not in content


def test_the_urlconf_walk_finds_every_page_and_fragment():
    """The URL property above covers what the URLconf routes: the app's, sign-in's and the sandbox's."""
    names = {getattr(chain[-1], "name", None) for chain in url_routes()}
    routes = ["".join(str(p) for p in chain) for chain in url_routes()]
    assert len(routes) >= 30 and "accounts/sign-in/" in routes
    assert "<kind:kind>/<guid:container_id>/members/paste/" in routes and any(r.startswith("sandbox/graph/") for r in routes)
    assert names  # a walk that found nothing would pass the property vacuously


# --- every view reached: a valid request to each route of the app ------------------------------

CHANGE = "5b0c2a4e-3f1d-4c6b-9a8e-2d7f1e0c9b3a"  # the journal entry's change


JOB = "7d1f3c2a-9b4e-4f6a-8c5d-0e2b1a3f4c5d"  # a background change of the signed-in user's


def filled_route(chain, entry_id: int, end_id: int = 1) -> str:
    """A route of the app with values that name real things of the wire's tenant (a group, a member,
    a journal entry), so the view itself runs instead of a 404 or a converter's refusal."""
    values = {"kind": "groups", "container_id": w.GROUP, "template_id": w.ROLE_TEMPLATE, "person_id": w.MEMBERS[0],
              "member_id": w.MEMBERS[0], "entry_id": str(entry_id), "change_id": CHANGE, "end_id": str(end_id),
              "job_id": JOB, "group_id": w.GROUP, "owner_id": w.MEMBERS[0]}
    route = "".join(str(pattern) for pattern in chain)
    return "/" + PART.sub(lambda match: values[match.group("name")], route)


VALID_BODY = (f"member={w.MEMBERS[1]}&container=groups:{w.GROUP}&action=add&lines=person1%40contoso.example"
              f"&view=all").encode()


def test_every_view_of_the_app_is_reached_by_a_valid_request_and_answers_without_a_5xx(graph, clients, user):
    """Each route of the URLconf but the sandbox's, by GET, POST and DELETE, signed in, with names the
    tenant has: at least one method reaches the view (resolved, not refused as a method it doesn't
    take), and none is a 5xx. A view that raises fails here the day it lands, whatever its route."""
    entry = AuditEntry.objects.create(actor=user, actor_upn=user.email, action="remove", container_kind="groups",
                                      container_id=w.GROUP, member_id=w.MEMBERS[0], outcome="done", change_id=CHANGE)
    end = Expiry.objects.create(container_kind="groups", container_id=w.GROUP, member_id=w.MEMBERS[0], granted_by=user,
                                expires_at=timezone.now() + timedelta(days=1))
    BackgroundChange.objects.create(id=JOB, actor=user, actor_upn=user.email, action="remove", container_kind="groups",
                                    container_id=w.GROUP, member_ids=[w.MEMBERS[0]], total=1)
    unreached, answers = [], {}
    for chain in url_routes():
        if str(chain[0]).startswith("sandbox/"):
            continue  # the sandbox's own routes: tests/sandbox
        path = filled_route(chain, entry.pk, end.pk)
        statuses = []
        for method in ("GET", "POST", "DELETE"):
            response = send(clients["signed-in"], method, path, body=VALID_BODY,
                            content_type="application/x-www-form-urlencoded",
                            header_map={"HX-Request": "true", "HX-Current-URL": f"http://testserver{path}"})
            assert_answered(response, graph)
            statuses.append(response.status_code)
            if response.resolver_match is not None and response.status_code != 405:
                answers[path] = method
        if path not in answers:
            unreached.append((path, statuses))
    assert unreached == []
    assert len(answers) >= 20  # the walk found the app's routes (a walk finding none would pass vacuously)
