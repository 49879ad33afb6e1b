"""A small stand-in for GraphClient (same methods the views call), told what to answer."""

from dataclasses import replace

from members.directory import MyAccess
from members.graph import CallStats, ContainerRead, GraphError, Result
from members.directory import ContainerInfo, DirectoryItem, Outcome, Page
from members.directory import Container, Kind

INNER_REQUEST_ID = "aa324f0f-b4a3-4af6-9c4f-996e19590000"

DENIED = GraphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", INNER_REQUEST_ID)
NOT_FOUND = GraphError(404, "Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present.", INNER_REQUEST_ID)
ALREADY = GraphError(400, "Request_BadRequest", "One or more added object references already exist for the following modified properties: 'members'.", INNER_REQUEST_ID)
THROTTLED = GraphError(429, "TooManyRequests", "Please retry again later.", INNER_REQUEST_ID, retry_after=30)
MAIL_ENABLED = GraphError(400, "Request_BadRequest", "Cannot Update a mail-enabled security groups and or distribution list.", INNER_REQUEST_ID)


def replace_graph(monkeypatch, graph_for) -> None:
    """Replace the one Graph seam, ``members.client.graph_for(request)``, for every view and workflow."""
    monkeypatch.setattr("members.client.graph_for", graph_for)


class FakeGraph:
    def __init__(self, *, containers: dict[str, ContainerInfo] | None = None,
                 members: dict[str, list[DirectoryItem]] | None = None,
                 errors: dict[tuple[str, str], GraphError] | None = None,
                 access: dict | None = None) -> None:
        self.containers = containers or {}
        self.members = members or {}
        self.errors = errors or {}  # (container id, member id) -> error for add/remove
        self.access = access or {"roles": [], "scoped": [], "owned_groups": [], "known": True}
        self.calls: list[tuple] = []
        self.stats = CallStats()
        # Directory objects outlive their memberships.
        self.directory = {m.id: m for items in self.members.values() for m in items}

    def _directory(self) -> dict[str, DirectoryItem]:
        return self.directory

    def get_container(self, container: Container) -> ContainerInfo:
        self.calls.append(("get_container", container.id))
        if container.id not in self.containers:
            raise NOT_FOUND
        return self.containers[container.id]

    def list_members(self, container: Container, *, search: str = "", top: int = 50, descending: bool = False) -> Page:
        self.calls.append(("list_members", container.id, search))
        items = self.members.get(container.id, [])
        if search:
            items = [m for m in items if search.lower() in m.display_name.lower()]
        return Page(items[::-1] if descending else items)

    def count_members(self, container: Container) -> int:
        return len(self.members.get(container.id, []))

    def list_containers(self, kind: Kind, *, search: str = "", top: int = 50) -> Page:
        items = [c for c in self.containers.values() if c.kind is kind and search.lower() in c.display_name.lower()]
        return Page(items, None, len(items))

    def with_member_counts(self, page: Page) -> Page:
        return page

    def read_container(self, container: Container, *, members: bool = True, units: bool = False,
                       access: bool = False, top: int = 50) -> ContainerRead:
        """As GraphClient's one $batch, made of this fake's single reads (so their calls are recorded)."""
        read = ContainerRead(access=self.my_access() if access else None)
        try:
            read = replace(read, info=self.get_container(container))
        except GraphError as error:
            return replace(read, error=error)
        if members:
            try:
                read = replace(read, members=self.list_members(container, top=top))
            except GraphError as error:
                read = replace(read, members_error=error)
            read = replace(read, member_count=self.count_members(container))
        if units and container.kind is Kind.GROUPS:
            read = replace(read, group_units=self.units_of_group(container.id))
        return read

    def read_list(self, kind: Kind, *, search: str = "", counted=(), top: int = 50, group_kind=None, descending=False) -> Page:
        page = self.with_member_counts(self.list_containers(kind, search=search, top=top))
        page = Page(page.items[::-1], page.next_link, page.count) if descending else page
        if group_kind is None:
            return page
        items = [c for c in page.items if group_kind in c.traits]
        return Page(items, None, len(items))

    def next_page(self, link, parse, *, eventual=False) -> Page:
        return Page([])

    def my_owned_groups(self):
        return [c for c in self.containers.values() if c.id in (self.access.get("owned_groups") or [])]

    def my_access(self) -> MyAccess:
        return MyAccess.from_json(self.access)

    def units_with_groups(self, unit_ids):
        return [(unit_id, self.containers.get(unit_id), []) for unit_id in unit_ids]

    def units_of_group(self, group_id: str) -> frozenset[str]:
        return frozenset()

    def search_directory(self, text, types, *, top=10):
        return [m for m in self._directory().values() if text.lower() in m.display_name.lower()]

    def together(self, *calls):
        return [call() for call in calls]

    def describe(self, container: Container, member_ids: list[str], *, with_container: bool = True):
        self.calls.append(("describe", container.id, tuple(member_ids), with_container))
        directory = self._directory()
        info = self.containers.get(container.id) if with_container else None
        gone = {m for m in member_ids if m not in directory}
        if with_container and container.id not in self.containers:
            gone.add(container.id)
        return info, {m: directory[m] for m in member_ids if m in directory}, frozenset(gone)

    def read_membership(self, container: Container, member_ids: list[str]) -> dict[str, bool]:
        self.calls.append(("read_membership", container.id, tuple(member_ids)))
        present = {m.id for m in self.members.get(container.id, [])}
        return {m: m in present for m in member_ids}

    def batch_get(self, paths):
        return {name: {"value": []} for name in paths}

    def remove_member(self, container: Container, member_id: str) -> Result:
        self.calls.append(("remove_member", container.id, member_id))
        return self._change(container, member_id, remove=True)

    def remove_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        self.calls.append(("remove_members", container.id, tuple(member_ids)))
        return [self._change(container, m, remove=True) for m in member_ids]

    def add_members(self, container: Container, member_ids: list[str]) -> list[Result]:
        self.calls.append(("add_members", container.id, tuple(member_ids)))
        return [self._change(container, m, remove=False) for m in member_ids]

    def _change(self, container: Container, member_id: str, *, remove: bool) -> Result:
        error = self.errors.get((container.id, member_id))
        if error is None:
            current = self.members.setdefault(container.id, [])
            if remove:
                self.members[container.id] = [m for m in current if m.id != member_id]
            return Result(member_id, Outcome.DONE, request_id="rid-done")
        if error.status == 404 and remove or error is ALREADY:
            return Result(member_id, Outcome.ALREADY, error, error.request_id)
        if error.status == 429:
            return Result(member_id, Outcome.BUSY, error, error.request_id)
        return Result(member_id, Outcome.REFUSED, error, error.request_id)


