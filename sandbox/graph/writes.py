"""Graph writes: ``$ref`` POST/DELETE on members, PATCH with ``members@odata.bind``, DELETE without $ref.

Every write answers ``204 No Content`` or a catalogue error; nothing changes when it fails
(a PATCH with several binds is all-or-nothing, as documented).
"""

import re
from datetime import UTC, datetime

from django.db import transaction

from sandbox import authz, knobs
from sandbox.graph import directory, errors
from sandbox.graph.call import MISSING, Call, Result, no_content
from sandbox.models import DirectoryObject, Kind, Link

MAX_BINDS = 20
# .../{set}/{id}[/Microsoft.DirectoryServices.Type] in an @odata.id or a bind URL.
REFERENCE_URL = re.compile(
    r"^https?://[^/]+/.*?/?(?P<set>directoryObjects|users|groups|devices|servicePrincipals|contacts|orgContacts|"
    r"administrativeUnits|directoryRoles)/(?P<id>[^/?#]+)(?:/[^/?#]*)?/?$",
    re.IGNORECASE,
)
SET_KINDS = {
    "users": Kind.USER, "groups": Kind.GROUP, "devices": Kind.DEVICE, "serviceprincipals": Kind.SERVICE_PRINCIPAL,
    "contacts": Kind.ORG_CONTACT, "orgcontacts": Kind.ORG_CONTACT, "administrativeunits": Kind.ADMINISTRATIVE_UNIT,
    "directoryroles": Kind.DIRECTORY_ROLE,
}
CONTAINER_NAMES = {Kind.GROUP: "group", Kind.ADMINISTRATIVE_UNIT: "administrative unit", Kind.DIRECTORY_ROLE: "directory role"}


def parse_reference(url, bad_url: errors.GraphError) -> tuple[str, str | None]:
    """(object id, kind named by the URL's entity set or None) from a reference URL, else ``bad_url``."""
    if not isinstance(url, str):
        raise bad_url
    match = REFERENCE_URL.match(url.strip())
    if not match:
        raise bad_url
    object_id = directory.parse_id(match.group("id"))
    return object_id, SET_KINDS.get(match.group("set").lower())


def resolve_reference(object_id: str, kind: str | None) -> DirectoryObject:
    """The referenced object, else E3 naming it (GRAPH.md E3: POST names the object)."""
    obj = directory.live_objects().filter(id=object_id).first()
    if obj is None or (kind is not None and obj.kind != kind):
        raise errors.not_found(object_id)
    return obj


def refusal_error(refusal: authz.Refusal, member_kind: str | None, container: DirectoryObject) -> errors.GraphError:
    if refusal is authz.Refusal.MAIL_ENABLED:
        return errors.mail_enabled()
    if refusal is authz.Refusal.SYNCED:
        return errors.synced()
    if refusal is authz.Refusal.MEMBER_TYPE:
        return errors.member_type_not_allowed(member_kind or "directoryObject", CONTAINER_NAMES[container.kind])
    return errors.denied()


def check_change(actor: authz.Actor, container: DirectoryObject, member: DirectoryObject | None) -> None:
    """Raise the refusal for adding ``member`` (or removing, when ``member`` is None)."""
    member_kind = member.kind if member is not None else None
    if container.kind == Kind.GROUP:
        refusal = authz.change_group_members(actor, directory.group_target(container), member_kind)
    elif container.kind == Kind.ADMINISTRATIVE_UNIT:
        refusal = authz.change_unit_members(actor, directory.unit_target(container), member_kind)
    else:
        role_assignable = bool(member and member.data.get("isAssignableToRole"))
        refusal = authz.change_role_members(actor, member_kind, role_assignable)
    if refusal is not None:
        raise refusal_error(refusal, member_kind, container)


def add_member(call: Call, actor: authz.Actor, container: DirectoryObject) -> Result:
    """``POST …/members/$ref`` with ``{"@odata.id": ".../directoryObjects/{id}"}``."""
    if call.body is MISSING or call.body is None or call.body == "":
        raise errors.empty_body()
    if not isinstance(call.body, dict):
        raise errors.invalid_url_in_payload()
    object_id, kind = parse_reference(call.body.get("@odata.id"), errors.invalid_url_in_payload())
    member = resolve_reference(object_id, kind)
    check_change(actor, container, member)
    with transaction.atomic():
        if directory.is_member(container, object_id):
            raise errors.already_member()
        Link.objects.create(container=container, member=member, relation=Link.MEMBERS, member_name=member.display_name)
        mark_management_restricted(container, member)
        knobs.log_membership_change(container.id, member.id, "add", call.request_id)
    return no_content()


def remove_member(call: Call, actor: authz.Actor, container: DirectoryObject, raw_member_id: str) -> Result:
    """``DELETE …/members/{id}/$ref``; a non-member is a 404 naming the container."""
    member_id = directory.parse_id(raw_member_id)
    check_change(actor, container, None)
    deleted, _ = Link.objects.filter(container=container, member_id=member_id, relation=Link.MEMBERS).delete()
    if not deleted:
        raise errors.not_found(str(container.id))
    knobs.log_membership_change(container.id, member_id, "remove", call.request_id)
    if restricts_members(container):
        member = DirectoryObject.objects.filter(id=member_id).first()
        if member is not None:
            mark_management_restricted(container, member)
    return no_content()


