"""The signed-in user's standing (roles, scoped roles, owned groups), read once per session."""

from django.contrib.sessions.backends.base import SessionBase

from members import memo
from members.directory import MyAccess
from members.graph import GraphClient, GraphError


def access_for(session: SessionBase, graph: GraphClient) -> MyAccess:
    """From the session's memo, or read from Graph in one $batch and remembered for the session.

    When the roles can't be read, nothing is remembered and nothing is disabled: Graph decides.
    """
    access = memo.remembered_access(session)
    if access is None:
        try:
            access = graph.my_access()
        except GraphError:
            return MyAccess(known=False)
        memo.remember_access(session, access)
    return access
