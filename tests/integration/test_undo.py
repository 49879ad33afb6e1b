"""Undo and revert against the live sandbox: the inverse calls through the journal, refused when the
state moved on (a later journaled change, or Graph's membership), for one's own entries."""

import re
from html import unescape

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link


def members_of(container_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container_id, relation="members").values_list("member_id", flat=True)}


def undo_ids(html: str) -> list[str]:
    form = re.search(r'<form class="undo".*?</form>', html, re.S).group(0)
    return re.findall(r'name="entry" value="(\d+)"', form)


def test_an_add_from_the_picker_offers_undo_which_removes_them_again(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomers = [u.id for u in tenant["spare_users"][:2]]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group}/")
    added = desk.htmx("POST", f"/groups/{group}/members/", data={"member": newcomers}, headers={"HX-Target": "add-results"})
    entries = undo_ids(added.text)
    assert len(entries) == 2 and set(newcomers) <= members_of(group)
    undone = desk.htmx("POST", f"/groups/{group}/members/undo/", data={"entry": entries})
    assert unescape(undone.text).count("Removed again.") == 2
    assert not set(newcomers) & members_of(group)
    assert f'id="member-{newcomers[0]}" hx-swap-oob="delete"' in undone.text
    assert {e.member_id: e.reverts_id for e in AuditEntry.objects.filter(action="remove")} == {
        e.member_id: e.pk for e in AuditEntry.objects.filter(action="add")}


def test_a_paste_run_offers_undo(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomers = tenant["spare_users"][:3]
    desk = sign_in("helpdesk@contoso.example")
    pasted = " ".join(DirectoryObject.objects.get(id=u.id).principal_name for u in newcomers)
    dry = desk.htmx("POST", f"/groups/{group}/members/paste/", data={"action": "add", "lines": pasted})
    plan = re.search(r'name="plan" value="([^"]+)"', dry.text).group(1)
    run = desk.htmx("POST", f"/groups/{group}/members/paste/run/", data={"plan": plan})
    knobs.clear_request_log()
    undone = desk.htmx("POST", f"/groups/{group}/members/undo/", data={"entry": undo_ids(run.text)})
    assert unescape(undone.text).count("Removed again.") == 3
    assert not {u.id for u in newcomers} & members_of(group)
    assert len(knobs.request_log()) == 2  # the membership read in bulk, then one $batch of removals


def test_undo_takes_only_ones_own_entries_of_this_container(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    admin = sign_in("admin@contoso.example")
    added = admin.htmx("POST", f"/groups/{group}/members/", data={"member": [newcomer]}, headers={"HX-Target": "add-results"})
    helpdesk = sign_in("helpdesk@contoso.example")
    answer = helpdesk.htmx("POST", f"/groups/{group}/members/undo/", data={"entry": undo_ids(added.text)})
    assert "Nothing to undo." in answer.text and newcomer in members_of(group)
    assert helpdesk.htmx("POST", f"/groups/{group}/members/undo/", data={"entry": "x"}).status_code == 400
    assert helpdesk.htmx("POST", f"/activity/{AuditEntry.objects.get().pk}/revert/").status_code == 404


def test_a_revert_is_refused_when_a_later_change_is_journaled_and_when_already_reverted(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    newcomer = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    desk.htmx("POST", f"/groups/{group}/members/", data={"member": [newcomer]}, headers={"HX-Target": "add-results"})
    desk.htmx("DELETE", f"/groups/{group}/members/{newcomer}/")
    desk.htmx("POST", f"/groups/{group}/members/", data={"member": [newcomer]}, headers={"HX-Target": "add-results"})
    first_add, removal, second_add = AuditEntry.objects.order_by("pk")
    refused = unescape(desk.htmx("POST", f"/activity/{first_add.pk}/revert/").text)
    assert 'role="alert"' in refused and "changed again since (removed by helpdesk@contoso.example" in refused
    reverted = unescape(desk.htmx("POST", f"/activity/{second_add.pk}/revert/").text)
    assert "Reverted: removed again." in reverted and newcomer not in members_of(group)
    again = unescape(desk.htmx("POST", f"/activity/{second_add.pk}/revert/").text)
    assert "Already reverted by helpdesk@contoso.example" in again
    assert AuditEntry.objects.count() == 4  # the refusals sent nothing


def test_a_refused_attempt_has_nothing_to_revert(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    member = sorted(members_of(group))[0]
    desk = sign_in("user@contoso.example")
    desk.htmx("DELETE", f"/groups/{group}/members/{member}/")
    entry = AuditEntry.objects.get()
    assert entry.outcome == "refused"
    assert "Nothing to revert" in unescape(desk.htmx("POST", f"/activity/{entry.pk}/revert/").text)
    activity = desk.get(f"{desk.base_url}/activity/").text
    assert f'id="revert-{entry.pk}"' in activity and "Revert:" not in activity
