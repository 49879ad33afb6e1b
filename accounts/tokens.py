"""Tokens: the msal app, the encrypted per-session token cache, ``graph_token`` and the scopes Entra granted.

Tokens live only in the server-side session's serialized ``SerializableTokenCache``; views never
see them (DESIGN.md invariant 3). ``graph_token(request)`` is the one seam from a request to a
token: it loads the cache, calls ``acquire_token_silent`` (refreshing when needed), saves the
cache if it changed, and raises ``ReauthenticationRequired`` when no token can be had. The app
(``members.client``) builds its Graph client from it; this app imports nothing from ``members``.
Every function that holds a token or the cache hides its frames' variables from debug pages.
"""

import logging
import threading
import time
from collections.abc import Iterator
from importlib import import_module
from urllib.parse import urlsplit

import msal
import requests
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts import tokencrypt, tokenlock
from accounts.credentials import client_credential

log = logging.getLogger("members.auth")

FLOW_KEY = "auth_flow"
NEXT_KEY = "auth_next"
CACHE_KEY = "token_cache"
ACCOUNT_KEY = "home_account_id"
SCOPES_KEY = "granted_scopes"
# Set (to the user's pk) while this session's sign-in is kept for scheduled work: its token cache
# then lives in ``accounts.models.KeptSignIn``, not in the session (``accounts.kept``).
KEPT_KEY = "token_cache_kept"
OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
MICROSOFT_LOGIN_HOSTS = {"login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn"}

_http_cache: dict = {}  # msal's discovery cache, shared across the per-request app objects
_session_lock = threading.Lock()
_sessions: dict[bool, requests.Session] = {}  # by sandbox mode (fixed in production; tests switch it)


class ReauthenticationRequired(Exception):
    """No usable token for this session: the user must sign in again."""


class SignInNotKept(ReauthenticationRequired):
    """The person's kept sign-in is gone (revoked, signed out, its work done) or can't be read."""


class AuthorityUnreachable(ReauthenticationRequired):
    """Entra's sign-in endpoints (discovery, token) could not be reached or gave no usable answer.
    No token now: a change is not sent (and journaled so), and the sign-in page says why."""


def http_session() -> requests.Session:
    """The one ``requests.Session`` msal and Graph share (with the sandbox transport in sandbox mode)."""
    with _session_lock:
        if settings.SANDBOX_MODE not in _sessions:
            session = requests.Session()
            if settings.SANDBOX_MODE:
                from sandbox import transport

                transport.mount(session)
            _sessions[settings.SANDBOX_MODE] = session
        return _sessions[settings.SANDBOX_MODE]


def msal_app(cache: msal.SerializableTokenCache | None = None) -> msal.ConfidentialClientApplication:
    """A msal app for this request; ``AuthorityUnreachable`` when the authority's discovery fails
    (msal fetches it in the constructor: a network error escapes as itself, a bad answer as ValueError)."""
    try:
        return _new_msal_app(cache)
    except (requests.RequestException, ValueError) as exc:
        log.warning("the sign-in authority can't be reached: %s", type(exc).__name__)
        raise AuthorityUnreachable(type(exc).__name__) from None


def _new_msal_app(cache: msal.SerializableTokenCache | None) -> msal.ConfidentialClientApplication:
    authority_host = urlsplit(settings.ENTRA_AUTHORITY).hostname or ""
    return msal.ConfidentialClientApplication(
        settings.ENTRA_CLIENT_ID,
        client_credential=client_credential(),  # the secret, or a certificate's private_key_jwt
        authority=settings.ENTRA_AUTHORITY,
        token_cache=cache,
        http_client=http_session(),
        http_cache=_http_cache,
        # msal asks Microsoft's instance discovery about any other host (unreachable from the sandbox).
        instance_discovery=authority_host in MICROSOFT_LOGIN_HOSTS,
        azure_region=False,
        timeout=settings.GRAPH_TIMEOUT,
    )


@sensitive_variables()
def _load_cache(session: SessionBase) -> msal.SerializableTokenCache:
    return unseal_cache(session.get(CACHE_KEY))


