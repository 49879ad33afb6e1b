"""Steps and checks the browser tests share: picking, removing, and what the sandbox and audit end with."""

import re
from contextlib import contextmanager

from playwright.sync_api import Page, expect

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link

PICKER = "Find people, groups or devices"
# What a stale page would send: every control of a change enabled again (disabled, or aria-disabled buttons).
ENABLE_EVERYTHING = ("document.querySelectorAll('button.remove, #picker input, #picker button')"
                     ".forEach(e => { e.disabled = false; e.removeAttribute('aria-disabled'); })")


def members_of(container_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container_id, relation="members").values_list("member_id", flat=True)}


@contextmanager
def added_meanwhile(container_id: str, member_id: str):
    """Someone else adds ``member_id`` while the picker shows its results (out of the container for the
    search, back in before the click): the picker's "already a member" marks are as of its search, and
    Graph stays the judge of the add."""
    link = Link.objects.get(container_id=container_id, relation=Link.MEMBERS, member_id=member_id)
    link.delete()
    yield
    Link.objects.create(container_id=container_id, relation=Link.MEMBERS, member_id=member_id)


def a_user_member(container_id: str) -> DirectoryObject:
    return (Link.objects.filter(container_id=container_id, relation="members", member__kind="user")
            .select_related("member").order_by("member__display_name").first().member)


def audit_trail() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("id"))


def logged_request_ids() -> set[str]:
    return {entry.request_id for entry in knobs.request_log()}


def remove(page: Page, name: str) -> None:
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Remove {name}", exact=True).click()


def pick(page: Page, search: str, *names: str, label: str = PICKER) -> None:
    """Search the people picker and tick the candidates called exactly ``names``."""
    page.get_by_label(label).fill(search)
    for name in names:
        candidate = page.locator("label.candidate").filter(has=page.locator("span.name", has_text=re.compile(rf"^{re.escape(name)}$")))
        candidate.locator("input[name=member]").check()


def add_selected(page: Page, confirm: bool = False) -> None:
    if confirm:
        page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Add selected").click()


def outcome(page: Page, name: str):
    """The picker's outcome line for one member."""
    return page.locator("#add-results li").filter(has=page.locator("strong", has_text=re.compile(rf"^{re.escape(name)}$")))


def expect_changes_disabled(page: Page, reason: str, label: str = PICKER) -> None:
    """Every Remove button, the picker's search and Add selected are disabled, and the page says why."""
    expect(page.locator("button.remove").first).to_be_disabled()
    expect(page.locator('button.remove:not([aria-disabled="true"])')).to_have_count(0)
    expect(page.get_by_label(label)).to_be_disabled()
    expect(page.get_by_role("button", name="Add selected")).to_be_disabled()
    expect(page.locator("#why-disabled")).to_contain_text(reason)


def refusal_in_row(page: Page, member: DirectoryObject) -> str:
    """The alert Graph's refusal left in the member's row (which keeps its Remove button)."""
    row = page.locator(f"#member-{member.id}")
    alert = row.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(row.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_visible()
    return alert.inner_text()


def refusal_in_outcomes(page: Page, name: str) -> str:
    alert = outcome(page, name).get_by_role("alert")
    expect(alert).to_be_visible()
    return alert.inner_text()


def assert_refused(entry: AuditEntry, actor: str, action: str, member_id: str, status: int = 403,
                   code: str = "Authorization_RequestDenied") -> None:
    assert (entry.actor_upn, entry.action, entry.outcome, entry.member_id) == (actor, action, "refused", str(member_id))
    assert (entry.graph_status, entry.graph_code) == (status, code)
    assert entry.request_id and entry.request_id in logged_request_ids()


def assert_done(entry: AuditEntry, actor: str, action: str, member_id: str) -> None:
    assert (entry.actor_upn, entry.action, entry.outcome, entry.member_id) == (actor, action, "done", str(member_id))
    assert (entry.graph_status, entry.graph_code) == (None, "")
    assert entry.request_id and entry.request_id in logged_request_ids()
