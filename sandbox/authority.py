"""The sandbox's OpenID Connect authority, shaped like Entra's v2.0 endpoints.

The real msal runs against it unmodified (shared/MSAL.md §4 is the contract): discovery, an
authorize page where one picks a demo account (a form POSTing ``upn`` back to the same URL, so
scripts can sign in without a browser), and a token endpoint with the ``authorization_code``
(PKCE S256) and ``refresh_token`` grants, the app authenticating with its client secret or, as
private_key_jwt, a client assertion signed by a registered certificate. Granted scopes are the
requested ones the user's consent covers: partial consent is not an error, as with Entra.
"""

import base64
import hashlib
import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sandbox import tokens
from sandbox.models import AuthorizationCode, DemoAccount, DirectoryObject, Kind, RefreshToken
from sandbox.transport import LOGIN_HOST

CODE_LIFETIME = timedelta(minutes=10)
GRAPH_RESOURCE = "https://graph.microsoft.com/"
OIDC_SCOPES = ["openid", "profile", "email"]


def _public_base(tenant: uuid.UUID) -> str:
    return f"https://{LOGIN_HOST}/{tenant}"


def _check_tenant(tenant: uuid.UUID) -> bool:
    return str(tenant) == settings.SANDBOX_TENANT_ID


def _oauth_error(error: str, description: str, codes: list[int], status: int = 400, suberror: str = "") -> JsonResponse:
    """An RFC 6749 error body with Entra's extra fields."""
    body = {
        "error": error,
        "error_description": description,
        "error_codes": codes,
        "timestamp": timezone.now().strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }
    if suberror:
        body["suberror"] = suberror
    return JsonResponse(body, status=status)


def resource_scopes(scope: str) -> list[str]:
    """The Graph scopes of a scope string, short form, without the OpenID reserved ones."""
    result = []
    for item in scope.split():
        name = item.removeprefix(GRAPH_RESOURCE)
        if name not in tokens.RESERVED_SCOPES and name not in result:
            result.append(name)
    return result


def consented_scopes(user: DirectoryObject, requested: list[str]) -> list[str]:
    """The requested scopes the user's consent covers (all of them when no consent is recorded)."""
    consent = getattr(user, "consent", None)
    if consent is None:
        return requested
    granted = consent.scope_set()
    return [scope for scope in requested if scope in granted]


@require_GET
@login_not_required
def discovery(request: HttpRequest, tenant: uuid.UUID) -> HttpResponse:
    """The OpenID configuration msal reads (it needs the two endpoints; the token one must be https)."""
    if not _check_tenant(tenant):
        return _oauth_error("invalid_tenant", f"AADSTS90002: Tenant '{tenant}' not found.", [90002], status=400)
    base = _public_base(tenant)
    # The endpoints a browser is sent to are paths, not URLs: the browser stays on the origin it
    # uses (localhost or 127.0.0.1, any port), whichever request fetched this document first
    # (msal caches it for a day), and no Host header a browser sent ever names them.
    return JsonResponse({
        "issuer": f"{base}/v2.0",
        "authorization_endpoint": reverse("sandbox-authorize", kwargs={"tenant": tenant}),
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "end_session_endpoint": reverse("sandbox-logout", kwargs={"tenant": tenant}),
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "name", "oid", "tid", "preferred_username"],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "sandbox.test",
    })


@require_GET
@login_not_required
def keys(request: HttpRequest, tenant: uuid.UUID) -> HttpResponse:
    return JsonResponse(tokens.jwks())


def _redirect_with(redirect_uri: str, params: dict[str, str]) -> HttpResponseRedirect:
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{urlencode(params)}")


def _authorize_problem(params) -> str:
    """Why an authorize request can't be served (shown on the page, as Entra does), or ''."""
    if params.get("client_id") != settings.SANDBOX_CLIENT_ID:
        return f"AADSTS700016: Application with identifier '{params.get('client_id', '')}' was not found in the directory."
    if params.get("response_type") != "code":
        return "AADSTS900144: The request body must contain the following parameter: 'response_type=code'."
    redirect_uri = params.get("redirect_uri", "")
    if urlsplit(redirect_uri).scheme not in {"http", "https"} or not urlsplit(redirect_uri).netloc:
        return "AADSTS50011: The redirect URI specified in the request does not match the redirect URIs configured for the application."
    if params.get("code_challenge") and params.get("code_challenge_method", "plain") != "S256":
        return "AADSTS501491: Invalid code_challenge_method: only S256 is supported."
    return ""


