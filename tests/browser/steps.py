"""Steps and checks the browser tests share: picking, removing, and what the sandbox and audit end with."""

import re
from contextlib import contextmanager

from playwright.sync_api import Page, expect

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link
from tests.browser.conftest import sign_in_as

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


def open_panel(page: Page, name: str) -> None:
    """Open a container page's panel ("Add members", "Paste a list") by its summary, as a person clicks it;
    a page without that panel (a person's page) is left as it is."""
    panel = page.locator("details.panel").filter(has=page.locator("summary", has_text=name))
    if panel.count() and not panel.evaluate("details => details.open"):
        panel.locator("summary").click()
        expect(panel).to_have_attribute("open", "")


def pick(page: Page, search: str, *names: str, label: str = PICKER) -> None:
    """Search the people picker and tick the candidates called exactly ``names``."""
    open_panel(page, "Add members")
    page.get_by_label(label).fill(search)
    for name in names:
        candidate = page.locator("label.candidate").filter(has=page.locator("span.name", has_text=re.compile(rf"^{re.escape(name)}$")))
        candidate.locator("input[name=member]").check()


def add_selected(page: Page, confirm: bool = False) -> None:
    open_panel(page, "Add members")
    if confirm:
        page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Add selected").click()


def outcome(page: Page, name: str):
    """The picker's outcome line for one member."""
    return page.locator("#add-results li").filter(has=page.locator("strong", has_text=re.compile(rf"^{re.escape(name)}$")))


def expect_changes_disabled(page: Page, reason: str, label: str = PICKER) -> None:
    """Every Remove button, the picker's search and Add selected are disabled, and the page says why."""
    open_panel(page, "Add members")
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


def remove_anyway(page: Page, upn: str, path: str, member: DirectoryObject, reason: str, label: str = PICKER) -> str:
    """Sign ``upn`` in on ``path``, where the app already knows a change can't work (its controls are
    disabled and say ``reason``), remove ``member`` anyway as a stale page would, and return the
    refusal Graph left in the member's row."""
    sign_in_as(page, upn, start=path)
    expect_changes_disabled(page, reason, label)
    page.evaluate(ENABLE_EVERYTHING)
    remove(page, member.display_name)
    return refusal_in_row(page, member)


def add_anyway(page: Page, search: str, newcomer: DirectoryObject, label: str = PICKER, confirm: bool = False) -> str:
    """Pick ``newcomer`` and add it through the re-enabled picker; the refusal in its outcome line."""
    pick(page, search, newcomer.display_name, label=label)
    add_selected(page, confirm=confirm)
    return refusal_in_outcomes(page, newcomer.display_name)


def assert_nothing_changed(container_id: str, before: set[str], actor: str, *refused: tuple[str, str], **graph) -> None:
    """The container's members are still ``before``, and the audit trail holds exactly the ``refused``
    (action, member id) pairs, in order, each refused by Graph (``graph``: its status and code)."""
    assert members_of(container_id) == before
    entries = audit_trail()
    assert len(entries) == len(refused)
    for entry, (action, member_id) in zip(entries, refused):
        assert_refused(entry, actor, action, member_id, **graph)


def remove_and_add(page: Page, member: DirectoryObject, search: str, newcomer: DirectoryObject, label: str = PICKER) -> None:
    """On a page where changes are allowed: remove ``member``, then pick and add ``newcomer``, each said done."""
    expect(page.locator("#why-disabled")).to_have_count(0)
    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    pick(page, search, newcomer.display_name, label=label)
    add_selected(page)
    expect(outcome(page, newcomer.display_name)).to_contain_text("Added.")


def assert_removed_then_added(actor: str, member_id: str, newcomer_id: str) -> tuple[AuditEntry, AuditEntry]:
    """The audit trail holds the removal of ``member_id`` and the add of ``newcomer_id``, both done."""
    removed, added = audit_trail()
    assert_done(removed, actor, "remove", member_id)
    assert_done(added, actor, "add", newcomer_id)
    return removed, added


def user_members(group_id: str) -> list[DirectoryObject]:
    """The container's user members, by display name."""
    links = (Link.objects.filter(container_id=group_id, relation="members", member__kind="user")
             .select_related("member").order_by("member__display_name"))
    return [link.member for link in links]


def remove_selected(page: Page, *members: DirectoryObject) -> None:
    """Tick each member's checkbox and remove the selection in one go (confirmed)."""
    for member in members:
        page.get_by_role("checkbox", name=f"Select {member.display_name}").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove selected").click()


def removed_as_helpdesk(page: Page, group: DirectoryObject, member: DirectoryObject) -> AuditEntry:
    """The Groups Administrator removes ``member`` from ``group``'s page; the removal's audit entry."""
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    remove(page, member.display_name)
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    return AuditEntry.objects.get()


def revert_from_the_journal(page: Page, group: DirectoryObject, member: DirectoryObject) -> None:
    """On the activity page, revert the removal of ``member`` from ``group`` (confirmed)."""
    page.goto("/activity/", wait_until="load")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revert: add {member.display_name} back to {group.display_name}").click()


def check_sign_in_page_then_sign_in_as_admin(page: Page, check) -> None:
    """Open the sandbox's sign-in page, run ``check(page, what)`` on it, then sign in as the administrator."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    check(page, "the sandbox's sign-in page")
    sign_in_as(page, "admin@contoso.example")


def every_page(tenant: dict) -> dict[str, str]:
    """The lists, one container of each kind (a large group, a dynamic unit, roles by id and by template,
    a template not activated) and the activity pages, each by what it is."""
    group, (template_id, role) = tenant["helpdesk_group"], next(iter(tenant["roles"].items()))
    return {
        "the units": "/units/", "the groups": "/groups/", "the roles": "/roles/",
        "a group": f"/groups/{group.id}/", "a group with more to load": f"/groups/{tenant['big_group'].id}/",
        "a unit": f"/units/{tenant['plain_unit'].id}/", "a dynamic unit": f"/units/{tenant['dynamic_unit'].id}/",
        "a role": f"/roles/{role.id}/", "a role by template": f"/roles/template/{template_id}/",
        "a role template not activated": f"/roles/template/{tenant['not_activated_role_templates'][0]}/",
        "activity": "/activity/", "a container's activity": f"/activity/?container={group.id}",
        "activity for a bad id": "/activity/?container=zzz",
    }


def member_rows(page: Page):
    """The member table's rows of members (not the rows a removal leaves, nor Load more)."""
    return page.locator("#member-rows > tr[id^=member-]")


def check_pasted(page: Page, entries: list[str], action: str) -> None:
    """Paste ``entries`` one per line, choose ``action`` (the radio's label), and ask for the dry run."""
    open_panel(page, "Paste a list")
    page.get_by_label("Sign-in names, mail addresses or object ids").fill("\n".join(entries))
    page.get_by_role("radio", name=action).check()
    page.get_by_role("button", name="Check the list").click()
    expect(page.locator("#paste-results").get_by_role("status").first).to_contain_text("nothing changed yet")