@sensitive_variables()
def unseal_cache(blob: str | None) -> msal.SerializableTokenCache:
    cache = msal.SerializableTokenCache()
    if blob:
        try:
            cache.deserialize(tokencrypt.unseal(blob))
        except tokencrypt.Unreadable:  # its key was rotated away, or it was tampered with
            log.warning("a token cache can't be decrypted (was TOKEN_CACHE_KEY changed?): signing in again")
            raise ReauthenticationRequired("the token cache can't be decrypted") from None
    return cache


@sensitive_variables()
def _save_cache(session: SessionBase, cache: msal.SerializableTokenCache) -> None:
    if cache.has_state_changed:
        session[CACHE_KEY] = tokencrypt.seal(cache.serialize())


def resource_scopes(scope: str | list[str]) -> list[str]:
    items = scope.split() if isinstance(scope, str) else scope
    return [item for item in items if item not in OIDC_SCOPES]


def granted_scopes(request: HttpRequest) -> frozenset[str]:
    """The Graph scopes Entra granted this session's token (partial consent is possible)."""
    return frozenset(request.session.get(SCOPES_KEY, []))


def graph_token(request: HttpRequest) -> str:
    """A valid access token for the signed-in user, from the cache or refreshed; never logged."""
    return session_token(request.session)


# msal takes an access token with less than this left for expired, and refreshes (its own rule).
MSAL_MIN_LEFT = 5 * 60
# A token another request of the session just got (while this one waited for the lock) is used if it
# has this long left: it was issued a moment ago, whatever its lifetime (msal would refresh again).
REUSE_MIN_LEFT = 30
# How long a request waits for another's refresh (one token call, bounded by its timeout).
REFRESH_WAIT = 15.0


@sensitive_variables()
def session_token(session: SessionBase) -> str:
    """A valid access token from a session's token cache (refreshed when needed, the cache saved back).

    A refresh is serialised per session (``accounts.tokenlock``) across threads, workers and servers:
    the refresh token is redeemed once, and a request that waited for another's refresh uses the
    token that one got (read from the session store, where it is written before the lock is let go).
    """
    account_id = session.get(ACCOUNT_KEY)
    if not account_id:
        raise ReauthenticationRequired("no account in this session")
    if session.get(KEPT_KEY):
        from accounts import kept

        try:
            return kept.token(session[KEPT_KEY])
        except SignInNotKept:
            # Moved back into the session since this request loaded it (its work is done), or revoked.
            with tokenlock.held(session.session_key or account_id, wait=REFRESH_WAIT):
                _reload_token_state(session)
            if session.get(KEPT_KEY) or not session.get(CACHE_KEY):
                raise
    # Ask for what was granted, not what was requested: asking for an ungranted scope would
    # miss the cache and refresh on every call.
    scopes = sorted(session.get(SCOPES_KEY, [])) or settings.GRAPH_SCOPES
    cache = _load_cache(session)
    if token := _cached_token(cache, account_id, scopes, MSAL_MIN_LEFT):
        return token  # what msal would answer from its cache: no call, no lock
    try:
        with tokenlock.held(session.session_key or account_id, wait=REFRESH_WAIT):
            if _reload_token_state(session):  # another request refreshed while this one waited
                cache = _load_cache(session)
                if token := _cached_token(cache, account_id, scopes, REUSE_MIN_LEFT):
                    return token
            token = _refresh(session, cache, account_id, scopes)
            _write_token_state(session)
            return token
    except tokenlock.Busy:
        log.warning("a token refresh of this session took longer than %s s: signing in again", REFRESH_WAIT)
        raise ReauthenticationRequired("another refresh of this session is still running") from None


@sensitive_variables()
def _cached_token(cache: msal.SerializableTokenCache, account_id: str, scopes: list[str], min_left: float) -> str | None:
    now = time.time()
    query = {"client_id": settings.ENTRA_CLIENT_ID, "home_account_id": account_id}
    for entry in cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN, target=scopes, query=query):
        if int(entry["expires_on"]) - now >= min_left:
            return entry["secret"]
    return None


