"""The signed-in user's standing (roles, scoped roles, owned groups), read once per session."""

from django.http import HttpRequest

from members.graph import GraphClient, GraphError
from members.permissions import MyAccess

ACCESS_KEY = "my_access"


def access_for(request: HttpRequest, graph: GraphClient) -> MyAccess:
    """From the session, or read from Graph in one $batch and remembered for the session."""
    stored = request.session.get(ACCESS_KEY)
    if stored is None:
        try:
            stored = graph.my_access()
        except GraphError:
            return MyAccess(known=False)
        request.session[ACCESS_KEY] = stored
    return MyAccess(
        roles=frozenset(stored["roles"]),
        scoped=frozenset(tuple(pair) for pair in stored["scoped"]),
        owned_groups=frozenset(stored["owned_groups"]) if stored["owned_groups"] is not None else None,
        known=stored["known"],
    )


def forget_access(request: HttpRequest) -> None:
    request.session.pop(ACCESS_KEY, None)