@csrf_exempt  # stands in for Entra's sign-in page; the app's own callback checks state and nonce
@require_http_methods(["GET", "POST"])
@login_not_required
def authorize(request: HttpRequest, tenant: uuid.UUID) -> HttpResponse:
    """Pick a demo account (GET shows the page; POST ``upn`` signs in and redirects with a code)."""
    params = request.GET
    problem = "" if _check_tenant(tenant) else f"AADSTS90002: Tenant '{tenant}' not found."
    problem = problem or _authorize_problem(params)
    if problem:
        return render(request, "sandbox/authorize_error.html", {"problem": problem}, status=400)
    redirect_uri = params["redirect_uri"]
    state = {"state": params["state"]} if "state" in params else {}
    error = ""
    if request.method == "POST":
        if request.POST.get("cancel"):
            return _redirect_with(redirect_uri, {
                "error": "access_denied",
                "error_description": "AADSTS65004: User declined to consent to access the app.", **state,
            })
        upn = request.POST.get("upn", "").strip().lower()
        user = DirectoryObject.objects.filter(kind=Kind.USER, principal_name=upn, deleted_at=None).first()
        if user is not None and not user.data.get("accountEnabled", True):
            error = "AADSTS50057: The user account is disabled."
        elif user is not None:
            code = AuthorizationCode.objects.create(
                code=secrets.token_urlsafe(32),
                user=user,
                client_id=params["client_id"],
                redirect_uri=redirect_uri,
                scope=params.get("scope", ""),
                nonce=params.get("nonce", ""),
                code_challenge=params.get("code_challenge", ""),
            )
            response = {"code": code.code, **state, "session_state": str(uuid.uuid4())}
            if params.get("client_info") == "1":
                response["client_info"] = tokens.client_info(user)
            return _redirect_with(redirect_uri, response)
        else:
            error = f"AADSTS50034: The user account {upn or '(empty)'} does not exist in the sandbox directory."
    context = {
        "accounts": DemoAccount.objects.select_related("user"),
        "scopes": resource_scopes(params.get("scope", "")),
        "login_hint": params.get("login_hint", ""),
        "error": error,
    }
    return render(request, "sandbox/authorize.html", context, status=400 if error else 200)


def _pkce_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode()).digest()
    return secrets.compare_digest(base64.urlsafe_b64encode(digest).rstrip(b"=").decode(), challenge)