@sensitive_variables()
def _refresh(session: SessionBase, cache: msal.SerializableTokenCache, account_id: str, scopes: list[str]) -> str:
    try:
        token, granted = redeem(cache, account_id, scopes)
    finally:
        _save_cache(session, cache)
    if granted is not None:
        session[SCOPES_KEY] = granted
    return token


@sensitive_variables()
def redeem(cache: msal.SerializableTokenCache, account_id: str, scopes: list[str]) -> tuple[str, list[str] | None]:
    """An access token refreshed through msal (the caller saves ``cache`` back, whatever happens), and
    the scopes granted if Entra said; ``ReauthenticationRequired`` when none can be had."""
    app = msal_app(cache)
    account = next((a for a in app.get_accounts() if a["home_account_id"] == account_id), None)
    if account is None:
        raise ReauthenticationRequired("the token cache has no account")
    try:
        result = app.acquire_token_silent_with_error(scopes, account=account)
    except requests.RequestException as exc:  # the refresh could not reach the token endpoint
        log.warning("the token endpoint can't be reached: %s", type(exc).__name__)
        raise AuthorityUnreachable(type(exc).__name__) from None
    if not result or "access_token" not in result:
        reason = (result or {}).get("error", "no token")
        log.info("silent token acquisition failed: %s", reason)
        raise ReauthenticationRequired(reason)
    return result["access_token"], resource_scopes(result["scope"]) if "scope" in result else None


TOKEN_STATE = (CACHE_KEY, SCOPES_KEY, KEPT_KEY)  # what a refresh (or keeping the sign-in) changes in the session


def _stored(session: SessionBase) -> dict | None:
    """The session as its store holds it now (not as this request loaded it); None if it has none."""
    if not session.session_key:
        return None
    stored = type(session)(session_key=session.session_key)
    data = stored.load()
    return data if stored.session_key else None  # load() of a session gone (signed out) makes a new key


@sensitive_variables()
def _reload_token_state(session: SessionBase) -> bool:
    """Take the stored token state into this request's session if another request changed it; whether it had."""
    stored = _stored(session)
    if stored is None or all(stored.get(k) == session.get(k) for k in TOKEN_STATE):
        return False
    for key in TOKEN_STATE:
        if key in stored:
            session[key] = stored[key]
        else:
            session.pop(key, None)
    _mark_stored(session)
    return True


def _forget(session: SessionBase, key: str) -> None:
    """Drop a token key, so that saving removes it from the store (``accounts.sessions`` keeps the
    store's copy of any token key this request did not set itself)."""
    session.pop(key, None)
    if hasattr(session, "token_state_forgotten"):
        session.token_state_forgotten(key)


def _mark_stored(session: SessionBase) -> None:
    if hasattr(session, "token_state_stored"):  # accounts.sessions' store: it need not keep these as its own
        session.token_state_stored(TOKEN_STATE)


@sensitive_variables()
def _write_token_state(session: SessionBase) -> None:
    """Write this request's token state to the store now (under the lock), not when the answer is sent:
    a request waiting for the lock reads it from there."""
    if not session.session_key:
        return
    stored = type(session)(session_key=session.session_key)
    data = stored.load()
    if not stored.session_key:
        return
    stored._session_cache = data
    for key in TOKEN_STATE:
        if key in session:
            stored[key] = session[key]  # set here: this save keeps them
        else:
            _forget(stored, key)
    stored.save()
    _mark_stored(session)


def stored_sessions(user) -> Iterator[SessionBase]:
    """The live sessions of ``user`` in the session store (db-backed engines), newest first.

    For work done on the user's behalf after their request is gone (settling the journal).
    """
    engine = import_module(settings.SESSION_ENGINE)
    if not hasattr(engine.SessionStore, "get_model_class"):  # a cache-only or cookie store can't be listed
        return
    model = engine.SessionStore.get_model_class()
    for row in model.objects.filter(expire_date__gt=timezone.now()).order_by("-expire_date"):
        store = engine.SessionStore(session_key=row.session_key)
        if store.get(SESSION_KEY) == str(user.pk):
            yield store
