"""In Chromium set to a time zone: the journal and a Revert's words say times in that zone, by its name."""

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from tests.browser.conftest import screenshot
from tests.browser.steps import removed_as_helpdesk, revert_from_the_journal, user_members

pytestmark = pytest.mark.browser

ZONES = {"Europe/Paris": "CET|CEST", "America/New_York": "EST|EDT"}


def as_read_in(entry: AuditEntry, zone: str) -> str:
    """How a reader in ``zone`` should read when ``entry`` was made: "2026-12-03 07:54 CET"."""
    return entry.created_at.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


@pytest.mark.parametrize("timezone_id", list(ZONES), indirect=True)
def test_the_journal_and_a_reverts_words_say_the_readers_own_time(page, tenant, timezone_id):
    group = tenant["helpdesk_group"]
    member = user_members(group.id)[0]
    removal = removed_as_helpdesk(page, group, member)
    revert_from_the_journal(page, group, member)
    expect(page.locator(f"#revert-{removal.pk}")).to_contain_text("Reverted: added back.")
    revert = AuditEntry.objects.exclude(pk=removal.pk).get()

    page.goto("/activity/", wait_until="load")
    times = page.locator("td.when time")
    expect(times).to_have_text([as_read_in(revert, timezone_id), as_read_in(removal, timezone_id)])
    expect(times.first).to_have_text(re.compile(rf" ({ZONES[timezone_id]})$"))
    offset = revert.created_at.astimezone(ZoneInfo(timezone_id)).isoformat(timespec="seconds")
    expect(times.first).to_have_attribute("datetime", offset)

    # The removal is reverted already: its Revert says by whom and when, in the same words.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Revert: add {member.display_name} back to {group.display_name}").click()
    expect(page.locator(f"#revert-{removal.pk}")).to_contain_text(
        f"Already reverted by helpdesk@contoso.example on {as_read_in(revert, timezone_id)}.")
    screenshot(page, f"journal-times-{timezone_id.replace('/', '-')}")