def delete_member_object(call: Call, actor: authz.Actor, container: DirectoryObject, raw_member_id: str) -> Result:
    """``DELETE …/members/{id}`` without ``/$ref``: deletes the member object itself (GRAPH.md E9).

    With only membership scopes this is a 403; with the object type's write scope the object
    goes to deleted items (``deleted_at``) and so leaves every list.
    """
    member_id = directory.parse_id(raw_member_id)
    if not directory.is_member(container, member_id):
        check_change(actor, container, None)
        raise errors.not_found(str(container.id))
    member = directory.get_object(member_id)
    if not authz.can_delete_object(actor, member.kind):
        raise errors.denied()
    check_change(actor, container, None)
    now = datetime.now(UTC)
    member.deleted_at = now
    member.data["deletedDateTime"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    member.save(update_fields=["deleted_at", "data"])
    return no_content()


def patch_group(call: Call, actor: authz.Actor, group: DirectoryObject) -> Result:
    """``PATCH /groups/{id}`` with ``members@odata.bind``: at most 20, all or nothing."""
    if call.body is MISSING or call.body is None or call.body == "":
        raise errors.empty_body()
    if not isinstance(call.body, dict):
        raise errors.empty_body()
    binds = call.body.get("members@odata.bind")
    other = set(call.body) - {"members@odata.bind"}
    if other:
        # The sandbox emulates membership only; property updates are not part of its Graph subset.
        raise errors.GraphError(400, "Request_BadRequest", f"The sandbox doesn't update group properties ({', '.join(sorted(other))}).")
    if not isinstance(binds, list):
        raise errors.invalid_bind_url()
    if len(binds) > MAX_BINDS:
        raise errors.too_many_link_changes()
    members = [resolve_reference(*parse_reference(url, errors.invalid_bind_url())) for url in binds]
    for member in members:
        check_change(actor, group, member)
    with transaction.atomic():
        ids = [member.id for member in members]
        duplicated = len(set(ids)) != len(ids)
        if duplicated or Link.objects.filter(container=group, member_id__in=ids, relation=Link.MEMBERS).exists():
            raise errors.already_member()
        Link.objects.bulk_create([Link(container=group, member=member, relation=Link.MEMBERS, member_name=member.display_name)
                                  for member in members])
        for member in members:
            knobs.log_membership_change(group.id, member.id, "add", call.request_id)
    return no_content()


def restricts_members(container: DirectoryObject) -> bool:
    """A restricted-management AU: its members' ``isManagementRestricted`` follows their membership."""
    return container.kind == Kind.ADMINISTRATIVE_UNIT and bool(container.data.get("isMemberManagementRestricted"))


def mark_management_restricted(container: DirectoryObject, member: DirectoryObject) -> None:
    """Objects in a restricted-management AU expose ``isManagementRestricted: true`` (GRAPH.md §4)."""
    if not restricts_members(container):
        return
    restricted = directory.containers_of(str(member.id), Kind.ADMINISTRATIVE_UNIT).filter(
        data__isMemberManagementRestricted=True
    ).exists()
    member.data["isManagementRestricted"] = restricted
    member.save(update_fields=["data"])


# ---------------------------------------------------------------- group owners

def check_owner_change(actor: authz.Actor, group: DirectoryObject, owner_kind: str) -> None:
    refusal = authz.change_group_owners(actor, directory.group_target(group), owner_kind)
    if refusal is authz.Refusal.MEMBER_TYPE:
        raise errors.owner_type_not_allowed(owner_kind)
    if refusal is not None:
        raise refusal_error(refusal, owner_kind, group)


def add_owner(call: Call, actor: authz.Actor, group: DirectoryObject) -> Result:
    """``POST /groups/{id}/owners/$ref`` with ``{"@odata.id": ".../directoryObjects/{id}"}``: a user or a
    service principal; 400 when it is one already (E2, 'owners'), 404 when it doesn't exist."""
    if call.body is MISSING or call.body is None or call.body == "":
        raise errors.empty_body()
    if not isinstance(call.body, dict):
        raise errors.invalid_url_in_payload()
    object_id, kind = parse_reference(call.body.get("@odata.id"), errors.invalid_url_in_payload())
    owner = resolve_reference(object_id, kind)
    check_owner_change(actor, group, owner.kind)
    with transaction.atomic():
        if Link.objects.filter(container=group, member_id=object_id, relation=Link.OWNERS).exists():
            raise errors.already_member(Link.OWNERS)
        Link.objects.create(container=group, member=owner, relation=Link.OWNERS, member_name=owner.display_name)
    return no_content()


def remove_owner(call: Call, actor: authz.Actor, group: DirectoryObject, raw_owner_id: str) -> Result:
    """``DELETE /groups/{id}/owners/{id}/$ref``; a non-owner is a 404 naming the group (as for members, E3);
    the last owner is refused (400, ``errors.last_owner``), nothing removed."""
    owner_id = directory.parse_id(raw_owner_id)
    owner = DirectoryObject.objects.filter(id=owner_id).first()
    # The caller's right is judged first (a refused caller learns nothing of the group's owners); an id that
    # is no object is judged as a user owner, the kind every role of the table may change.
    check_owner_change(actor, group, owner.kind if owner is not None else "user")
    with transaction.atomic():
        owners = list(Link.objects.select_for_update().filter(container=group, relation=Link.OWNERS)
                      .values_list("member_id", flat=True))
        if owner_id not in {str(o) for o in owners}:
            raise errors.not_found(str(group.id))
        # The docs name "the last owner (a user object)"; an app as the last owner is refused as well
        # (msgraph-metadata#653 reports a group whose remaining owner is a service principal refusing the
        # removal of the other): the stricter reading, for every kind of group.
        if len(owners) == 1:
            raise errors.last_owner()
        Link.objects.filter(container=group, member_id=owner_id, relation=Link.OWNERS).delete()
    return no_content()
