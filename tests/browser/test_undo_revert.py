"""In Chromium: Undo a bulk removal, Revert from the journal, and a Revert refused because the state moved on."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import Link
from tests.browser.conftest import screenshot
from tests.browser.power_steps import sign_in
from tests.browser.steps import members_of, remove_selected, removed_as_helpdesk, revert_from_the_journal, user_members

pytestmark = pytest.mark.browser




def test_undo_of_a_bulk_removal_restores_exactly_the_members_removed(page, tenant):
    group = tenant["helpdesk_group"]
    first, second, third = user_members(group.id)[:3]
    before = members_of(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    # Someone else removes the third one in the Entra admin center while the page is open.
    Link.objects.filter(container_id=group.id, member_id=third.id, relation="members").delete()

    remove_selected(page, first, second, third)
    expect(page.locator("#bulk-results p.message")).to_contain_text("3 of 3 removed.")
    assert members_of(group.id) == before - {str(first.id), str(second.id), str(third.id)}

    undo = page.get_by_role("button", name="Undo this change (2 members)")  # the third was gone already: not ours to undo
    undo.click()
    results = page.locator(".undo-results")
    expect(results).to_contain_text(f"{first.display_name} Added back.")
    expect(results).to_contain_text(f"{second.display_name} Added back.")
    for member in (first, second):
        expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_visible()
        expect(page.locator(f"#removed-{member.id}")).to_have_count(0)
    expect(page.locator(f"#removed-{third.id}")).to_be_visible()
    screenshot(page, "undo-bulk-removal")
    assert members_of(group.id) == before - {str(third.id)}
    undone = AuditEntry.objects.filter(action="add").order_by("member_id")
    assert sorted((e.member_id, e.outcome) for e in undone) == sorted([(str(first.id), "done"), (str(second.id), "done")])
    removed = {e.member_id: e.pk for e in AuditEntry.objects.filter(action="remove")}
    assert {e.member_id: e.reverts_id for e in undone} == {str(first.id): removed[str(first.id)], str(second.id): removed[str(second.id)]}


def test_revert_from_the_journal_adds_a_removed_member_back(page, tenant):
    group = tenant["helpdesk_group"]
    member = user_members(group.id)[0]
    removal = removed_as_helpdesk(page, group, member)

    revert_from_the_journal(page, group, member)
    expect(page.locator(f"#revert-{removal.pk}")).to_contain_text("Reverted: added back.")
    screenshot(page, "journal-revert")
    assert str(member.id) in members_of(group.id)
    revert = AuditEntry.objects.exclude(pk=removal.pk).get()
    assert (revert.action, revert.outcome, revert.member_id, revert.reverts_id) == ("add", "done", str(member.id), removal.pk)


def test_revert_is_refused_when_the_state_has_moved_on(page, tenant):
    group = tenant["helpdesk_group"]
    member = user_members(group.id)[0]
    removal = removed_as_helpdesk(page, group, member)
    # Added back elsewhere (the Entra admin center): the journal doesn't know, Graph does.
    Link.objects.create(container_id=group.id, member_id=member.id, relation="members")

    revert_from_the_journal(page, group, member)
    alert = page.locator(f"#revert-{removal.pk}").get_by_role("alert")
    expect(alert).to_contain_text("Not reverted: the state has moved on since this was removed: it is a member again.")
    screenshot(page, "journal-revert-refused")
    assert AuditEntry.objects.count() == 1  # nothing was sent, nothing journaled
