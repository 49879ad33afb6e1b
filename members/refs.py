"""Ids and Graph paths for containers and their member references.

Every id that reaches a Graph URL passes ``object_id`` first (DESIGN.md invariant 1), and every
removal path is built by ``member_ref_path``, which always ends in ``/$ref`` (invariant 2): a
DELETE on a member *reference* removes a membership; without ``/$ref`` it would delete the
user or group from the tenant.
"""

import uuid
from dataclasses import dataclass

from members.directory import Kind


class InvalidId(ValueError):
    """An id that is not a canonical GUID; nothing was sent to Graph."""


GUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def object_id(value: object) -> str:
    """The canonical lower-case GUID form of ``value``, or ``InvalidId``."""
    text = str(value) if value is not None else ""  # no trimming: an id is exactly its canonical form
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        raise InvalidId(f"Not a directory object id: {text[:60]!r}") from None
    canonical = str(parsed)
    # uuid.UUID also accepts braces, urn: prefixes and missing hyphens; a path takes only the canonical form.
    if text.lower() != canonical:
        raise InvalidId(f"Not a directory object id: {text[:60]!r}")
    return canonical


def parse_kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise InvalidId(f"Not a container kind: {value[:20]!r}") from None


@dataclass(frozen=True)
class Container:
    """A container addressed by object id, or a directory role by its roleTemplateId."""

    kind: Kind
    id: str
    by_template: bool = False

    @classmethod
    def of(cls, kind: Kind | str, container_id: object) -> "Container":
        return cls(parse_kind(str(kind)), object_id(container_id))

    @classmethod
    def role_template(cls, template_id: object) -> "Container":
        return cls(Kind.ROLES, object_id(template_id), by_template=True)


def is_beta(base_url: str) -> bool:
    return base_url.rstrip("/").endswith("/beta")


def collection_path(kind: Kind, base_url: str) -> str:
    """The list path of a kind. AUs live under /directory on v1.0; /administrativeUnits is beta-only."""
    if kind is Kind.UNITS:
        return "/administrativeUnits" if is_beta(base_url) else "/directory/administrativeUnits"
    if kind is Kind.GROUPS:
        return "/groups"
    return "/directoryRoles"


def container_path(container: Container, base_url: str) -> str:
    if container.by_template:
        return f"/directoryRoles(roleTemplateId='{object_id(container.id)}')"
    return f"{collection_path(container.kind, base_url)}/{object_id(container.id)}"


def members_path(container: Container, base_url: str) -> str:
    return f"{container_path(container, base_url)}/members"


def members_ref_path(container: Container, base_url: str) -> str:
    """Where a member reference is POSTed (one per call)."""
    return f"{members_path(container, base_url)}/$ref"


def member_ref_path(container: Container, member_id: object, base_url: str) -> str:
    """The one path a removal may DELETE: the member *reference*, ending in /$ref."""
    path = f"{members_path(container, base_url)}/{object_id(member_id)}/$ref"
    assert path.endswith("/$ref")
    return path


def directory_object_url(base_url: str, member_id: object) -> str:
    """The ``@odata.id`` of a directory object, as add-member bodies carry it."""
    return f"{base_url.rstrip('/')}/directoryObjects/{object_id(member_id)}"
