"""A group's owners end to end: listed, added and removed (with Undo) through the journal, the last owner
kept, the buttons of a viewer without rights disabled with the reason, and the groups no one owns."""

from html import unescape
from urllib.parse import unquote_plus

import pytest

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link

OWNER_SCOPES = ["User.Read", "User.ReadBasic.All", "Directory.Read.All", "Device.Read.All", "Member.Read.Hidden",
                "GroupMember.ReadWrite.All", "Group.ReadWrite.All", "AdministrativeUnit.ReadWrite.All",
                "RoleManagement.ReadWrite.Directory"]


@pytest.fixture
def owner_scopes(settings):
    """The app asks Group.ReadWrite.All too (owner writes need it; GroupMember.ReadWrite.All doesn't reach them)."""
    settings.GRAPH_SCOPES = OWNER_SCOPES


def sole_owner_item(group_id: str) -> DirectoryObject:
    """The one owner the seed gives "Contoso Marketing" (a drawn user): its id and display_name."""
    [owner] = owners_of(group_id)
    found = DirectoryObject.objects.get(id=owner)
    found.id = str(found.id)
    return found


def owners_of(group_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=group_id, relation="owners").values_list("member_id", flat=True)}


def graph_writes(path_part: str) -> list:
    return [e for e in knobs.request_log() if e.method in {"POST", "DELETE"} and path_part in e.path]


def section(desk, group_id: str) -> str:
    answer = desk.htmx("GET", f"/groups/{group_id}/owners/", current=f"/groups/{group_id}/")
    assert answer.status_code == 200
    return unescape(answer.text)


def test_the_owners_are_listed_on_the_group_page(sign_in, tenant, owner_scopes):
    group = tenant["single_owner_m365_group"]
    owner = sole_owner_item(group.id)
    desk = sign_in("helpdesk@contoso.example")
    page = desk.get(f"{desk.base_url}/groups/{group.id}/")
    assert page.status_code == 200 and 'id="owners-heading"' in page.text
    html = section(desk, group.id)
    assert f'id="owner-{owner.id}"' in html and owner.display_name in html and "1 owner" in html
    assert f'aria-label="Remove {owner.display_name} as owner"' in html


def test_an_owner_is_added_then_removed_with_undo_journaled_with_request_ids(sign_in, tenant, owner_scopes):
    group = tenant["single_owner_m365_group"]
    new = tenant["spare_users"][0]
    desk = sign_in("helpdesk@contoso.example")
    section(desk, group.id)

    added = desk.htmx("POST", f"/groups/{group.id}/owners/", data={"member": new.id, "ticket": "INC42",
                                                                    "reason": "Cover for leave"})
    assert added.status_code == 200 and "Added as an owner." in added.text
    assert new.id in owners_of(group.id) and new.id not in {  # an owner, not made a member
        str(m) for m in Link.objects.filter(container_id=group.id, relation="members").values_list("member_id", flat=True)}
    posted = graph_writes(f"/groups/{group.id}/owners/$ref")
    assert [e.method for e in posted] == ["POST"]

    removed = desk.htmx("DELETE", f"/groups/{group.id}/owners/{new.id}/", current=f"/groups/{group.id}/")
    assert removed.status_code == 200 and removed.text.lstrip().startswith(f'<tr id="owner-removed-{new.id}"')
    assert "Removed as an owner." in removed.text and "Undo" in removed.text
    assert new.id not in owners_of(group.id)
    deleted = graph_writes(f"/groups/{group.id}/owners/{new.id}/$ref")
    assert [e.method for e in deleted] == ["DELETE"]
    assert not [e for e in knobs.request_log() if e.method == "DELETE" and not e.path.endswith("/$ref")]

    undone = desk.htmx("POST", f"/groups/{group.id}/owners/", data={"member": new.id},
                       headers={"HX-Target": f"owner-removed-{new.id}"})
    assert undone.status_code == 200 and undone.text.lstrip().startswith(f'<tr id="owner-{new.id}"')
    assert new.id in owners_of(group.id)

    entries = list(AuditEntry.objects.order_by("pk"))
    assert [(e.action, e.relation, e.outcome, e.member_id) for e in entries] == [
        ("add", "owners", "done", new.id), ("remove", "owners", "done", new.id), ("add", "owners", "done", new.id)]
    logged = {e.request_id for e in knobs.request_log()}
    assert all(e.request_id and e.request_id in logged for e in entries)
    assert (entries[0].ticket, entries[0].reason) == ("INC42", "Cover for leave")
    activity = unescape(desk.get(f"{desk.base_url}/activity/").text)
    assert f"{new.display_name}" in activity and f"as an owner of" in activity


