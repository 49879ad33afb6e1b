"""A change that arrived after the session had gone: kept, never replayed, for the page the user
signs back in to (``members.notsent`` says it was not made and offers it again)."""

from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest


INTERRUPTED_KEY = "auth_interrupted"


def keep_interrupted_change(request: HttpRequest) -> None:
    """A change (POST or DELETE) that arrived after the session had gone is not sent. It is kept in
    the new session, never replayed, so that the page the user signs back in to can say it was not
    made and offer it again (the app reads it with ``take_interrupted_change``)."""
    if request.method not in {"POST", "DELETE"}:
        return
    fields = {name: values for name, values in request.POST.lists() if name != "csrfmiddlewaretoken"}
    request.session[INTERRUPTED_KEY] = {"method": request.method, "path": request.path, "fields": fields}


def take_interrupted_change(session: SessionBase) -> dict | None:
    """The change kept by the login gate (method, path, form fields), once; None if there was none."""
    return session.pop(INTERRUPTED_KEY, None)
