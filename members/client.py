"""The one seam from a request (or a stored session) to a ``GraphClient``.

Tokens come from ``accounts.tokens`` (msal and the session's token cache); this module only builds the
client with the deployment's Graph settings, and lets the request carry the client's call stats
for the ``Server-Timing`` header (``portal.timing`` reads ``request.graph_stats``).
"""

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from members.graph import GraphClient
from accounts.tokens import graph_token, http_session, session_token


@sensitive_variables("token")
def _client(token: str) -> GraphClient:
    return GraphClient(token, base_url=settings.GRAPH_URL, session=http_session(), timeout=settings.GRAPH_TIMEOUT,
                       max_retries=settings.GRAPH_MAX_RETRIES, max_retry_wait=settings.GRAPH_MAX_RETRY_WAIT,
                       replication_window=settings.GRAPH_REPLICATION_WINDOW)


def graph_for(request: HttpRequest) -> GraphClient:
    """The GraphClient for this request's user (one per request); ReauthenticationRequired if none."""
    client = getattr(request, "_graph_client", None)
    if client is None:
        client = _client(graph_token(request))
        request._graph_client = client
        request.graph_stats = client.stats
    return client


def graph_for_session(session: SessionBase) -> GraphClient:
    """A GraphClient from a stored session (the journal resolver); ReauthenticationRequired if none."""
    return _client(session_token(session))


def graph_for_kept(user) -> GraphClient:
    """A GraphClient from the person's kept sign-in (work done later on their behalf);
    ReauthenticationRequired (SignInNotKept) when none gives a token."""
    from accounts import kept

    return _client(kept.token(user.pk))
