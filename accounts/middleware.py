"""The login gate and the sign-in redirect, both answering htmx with HX-Redirect."""

from urllib.parse import quote

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from accounts.interrupted import keep_interrupted_change
from accounts.tokens import ReauthenticationRequired


def _login_url(request: HttpRequest) -> str:
    """The sign-in page, returning to the page the user is on (htmx's HX-Current-URL, when it reads as
    a URL of this site) or else to this request's own path."""
    try:
        current = request.htmx.current_url_abs_path if getattr(request, "htmx", None) else None
    except ValueError:  # a header urlsplit can't read ("http://["): a browser never sends it, anyone can
        current = None
    return f"{reverse('auth:sign-in')}?next={quote(current or request.get_full_path())}"


class HtmxLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login gate, answering htmx requests with HX-Redirect instead of a swapped-in page.
    A change asked for while signed out is kept, unsent, for after signing in."""

    def handle_no_permission(self, request, view_func):
        keep_interrupted_change(request)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(_login_url(request))
        return super().handle_no_permission(request, view_func)


class ReauthenticationMiddleware:
    """Turn ``ReauthenticationRequired`` into a sign-in redirect (HX-Redirect for htmx)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ReauthenticationRequired):
            return None
        login_url = _login_url(request)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(login_url)
        return redirect(login_url)
