"""Signing in and out: the authorization-code flow with msal, and the pages around it."""

from urllib.parse import urlencode, urlsplit

import msal
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from accounts import tokencrypt, tokens
from accounts.tokens import ACCOUNT_KEY, CACHE_KEY, FLOW_KEY, NEXT_KEY, SCOPES_KEY, AuthorityUnreachable, resource_scopes


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``next`` only when it is a path on this site (DESIGN.md invariant 7); else home."""
    if (candidate and candidate.startswith("/") and not candidate.startswith("//")
            and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure())):
        return candidate
    return settings.LOGIN_REDIRECT_URL


@require_GET
@login_not_required
def sign_in(request: HttpRequest) -> HttpResponse:
    """Start the authorization-code flow and send the browser to the authority's sign-in page."""
    try:
        app = tokens.msal_app()
    except AuthorityUnreachable:
        return _authority_unreachable(request)
    flow = app.initiate_auth_code_flow(
        settings.GRAPH_SCOPES, redirect_uri=request.build_absolute_uri(reverse("auth:callback")),
        prompt="select_account",
    )
    request.session[FLOW_KEY] = flow
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    return redirect(flow["auth_uri"])


@require_GET
@login_not_required
@sensitive_variables()
def callback(request: HttpRequest) -> HttpResponse:
    """Redeem the code, sign the user in to Django, keep the token cache in the session."""
    flow = request.session.pop(FLOW_KEY, None)
    next_url = request.session.pop(NEXT_KEY, settings.LOGIN_REDIRECT_URL)
    if flow is None:
        return _sign_in_failed(request, "This sign-in link has already been used or has expired.")
    cache = msal.SerializableTokenCache()
    try:
        app = tokens.msal_app(cache)
        result = app.acquire_token_by_auth_code_flow(flow, request.GET.dict())
    except AuthorityUnreachable:
        return _authority_unreachable(request)
    except requests.RequestException:  # the code's redemption could not reach the token endpoint
        return _authority_unreachable(request)
    except ValueError:  # state mismatch or a broken flow
        return _sign_in_failed(request, "The sign-in answer did not match this browser's request.")
    except RuntimeError:  # nonce mismatch (msal raises RuntimeError for that)
        return _sign_in_failed(request, "The sign-in answer could not be verified.")
    if "error" in result:
        reason = result.get("error_description") or result["error"]
        if result["error"] == "invalid_client":  # the app's secret or certificate: nothing the user can fix
            reason = f"Entra refused this app's own credential (its client secret or certificate); tell whoever runs Membership Desk. {reason}"
        return _sign_in_failed(request, reason)
    claims = result.get("id_token_claims") or {}
    accounts = app.get_accounts(username=claims.get("preferred_username"))
    if not accounts:
        return _sign_in_failed(request, "The sign-in answer carried no account.")
    login(request, _django_user(claims), backend="django.contrib.auth.backends.ModelBackend")  # new session key
    request.session[CACHE_KEY] = tokencrypt.seal(cache.serialize())
    request.session[ACCOUNT_KEY] = accounts[0]["home_account_id"]
    request.session[SCOPES_KEY] = resource_scopes(result.get("scope", ""))
    return HttpResponseRedirect(_safe_next(request, next_url))  # a path, never a view name


def _django_user(claims: dict):
    """The Django user for an Entra account, keyed by its immutable object id."""
    user, _ = get_user_model().objects.update_or_create(
        username=claims.get("oid") or claims["sub"],
        defaults={"email": (claims.get("preferred_username") or "")[:254],
                  "first_name": (claims.get("name") or "")[:150]},
    )
    return user


def _sign_in_failed(request: HttpRequest, reason: str, *, status: int = 400) -> HttpResponse:
    return render(request, "auth/sign_in_failed.html", {"reason": reason}, status=status)


def _authority_unreachable(request: HttpRequest) -> HttpResponse:
    """Entra could not be reached: say so. 424 Failed Dependency, not a 5xx: this server did not fail
    (DESIGN.md invariant 9), and not 200, so that a monitor sees the sign-in is not working."""
    host = urlsplit(settings.ENTRA_AUTHORITY).hostname
    return _sign_in_failed(request, f"Microsoft Entra sign-in ({host}) can't be reached just now, so nobody can sign "
                           "in. Nothing was changed. Try again in a minute; if it lasts, tell whoever runs "
                           "Membership Desk.", status=424)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """Forget the session (and its tokens), then end the Entra session too when there is one."""
    logout(request)
    signed_out = request.build_absolute_uri(reverse("auth:signed-out"))
    if settings.SANDBOX_MODE:
        return redirect(signed_out)
    query = urlencode({"post_logout_redirect_uri": signed_out})
    return redirect(f"{settings.ENTRA_AUTHORITY}/oauth2/v2.0/logout?{query}")


@require_POST
def kept_revoke(request: HttpRequest) -> HttpResponse:
    """Stop scheduled work from using this person's sign-in (it moves back into its session, if live)."""
    from accounts import kept

    kept.release(request.user)
    messages.success(request, "Your sign-in is no longer kept: scheduled removals will wait, shown as overdue, "
                              "for someone who can make them.")
    return redirect("/")


@require_GET
@login_not_required
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "auth/signed_out.html")
