"""In Chromium: paste a mixed 50-entry list, read the dry run, run it, read each entry's result; the member
table, the count and the message follow a pasted change and its Undo."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import DirectoryObject
from tests.browser.conftest import screenshot
from tests.browser.power_steps import sign_in
from tests.browser.steps import check_pasted, member_rows, members_of, open_panel, user_members

pytestmark = pytest.mark.browser


def mixed_list(tenant, group_id: str) -> tuple[list[str], dict[str, list[int]]]:
    """50 entries: 30 to add, 4 members already, 6 unknown, 4 not allowed, 6 junk; and which line is which."""
    inside = members_of(group_id)
    outsiders = [u for u in DirectoryObject.objects.filter(kind="user").exclude(id__in=inside).order_by("display_name")
                 if u.principal_name.endswith("@contoso.example")][:30]
    members = sorted(inside)[:4]
    entries, lines = [], {}

    def put(kind: str, values: list[str]) -> None:
        for value in values:
            entries.append(value)
            lines.setdefault(kind, []).append(len(entries))

    put("change", [u.principal_name if n % 2 else str(u.id) for n, u in enumerate(outsiders[:15])])
    put("already", members)
    put("unknown", [f"ghost{n}@contoso.example" for n in range(3)] + [f"00000000-0000-4000-8000-00000000000{n}" for n in range(3)])
    put("change", [u.data["mail"].upper() for u in outsiders[15:]])
    put("not_allowed", [tenant["service_principal"].id, group_id, tenant["plain_unit"].id, tenant["hidden_unit"].id])
    put("junk", ["hello", "world", "a@", "12345", "x@@y", "{oops}"])
    assert len(entries) == 50
    return entries, lines


def test_a_mixed_fifty_line_paste_is_checked_then_run(page, tenant):
    group = tenant["group_outside_unit"]
    entries, lines = mixed_list(tenant, group.id)
    before = members_of(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")

    open_panel(page, "Paste a list")
    page.get_by_label("Sign-in names, mail addresses or object ids").fill(",\n".join(entries))
    page.get_by_role("radio", name=f"add them to {group.display_name}").check()
    page.get_by_role("button", name="Check the list").click()

    results = page.locator("#paste-results")
    expect(results.get_by_role("status").first).to_contain_text("Checked 50 entries, nothing changed yet")
    for kind, label in [("change", "Will change"), ("already", "Already so"), ("unknown", "Not found"),
                        ("not_allowed", "Not allowed"), ("junk", "Not a valid entry")]:
        for number in lines[kind]:
            expect(page.locator(f"#paste-line-{number} .status")).to_have_text(label)
    expect(page.locator(f"#paste-line-{lines['not_allowed'][0]}")).to_contain_text("Application.ReadWrite.All")
    expect(page.locator(f"#paste-line-{lines['not_allowed'][1]}")).to_contain_text("itself")
    expect(page.locator(f"#paste-line-{lines['not_allowed'][2]}")).to_contain_text("can't be a member of a group")
    screenshot(page, "paste-dry-run")
    assert members_of(group.id) == before and not AuditEntry.objects.exists()  # the dry run wrote nothing

    page.get_by_role("button", name="Add 30 members").click()
    expect(results.locator("p.message")).to_have_text("30 added.")
    for number in lines["change"]:
        expect(page.locator(f"#paste-line-{number}")).to_contain_text("Added.")
    for number in lines["already"] + lines["unknown"] + lines["not_allowed"] + lines["junk"]:
        expect(page.locator(f"#paste-line-{number}")).to_contain_text("Not sent")
    screenshot(page, "paste-run")
    added = members_of(group.id) - before
    assert len(added) == 30 and members_of(group.id) >= before
    assert sorted(AuditEntry.objects.values_list("outcome", flat=True)) == ["done"] * 30
    expect(page.locator("#member-count")).to_have_text(str(len(before) + 30))


def run_and_agree(page, button: str, said: str, rows: int) -> None:
    """Run the checked list: its summary says ``said`` and has the focus; the count and the table show ``rows``."""
    page.get_by_role("button", name=button).click()
    summary = page.locator("#paste-results p.message")
    expect(summary).to_have_text(said)
    expect(page.locator("#member-count")).to_have_text(str(rows))
    expect(member_rows(page)).to_have_count(rows)
    expect(summary).to_be_focused()


def undo_and_agree(page, button: str, outcomes: list[str], ran: str, rows: int) -> None:
    """Undo the run: each of ``outcomes`` said in the focused result, which took the place of the run's
    summary ``ran``; the count and the table show ``rows``."""
    page.get_by_role("button", name=button).click()
    undone = page.locator("#paste-results .undo-results")
    for outcome in outcomes:
        expect(undone).to_contain_text(outcome)
    expect(undone).to_be_focused()
    expect(page.locator("#paste-results")).not_to_contain_text(ran)  # the run's result gave way to the Undo's
    expect(page.locator("#member-count")).to_have_text(str(rows))
    expect(member_rows(page)).to_have_count(rows)  # each member once: no duplicate, no removed row left over


@pytest.mark.parametrize(("viewport", "color_scheme"), [("desktop", "light"), ("phone", "dark")], indirect=True)
def test_a_pasted_add_and_its_undo_keep_the_table_the_count_and_the_message_agreeing(page, tenant):
    group = tenant["helpdesk_group"]
    newcomers = tenant["spare_users"][:2]
    before = members_of(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(member_rows(page)).to_have_count(len(before))

    check_pasted(page, [newcomer.id for newcomer in newcomers], f"add them to {group.display_name}")
    run_and_agree(page, "Add 2 members", "2 added.", len(before) + 2)
    for newcomer in newcomers:
        expect(page.get_by_role("button", name=f"Remove {newcomer.display_name}", exact=True)).to_be_visible()

    undo_and_agree(page, "Undo this change (2 members)", [f"{n.display_name} Removed again." for n in newcomers],
                   "2 added.", len(before))
    for newcomer in newcomers:
        expect(page.get_by_role("button", name=f"Remove {newcomer.display_name}", exact=True)).to_have_count(0)
    assert members_of(group.id) == before


def test_a_pasted_removal_and_its_undo_keep_the_table_the_count_and_the_message_agreeing(page, tenant):
    group = tenant["helpdesk_group"]
    leaving = user_members(group.id)[:3]
    before = members_of(group.id)
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(member_rows(page)).to_have_count(len(before))

    check_pasted(page, [member.principal_name for member in leaving], f"remove them from {group.display_name}")
    run_and_agree(page, "Remove 3 members", "3 removed.", len(before) - 3)
    for member in leaving:
        expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
        expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_have_count(0)

    undo_and_agree(page, "Undo this change (3 members)", [f"{m.display_name} Added back." for m in leaving],
                   "3 removed.", len(before))
    for member in leaving:
        expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_visible()
        expect(page.locator(f"#removed-{member.id}")).to_have_count(0)
    assert members_of(group.id) == before


def test_a_reader_who_cant_change_the_group_finds_the_paste_box_disabled_and_a_stale_one_told_so_first(page, tenant):
    group = tenant["helpdesk_group"]
    member = user_members(group.id)[0]
    sign_in(page, "user@contoso.example", start=f"/groups/{group.id}/")
    reason = page.locator("#why-disabled").inner_text()
    assert "You need the Groups Administrator role" in reason
    open_panel(page, "Paste a list")
    expect(page.locator("#paste-why")).to_have_text(reason)
    box, check = page.get_by_label("Sign-in names, mail addresses or object ids"), page.get_by_role("button", name="Check the list")
    expect(box).to_be_disabled()
    expect(box).to_have_accessible_description(reason)
    expect(page.get_by_role("radio", name=f"add them to {group.display_name}")).to_be_disabled()
    expect(check).to_be_disabled()  # aria-disabled: focusable, says why, does nothing
    expect(check).to_have_accessible_description(reason)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if request.method != "GET" else None)
    check.focus()
    page.keyboard.press("Enter")
    assert sent == []

    # A page left open from before the rights went (here: its controls enabled again) still hears it first.
    page.evaluate("document.querySelectorAll('#paste textarea, #paste fieldset, #paste button')"
                  ".forEach(e => { e.disabled = false; e.removeAttribute('aria-disabled'); })")
    box.fill(member.principal_name)
    check.click()
    first = page.locator("#paste-results > *").first
    expect(first).to_have_attribute("role", "alert")
    expect(first).to_contain_text("You can't change the members of this group")
    expect(page.locator("#paste-results")).not_to_contain_text("Already so")
    assert AuditEntry.objects.count() == 0 and str(member.id) in members_of(group.id)
