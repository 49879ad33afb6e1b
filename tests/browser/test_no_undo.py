"""In Chromium: a removal this tool can't undo says so in its confirmation, and offers no Undo after."""

import pytest
from playwright.sync_api import expect

from members.models import AuditEntry
from tests.browser.conftest import screenshot, sign_in_as
from tests.browser.steps import a_user_member, members_of

pytestmark = pytest.mark.browser

NO_WAY_BACK = ("adding an app (service principal) to a group also needs the Application.ReadWrite.All permission, "
               "which this app was not granted")


def test_removing_the_sync_app_warns_there_is_no_way_back_and_offers_no_undo(page, tenant):
    group, app = tenant["helpdesk_group"], tenant["service_principal"]
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))

    page.get_by_role("button", name=f"Remove {app.display_name}", exact=True).click()
    row = page.locator(f"#removed-{app.id}")
    expect(row).to_contain_text("Removed.")
    expect(row).to_contain_text(f"No undo here: {NO_WAY_BACK}.")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(row.locator(".no-undo")).to_be_focused()
    screenshot(page, "no-undo-app-removed")

    assert dialogs == [f"Remove {app.display_name} from {group.display_name}? You won't be able to add it back here: {NO_WAY_BACK}."]
    assert app.id not in members_of(group.id)
    assert AuditEntry.objects.get().outcome == "done"


def test_a_bulk_removal_with_the_app_warns_in_its_one_confirmation(page, tenant):
    group, app = tenant["helpdesk_group"], tenant["service_principal"]
    person = a_user_member(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.get_by_role("checkbox", name=f"Select {app.display_name}").check()
    page.get_by_role("checkbox", name=f"Select {person.display_name}").check()
    page.get_by_role("button", name="Remove selected").click()
    expect(page.get_by_role("button", name="Remove selected")).to_be_enabled()

    assert dialogs == [f"Remove 2 members from {group.display_name}? "
                       f"You won't be able to add {app.display_name} back here: {NO_WAY_BACK}."]
    assert {app.id, str(person.id)} <= members_of(group.id) and AuditEntry.objects.count() == 0


def test_removing_a_person_keeps_its_undo(page, tenant):
    group = tenant["helpdesk_group"]
    person = a_user_member(group.id)
    sign_in_as(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name=f"Remove {person.display_name}", exact=True).click()
    expect(page.get_by_role("button", name=f"Undo: add {person.display_name} back")).to_be_focused()
    assert dialogs == [f"Remove {person.display_name} from {group.display_name}?"]
