"""In Chromium: a click made after the sign-in expired is not lost silently. Back from signing in, the
page says which change was not made, once, and a button makes it now through the normal workflow."""

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from members.models import AuditEntry
from sandbox.models import RefreshToken
from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import a_user_member, add_selected, members_of, outcome, pick, remove

pytestmark = pytest.mark.browser


@pytest.fixture
def short_tokens(settings):
    """Every access token counts as expired for msal: each request that needs Graph refreshes."""
    settings.SANDBOX_TOKEN_LIFETIME = 120


def sign_in_again(page: Page, upn: str) -> None:
    """The app has sent the browser to the sandbox's account picker: pick the account, come back."""
    expect(page.get_by_role("heading", name="Pick an account")).to_be_visible()
    page.locator(f'input[name="upn"][value="{upn}"]').check()
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_a_removal_refused_for_a_revoked_sign_in_is_named_after_signing_in_and_made_on_request(page, tenant, short_tokens):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    before = len(members_of(group.id))
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    RefreshToken.objects.update(revoked=True)  # an admin's "revoke sessions"

    remove(page, member.display_name)
    sign_in_again(page, "helpdesk@contoso.example")

    notice = page.locator("#not-sent")
    expect(notice).to_contain_text(f"Not made: remove {member.display_name} from {group.display_name}.")
    expect(notice).to_contain_text("Your sign-in had ended when you asked (it expired, or you signed out), so nothing was sent to Graph.")
    expect(page.get_by_role("button", name=f"Remove {member.display_name}", exact=True)).to_be_visible()
    assert str(member.id) in members_of(group.id)
    screenshot(page, "not-sent-notice")

    notice.get_by_role("button", name="Remove now").click()
    expect(page.locator("#bulk-results")).to_contain_text("1 of 1 removed.")
    expect(page.locator("#bulk-results .message")).to_be_focused()
    expect(page.locator(f"#removed-{member.id}")).to_contain_text("Removed.")
    expect(notice).to_have_count(0)
    assert str(member.id) not in members_of(group.id)
    assert list(AuditEntry.objects.order_by("id").values_list("action", "outcome")) == [("remove", "sign_in"), ("remove", "done")]

    # (The count's refresh redeems the refresh token too: the sandbox rotates it, so let it land first.)
    expect(page.locator("#member-count")).to_have_text(str(before - 1))
    page.reload()  # named once
    expect(page.get_by_role("heading", level=1)).to_have_text(group.display_name)
    expect(page.locator("#not-sent")).to_have_count(0)


def test_an_add_clicked_after_the_session_was_gone_is_named_after_signing_in_and_made_on_request(page, tenant):
    group, adele = tenant["helpdesk_group"], tenant["spare_users"][0]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    pick(page, "adele", adele.display_name)
    Session.objects.all().delete()  # the session is gone (expired, or cleared on the server)

    add_selected(page)
    sign_in_again(page, "helpdesk@contoso.example")

    notice = page.locator("#not-sent")
    expect(notice).to_contain_text(f"Not made: add {adele.display_name} to {group.display_name}.")
    assert adele.id not in members_of(group.id)
    entry = AuditEntry.objects.get()
    assert (entry.actor_upn, entry.action, entry.outcome, entry.member_id) == ("helpdesk@contoso.example", "add", "sign_in", adele.id)

    notice.get_by_role("button", name="Add now").click()
    expect(outcome(page, adele.display_name)).to_contain_text("Added.")
    expect(page.locator("#add-results .outcomes")).to_be_focused()
    expect(page.locator(f"#member-rows > tr#member-{adele.id}")).to_be_visible()
    expect(notice).to_have_count(0)
    assert adele.id in members_of(group.id)


def words_beside_sign_out(text: str) -> str:
    """What a page says once the one wording true of both an expiry and a sign-out is taken out."""
    return " ".join(text.split()).replace("(it expired, or you signed out)", "")


def test_a_removal_clicked_after_signing_out_in_another_tab_is_never_called_an_expired_sign_in(page, tenant):
    group = tenant["helpdesk_group"]
    member = a_user_member(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    other_tab = page.context.new_page()
    other_tab.goto("/")
    other_tab.get_by_role("button", name="Sign out").click()
    expect(other_tab.get_by_role("heading", name="You're signed out")).to_be_visible()
    other_tab.close()

    remove(page, member.display_name)
    sign_in_again(page, "helpdesk@contoso.example")

    notice = page.locator("#not-sent")
    expect(notice.get_by_role("heading")).to_have_text("Not made while you were not signed in")
    expect(notice).to_contain_text(f"Not made: remove {member.display_name} from {group.display_name}.")
    expect(notice).to_contain_text("(it expired, or you signed out)")
    assert "expire" not in words_beside_sign_out(page.locator("main").inner_text()).lower()
    assert str(member.id) in members_of(group.id)

    page.goto("/activity/", wait_until="load")
    row = page.locator("tr.outcome-sign_in")
    expect(row.locator("td.outcome")).to_contain_text("Not sent: not signed in")
    expect(row.locator("td.outcome")).to_contain_text("the sign-in had ended (it expired, or you signed out)")
    assert "expire" not in words_beside_sign_out(page.locator("main").inner_text()).lower()
