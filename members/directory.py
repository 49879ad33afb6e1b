"""The domain's vocabulary: plain types, no I/O.

Kinds of container, their traits (with the words a person reads), the actions and their
outcomes, the containers and directory objects Graph returns, and the signed-in user's access.
Everything else (graph, permissions, explain, changes, templates) speaks in these terms.

Ids are checked once, where they come in (the URL converter, a form, a ``Container``): an
``ObjectId`` is a canonical GUID by construction, so nothing inside checks it again, and no
request value reaches a Graph URL unchecked (DESIGN.md invariant 1).
"""

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

GUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class InvalidId(ValueError):
    """An id that is not a canonical GUID; nothing was sent to Graph."""


class ObjectId(str):
    """A directory object id in its canonical lower-case GUID form: checked when made, trusted after."""

    __slots__ = ()

    def __new__(cls, value: object) -> "ObjectId":
        if type(value) is cls:
            return value
        text = str(value) if value is not None else ""  # no trimming: an id is exactly its canonical form
        try:
            canonical = str(uuid.UUID(text))
        except ValueError:
            raise InvalidId(f"Not a directory object id: {text[:60]!r}") from None
        # uuid.UUID also accepts braces, urn: prefixes and missing hyphens; a path takes only the canonical form.
        if text.lower() != canonical:
            raise InvalidId(f"Not a directory object id: {text[:60]!r}")
        return super().__new__(cls, canonical)


def object_id(value: object) -> ObjectId:
    """The canonical form of ``value``, or ``InvalidId``: for the edges, where ids come in."""
    return ObjectId(value)


def object_ids(values) -> list[ObjectId]:
    """Each of ``values`` checked, duplicates dropped, in order."""
    return list(dict.fromkeys(ObjectId(value) for value in values))


class Kind(StrEnum):
    """The three kinds of container, named as in our URLs."""

    UNITS = "units"
    GROUPS = "groups"
    ROLES = "roles"

    @property
    def label(self) -> str:
        return {"units": "administrative unit", "groups": "group", "roles": "directory role"}[self.value]

    @property
    def plural_label(self) -> str:
        return {"units": "Administrative units", "groups": "Groups", "roles": "Directory roles"}[self.value]


def parse_kind(value: object) -> "Kind":
    try:
        return Kind(value)
    except ValueError:
        raise InvalidId(f"Not a container kind: {str(value)[:20]!r}") from None


@dataclass(frozen=True)
class Container:
    """A container addressed by object id, or a directory role by its roleTemplateId; its kind and
    id are checked when it is made."""

    kind: Kind
    id: ObjectId
    by_template: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", parse_kind(self.kind))
        object.__setattr__(self, "id", ObjectId(self.id))

    @classmethod
    def role_template(cls, template_id: object) -> "Container":
        return cls(Kind.ROLES, template_id, by_template=True)


class MemberType(StrEnum):
    """The types of directory object a container can hold, as Graph names them (``@odata.type``)."""

    USER = "user"
    GROUP = "group"
    DEVICE = "device"
    SERVICE_PRINCIPAL = "servicePrincipal"
    ORG_CONTACT = "orgContact"

    @property
    def cast(self) -> str:
        """The OData cast segment: user -> microsoft.graph.user."""
        return f"microsoft.graph.{self.value}"

    @property
    def noun(self) -> str:
        """The type as a sentence names one: "a device", "an app (service principal)"."""
        return MEMBER_TYPE_NOUNS[self]

    @property
    def plural_label(self) -> str:
        return MEMBER_TYPE_PLURALS[self]


MEMBER_TYPE_NOUNS = {MemberType.USER: "a user", MemberType.GROUP: "a group", MemberType.DEVICE: "a device",
                     MemberType.SERVICE_PRINCIPAL: "an app (service principal)", MemberType.ORG_CONTACT: "a contact"}
MEMBER_TYPE_PLURALS = {MemberType.USER: "Users", MemberType.GROUP: "Groups", MemberType.DEVICE: "Devices",
                       MemberType.SERVICE_PRINCIPAL: "Apps", MemberType.ORG_CONTACT: "Contacts"}
# The types a person picks, finds and filters by (apps and contacts are shown, never picked).
PICKED_TYPES = (MemberType.USER, MemberType.GROUP, MemberType.DEVICE)