def test_the_last_owner_is_not_removed_and_nothing_is_sent(sign_in, tenant, owner_scopes):
    group = tenant["single_owner_m365_group"]
    owner = sole_owner_item(group.id)
    desk = sign_in("helpdesk@contoso.example")
    section(desk, group.id)
    answer = desk.htmx("DELETE", f"/groups/{group.id}/owners/{owner.id}/", current=f"/groups/{group.id}/")
    html = unescape(answer.text)
    assert answer.status_code == 200 and 'role="alert"' in html
    assert f"{owner.display_name} is the only owner of {group.display_name}: add another owner first." in html
    assert owners_of(group.id) == {owner.id}
    assert not graph_writes("/owners/") and not AuditEntry.objects.exists()


def test_a_viewer_without_rights_finds_the_buttons_disabled_and_a_forged_post_refused_inline(sign_in, tenant, owner_scopes):
    group = tenant["single_owner_m365_group"]
    desk = sign_in("user@contoso.example")
    html = section(desk, group.id)
    reason = "You need the Groups Administrator role, or to be one of its owners, to change the owners of this group."
    assert reason in html and 'aria-describedby="why-owners-disabled"' in html and 'aria-disabled="true"' in html
    forged = desk.htmx("POST", f"/groups/{group.id}/owners/", data={"member": tenant["spare_users"][1].id})
    text = unescape(forged.text)
    assert forged.status_code == 200 and 'role="alert"' in text and "Groups Administrator" in text
    assert tenant["spare_users"][1].id not in owners_of(group.id)
    entry = AuditEntry.objects.get()
    assert (entry.relation, entry.outcome, entry.graph_status, entry.graph_code) == (
        "owners", "refused", 403, "Authorization_RequestDenied")


def test_without_group_readwrite_the_owner_buttons_say_which_permission_is_missing(sign_in, tenant):
    """The app's default scopes change members, not owners: the section says so instead of failing."""
    group = tenant["single_owner_m365_group"]
    desk = sign_in("helpdesk@contoso.example")
    html = section(desk, group.id)
    assert "This app was not granted Group.ReadWrite.All for you, so it cannot change group owners" in html
    assert 'aria-disabled="true"' in html


def test_groups_without_owners_lists_exactly_those(sign_in, tenant, owner_scopes):
    desk = sign_in("helpdesk@contoso.example")
    home = desk.get(f"{desk.base_url}/")
    assert 'href="/groups/ownerless/"' in home.text
    page = desk.get(f"{desk.base_url}/groups/ownerless/")
    assert page.status_code == 200
    html = unescape(page.text)
    owned = set(Link.objects.filter(relation="owners").values_list("container_id", flat=True))
    ownerless = DirectoryObject.objects.filter(kind="group").exclude(id__in=owned)
    assert {str(g.id) for g in ownerless} == {tenant["ownerless_group"].id}
    assert tenant["ownerless_group"].display_name in html and tenant["single_owner_m365_group"].display_name not in html
    assert "1 group without owners" in html or "Showing 1 group without owners" in html
    assert [e for e in knobs.request_log() if "owners/$count eq 0" in unquote_plus(e.query)]