def _token_response(user: DirectoryObject, client_id: str, scopes: list[str], nonce: str = "",
                    family: uuid.UUID | None = None) -> JsonResponse:
    access_token, lifetime = tokens.issue_access_token(user, client_id, scopes)
    refresh_raw = secrets.token_urlsafe(48)
    RefreshToken.objects.create(
        token_hash=hashlib.sha256(refresh_raw.encode()).hexdigest(), user=user, client_id=client_id,
        scope=" ".join(scopes), family=family or uuid.uuid4(),
    )
    return JsonResponse({
        "token_type": "Bearer",
        "scope": " ".join(scopes + OIDC_SCOPES),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access_token,
        "refresh_token": refresh_raw,
        "id_token": tokens.issue_id_token(user, client_id, nonce),
        "client_info": tokens.client_info(user),
    }, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _redeem_code(request: HttpRequest) -> HttpResponse:
    code = AuthorizationCode.objects.select_related("user").filter(code=request.POST.get("code", "")).first()
    expired = code is None or code.used or timezone.now() - code.created_at > CODE_LIFETIME
    if expired or code.client_id != request.POST.get("client_id"):
        return _oauth_error("invalid_grant", "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.", [70008])
    if code.redirect_uri != request.POST.get("redirect_uri"):
        return _oauth_error("invalid_grant", "AADSTS50148: The redirect_uri specified in the token request does not match the redirect_uri used in the authorization request.", [50148])
    if code.code_challenge and not _pkce_matches(request.POST.get("code_verifier", ""), code.code_challenge):
        return _oauth_error("invalid_grant", "AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the authorization request.", [501481])
    code.used = True
    code.save(update_fields=["used"])
    scopes = consented_scopes(code.user, resource_scopes(code.scope))
    return _token_response(code.user, code.client_id, scopes, nonce=code.nonce)


# Refresh-token rotation and reuse (what the app must survive, so the sandbox does it):
# - Microsoft identity platform, "Refresh tokens" (learn.microsoft.com/entra/identity-platform/refresh-tokens):
#   "Refresh tokens replace themselves with a fresh token upon every use" and clients must keep the new
#   one and discard the old. Entra documents that it doesn't revoke the old one today, but reserves
#   the right to change token behaviour without notice, and single-page apps already get single-use ones.
# - OAuth 2.0 Security BCP (RFC 9700 §4.14.2), "refresh token rotation": a refresh token is good once;
#   when a redeemed one is presented again, the server cannot tell the client from a thief, and
#   revokes the whole chain (every token rotated from that sign-in): the user signs in again.
# - Servers that do this allow a short reuse interval, so that a client whose answer was lost on
#   the way back (the "drop" fault) can ask again: ``SANDBOX_REFRESH_REUSE_GRACE`` seconds (5).
# So: each redemption rotates; a redeemed token presented again within the grace is answered (from
# the same chain); after it, the chain is revoked and the answer is invalid_grant (AADSTS70000).
# An app that refreshes the same session in parallel with one refresh token fails here; it must
# refresh once per session and share the result (accounts.tokenlock).
REUSE_GRACE = 5.0


def _reuse_grace() -> timedelta:
    return timedelta(seconds=float(getattr(settings, "SANDBOX_REFRESH_REUSE_GRACE", REUSE_GRACE)))


def _redeem_refresh_token(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("refresh_token", "")
    stored = RefreshToken.objects.select_related("user").filter(token_hash=hashlib.sha256(raw.encode()).hexdigest()).first()
    invalid = _oauth_error("invalid_grant", "AADSTS70000: Provided grant is invalid or malformed.", [70000])
    if stored is None or stored.client_id != request.POST.get("client_id"):
        return invalid
    requested = resource_scopes(request.POST.get("scope", "")) or stored.scope.split()
    granted = consented_scopes(stored.user, requested)
    if set(granted) != set(requested):
        missing = ", ".join(sorted(set(requested) - set(granted)))
        return _oauth_error(
            "invalid_grant",
            f"AADSTS65001: The user or administrator has not consented to use the application. Scopes not granted: {missing}.",
            [65001], suberror="consent_required",
        )
    now = timezone.now()
    # Rotation: good once. A conditional update, so that of two redemptions at once only one is the first.
    first = RefreshToken.objects.filter(pk=stored.pk, revoked=False).update(revoked=True, redeemed_at=now)
    if not first:
        stored.refresh_from_db()
        if stored.redeemed_at is None:  # revoked by an admin ("revoke sessions", a password reset)
            return invalid
        if now - stored.redeemed_at > _reuse_grace():  # a redeemed token again: the chain is revoked
            chain = RefreshToken.objects.filter(family=stored.family) if stored.family else RefreshToken.objects.filter(pk=stored.pk)
            chain.update(revoked=True)
            return invalid
    return _token_response(stored.user, stored.client_id, granted, family=stored.family)


def _authenticate_client(request: HttpRequest, tenant: uuid.UUID) -> JsonResponse | None:
    """None when the app proved itself (a certificate's client assertion, or the secret); else Entra's refusal.

    The assertion is checked against ``SANDBOX_CLIENT_CERTIFICATE``, the sandbox's stand-in for the
    certificates uploaded to an app registration; the secret keeps working for the default demo.
    """
    assertion = request.POST.get("client_assertion", "")
    if assertion:
        if request.POST.get("client_assertion_type") != tokens.CLIENT_ASSERTION_TYPE:
            return _oauth_error("invalid_request", "AADSTS900144: The request body must contain the following parameter: "
                                f"'client_assertion_type={tokens.CLIENT_ASSERTION_TYPE}'.", [900144])
        try:
            tokens.read_client_assertion(assertion, settings.SANDBOX_CLIENT_ID, f"{_public_base(tenant)}/oauth2/v2.0/token")
        except tokens.InvalidClientAssertion as refusal:
            return _oauth_error("invalid_client", str(refusal), [refusal.code], status=401)
        return None
    secret = request.POST.get("client_secret", "")
    if not secret:
        return _oauth_error("invalid_client", "AADSTS7000218: The request body must contain the following parameter: "
                            "'client_assertion' or 'client_secret'.", [7000218], status=401)
    if not secrets.compare_digest(secret, settings.SANDBOX_CLIENT_SECRET):
        return _oauth_error("invalid_client", "AADSTS7000215: Invalid client secret provided.", [7000215], status=401)
    return None


@csrf_exempt  # an OAuth endpoint: the client authenticates with its secret or a signed assertion
@require_POST
@login_not_required
def token(request: HttpRequest, tenant: uuid.UUID) -> HttpResponse:
    """Redeem an authorization code or a refresh token; the app authenticates as msal sends it (secret or assertion)."""
    if not _check_tenant(tenant):
        return _oauth_error("invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.", [90002])
    if request.POST.get("client_id") != settings.SANDBOX_CLIENT_ID:
        return _oauth_error("unauthorized_client", "AADSTS700016: Application not found in the directory.", [700016])
    if refused := _authenticate_client(request, tenant):
        return refused
    grant_type = request.POST.get("grant_type")
    if grant_type == "authorization_code":
        return _redeem_code(request)
    if grant_type == "refresh_token":
        return _redeem_refresh_token(request)
    return _oauth_error("unsupported_grant_type", f"AADSTS70003: The app requested an unsupported grant type '{grant_type}'.", [70003])


@require_GET
@login_not_required
def logout(request: HttpRequest, tenant: uuid.UUID) -> HttpResponse:
    """Entra's end-session endpoint: says goodbye, then returns to the app if it asked."""
    target = request.GET.get("post_logout_redirect_uri", "")
    if urlsplit(target).scheme in {"http", "https"}:
        return HttpResponseRedirect(target)
    if target:
        return HttpResponseBadRequest("post_logout_redirect_uri must be an absolute http(s) URL.")
    return render(request, "sandbox/signed_out.html")