class Trait(StrEnum):
    """What makes a container special for membership changes; the value is a stable machine name."""

    SECURITY = "security"
    M365 = "m365"
    MAIL_ENABLED_SECURITY = "mail_enabled_security"
    DISTRIBUTION = "distribution"
    DYNAMIC = "dynamic"
    SYNCED = "synced"
    ROLE_ASSIGNABLE = "role_assignable"
    RESTRICTED = "restricted"  # a restricted-management unit, or a group in one
    HIDDEN = "hidden"  # a unit with hidden membership

    def label_for(self, kind: Kind) -> str:
        """The tag a person reads on the container's page."""
        if self is Trait.RESTRICTED and kind is Kind.GROUPS:
            return "In a restricted unit"
        return TRAIT_LABELS[self]


TRAIT_LABELS = {
    Trait.SECURITY: "Security",
    Trait.M365: "Microsoft 365",
    Trait.MAIL_ENABLED_SECURITY: "Mail-enabled security",
    Trait.DISTRIBUTION: "Distribution list",
    Trait.DYNAMIC: "Dynamic",
    Trait.SYNCED: "Synced from on-premises",
    Trait.ROLE_ASSIGNABLE: "Role-assignable",
    Trait.RESTRICTED: "Restricted management",
    Trait.HIDDEN: "Hidden membership",
}


def group_kind(group: dict) -> Trait:
    """Security / Microsoft 365 / mail-enabled security / distribution list, from a group's flags."""
    if "Unified" in (group.get("groupTypes") or []):
        return Trait.M365
    if group.get("mailEnabled"):
        return Trait.MAIL_ENABLED_SECURITY if group.get("securityEnabled") else Trait.DISTRIBUTION
    return Trait.SECURITY


class Action(StrEnum):
    """What a person asked for: a change (add, remove) or a read (load)."""

    ADD = "add"
    REMOVE = "remove"
    LOAD = "load"

    @property
    def verb(self) -> str:
        return self.value

    @property
    def past(self) -> str:
        return {"add": "added", "remove": "removed", "load": "loaded"}[self.value]

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def inverse(self) -> "Action":
        return {Action.ADD: Action.REMOVE, Action.REMOVE: Action.ADD}[self]


class Outcome(StrEnum):
    """What became of one add or remove: the one source of truth for results and the journal."""

    PENDING = "pending"  # journaled and sent (or about to be), not settled yet: a crash leaves this
    DONE = "done"
    # Graph's answer was lost and reading back shows the membership as asked: this attempt made the
    # change, or it was so already; which, nothing tells (a read shows a state, not who caused it).
    # Never counted as a change of this attempt's (no Undo of it: it might undo someone else's).
    AS_ASKED = "as_asked"
    ALREADY = "already"  # already a member / already removed: not an error
    REFUSED = "refused"  # Graph said no (permission, protected target, bad request)
    BUSY = "busy"  # throttled or unavailable after the bounded retries: not done
    UNKNOWN = "unknown"  # no answer, and reading back failed too: may or may not be done
    FAILED = "failed"  # anything else
    MISSING = "missing"  # the container or the member doesn't exist (a read told which)
    SIGN_IN = "sign_in"  # not sent: the sign-in had expired
    INTERRUPTED = "interrupted"  # a pending entry settled later: the change had not been made
    # An open entry a later change of the same membership overtook before it was settled: today's
    # membership is that later change's doing, so it can't tell what this attempt did. Never "done".
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return OUTCOME_LABELS[self]

    @property
    def settled(self) -> bool:
        """Whether the journal knows the membership's state after this attempt."""
        return self not in {Outcome.PENDING, Outcome.UNKNOWN}

    @property
    def took_effect(self) -> bool:
        """The membership is as asked after this attempt (done now, or already so)."""
        return self in {Outcome.DONE, Outcome.AS_ASKED, Outcome.ALREADY}

    @property
    def may_have_changed(self) -> bool:
        """This attempt may have changed the membership (a table showing it should follow)."""
        return self in {Outcome.DONE, Outcome.AS_ASKED}


OUTCOME_LABELS = {
    Outcome.PENDING: "Pending: no answer recorded yet",
    Outcome.DONE: "Done",
    Outcome.AS_ASKED: "As asked (done, or already so)",
    Outcome.ALREADY: "No change needed",
    Outcome.REFUSED: "Refused",
    Outcome.BUSY: "Graph busy: not done",
    Outcome.UNKNOWN: "No answer: outcome unknown",
    Outcome.FAILED: "Failed",
    Outcome.MISSING: "Not found: nothing changed",
    Outcome.SIGN_IN: "Not sent: not signed in",
    Outcome.INTERRUPTED: "Interrupted: not done",
    Outcome.SUPERSEDED: "Overtaken by a later change",
}


