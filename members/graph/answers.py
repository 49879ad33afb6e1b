"""What composite reads answer: a container's page in one ``ContainerRead``, and the signed-in
user's standing read from the answers to ``paths.ACCESS_PATHS``."""

from dataclasses import dataclass

from members.directory import ContainerInfo, MyAccess, Page
from members.graph.errors import GraphError


@dataclass(frozen=True)
class ContainerRead:
    """What a container's page reads in one $batch (``GraphClient.read_container``).

    ``error`` is the container's own read failing (then nothing else matters); the other parts
    fail on their own: a members page refused shows its error, a count or units not read are None.
    """

    info: ContainerInfo | None = None
    error: GraphError | None = None
    members: Page | None = None
    members_error: GraphError | None = None
    member_count: int | None = None
    group_units: frozenset[str] | None = None  # for a group: the units holding it, when asked and read
    access: MyAccess | None = None  # the user's standing, when asked (known=False if it couldn't be read)


def access_from(answers: dict[str, dict | GraphError]) -> MyAccess:
    """The user's standing from the answers to ``ACCESS_PATHS``; not known if the roles weren't read."""
    if isinstance(answers["roles"], GraphError):
        return MyAccess(known=False)
    template_of = {}
    if not isinstance(answers["activated"], GraphError):
        template_of = {r["id"]: r.get("roleTemplateId", "") for r in answers["activated"].get("value", [])}
    scoped = frozenset()
    if not isinstance(answers["scoped"], GraphError):
        scoped = frozenset((m["administrativeUnitId"], template_of.get(m["roleId"], m["roleId"]))
                           for m in answers["scoped"].get("value", []))
    owned = None
    if not isinstance(answers["owned"], GraphError):
        owned = frozenset(g["id"] for g in answers["owned"].get("value", []))
    return MyAccess(roles=frozenset(r.get("roleTemplateId", "") for r in answers["roles"].get("value", [])),
                    scoped=scoped, owned_groups=owned, known=True)