# --- every call recorded: generated from GraphClient's public methods ------------------------------

def _public_methods(cls) -> list[str]:
    return sorted(name for name, value in vars(cls).items() if not name.startswith("_") and callable(value))


def _recorded(name: str, method):
    """Record a call in ``calls`` (unless the method recorded itself, in its own shape) and count it as
    one round trip in ``stats`` (the outermost call only: a fake method built of others is one)."""
    def call(self, *args, **kwargs):
        before, depth = len(self.calls), self._depth
        self._depth += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self._depth = depth
            if len(self.calls) == before:
                self.calls.insert(before, (name, *(getattr(a, "id", a) for a in args)))
            if depth == 0:
                self.stats.calls += 1
    call.__name__ = name
    return call


def _unanswered(name: str):
    def call(self, *args, **kwargs):
        raise AssertionError(f"FakeGraph was not told what {name} answers")
    return call


def _record_every_call(cls):
    """Wrap each of GraphClient's public methods on the fake (one it lacks is recorded, then fails the
    test), so ``fake.calls == []`` means no Graph call at all, whatever method a view uses."""
    from members.graph import GraphClient
    cls._depth = 0
    for name in _public_methods(GraphClient):
        setattr(cls, name, _recorded(name, getattr(cls, name, None) or _unanswered(name)))
    return cls


_record_every_call(FakeGraph)
