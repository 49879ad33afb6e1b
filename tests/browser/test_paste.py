"""In Chromium: paste a mixed 50-entry list, read the dry run, run it, read each entry's result."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from sandbox.models import DirectoryObject
from tests.browser.conftest import screenshot
from tests.browser.power_steps import sign_in
from tests.browser.steps import members_of

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