@dataclass(frozen=True)
class DirectoryItem:
    """A member or a people-picker hit: a user, group, device, service principal or contact."""

    id: str
    type: str
    display_name: str
    principal: str = ""
    detail: str = ""
    enabled: bool | None = None  # accountEnabled of a user, device or app; None: no account, or not read
    user_type: str = ""  # a user's "Member" or "Guest"

    @classmethod
    def from_graph(cls, item: dict) -> "DirectoryItem":
        kind = item.get("@odata.type", "#microsoft.graph.directoryObject").rsplit(".", 1)[-1]
        principal = item.get("userPrincipalName") or item.get("mail") or item.get("appId") or ""
        detail = item.get("jobTitle") or item.get("operatingSystem") or ""
        if kind == "group":
            detail = group_kind(item).label_for(Kind.GROUPS)
        enabled = item.get("accountEnabled")
        return cls(id=item["id"], type=kind, display_name=item.get("displayName") or "(no name)",
                   principal=principal, detail=detail, enabled=enabled if isinstance(enabled, bool) else None,
                   user_type=str(item.get("userType") or "") if kind == "user" else "")

    @classmethod
    def unknown(cls, object_id: str) -> "DirectoryItem":
        return cls(object_id, "directoryObject", "(unknown object)")

    def to_json(self) -> list:
        return [self.type, self.display_name, self.principal, self.detail, self.enabled, self.user_type]

    @classmethod
    def from_json(cls, object_id: str, data: list) -> "DirectoryItem":
        return cls(object_id, *data)


@dataclass(frozen=True)
class ContainerInfo:
    """An AU, group or directory role, with the traits that decide who may change its members."""

    kind: Kind
    id: str
    display_name: str
    description: str = ""
    data: dict = field(default_factory=dict, compare=False, hash=False)
    member_count: int | None = None

    @classmethod
    def from_graph(cls, kind: Kind, item: dict) -> "ContainerInfo":
        return cls(kind=Kind(kind), id=item["id"], display_name=item.get("displayName") or "(no name)",
                   description=item.get("description") or "", data=item)

    @property
    def role_template_id(self) -> str:
        return self.data.get("roleTemplateId") or ""

    @property
    def traits(self) -> tuple[Trait, ...]:
        """What makes this container special, in a stable order (see ``Trait``)."""
        d = self.data
        found = []
        if self.kind is Kind.GROUPS:
            found.append(group_kind(d))
            if "DynamicMembership" in (d.get("groupTypes") or []):
                found.append(Trait.DYNAMIC)
            if d.get("onPremisesSyncEnabled"):
                found.append(Trait.SYNCED)
            if d.get("isAssignableToRole"):
                found.append(Trait.ROLE_ASSIGNABLE)
            if d.get("isManagementRestricted"):
                found.append(Trait.RESTRICTED)
        elif self.kind is Kind.UNITS:
            if d.get("isMemberManagementRestricted"):
                found.append(Trait.RESTRICTED)
            if (d.get("membershipType") or "").lower() == "dynamic":
                found.append(Trait.DYNAMIC)
            if d.get("visibility") == "HiddenMembership":
                found.append(Trait.HIDDEN)
        return tuple(found)

    @property
    def trait_labels(self) -> list[tuple[Trait, str]]:
        return [(trait, trait.label_for(self.kind)) for trait in self.traits]


@dataclass(frozen=True)
class Page:
    """One page of a Graph collection: its items, the nextLink to the next page, the count if asked."""

    items: list
    next_link: str | None = None
    count: int | None = None


@dataclass(frozen=True)
class MyAccess:
    """The signed-in user's standing, read once per session."""

    roles: frozenset[str] = frozenset()  # tenant-wide role template ids
    scoped: frozenset[tuple[str, str]] = frozenset()  # (unit id, role template id)
    owned_groups: frozenset[str] | None = frozenset()  # None: could not be read
    known: bool = True  # False when the roles could not be read: then nothing is disabled

    @property
    def units(self) -> frozenset[str]:
        return frozenset(unit for unit, _ in self.scoped)

    def to_json(self) -> dict:
        return {"roles": sorted(self.roles), "scoped": sorted(list(pair) for pair in self.scoped),
                "owned_groups": sorted(self.owned_groups) if self.owned_groups is not None else None,
                "known": self.known}

    @classmethod
    def from_json(cls, data: dict) -> "MyAccess":
        owned = data.get("owned_groups")
        return cls(roles=frozenset(data.get("roles", ())), scoped=frozenset(tuple(p) for p in data.get("scoped", ())),
                   owned_groups=frozenset(owned) if owned is not None else None, known=data.get("known", True))
