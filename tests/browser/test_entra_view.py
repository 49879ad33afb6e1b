"""In Chromium: a group's members as Entra shows them: all of them (nested groups' read-only), by type."""

import pytest
from playwright.sync_api import expect

from sandbox.models import Link
from tests.browser.conftest import screenshot
from tests.browser.power_steps import sign_in

pytestmark = pytest.mark.browser


def test_all_members_show_the_nested_ones_read_only_and_the_type_filter_narrows(page, tenant):
    group, leads = tenant["helpdesk_group"], tenant["helpdesk_leads_group"]
    direct = {str(m) for m in Link.objects.filter(container_id=group.id, relation="members").values_list("member_id", flat=True)}
    nested = [link.member for link in Link.objects.filter(container_id=leads.id, relation="members").select_related("member")
              if str(link.member_id) not in direct]
    sign_in(page, "helpdesk@contoso.example", start=f"/groups/{group.id}/")
    expect(page.locator(f"#nested-{nested[0].id}")).to_have_count(0)

    page.get_by_label("All members, including nested groups' members").check()
    row = page.locator(f"#nested-{nested[0].id}")
    expect(row).to_contain_text(f"Through {leads.display_name}")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Remove {leads.display_name}", exact=True)).to_be_enabled()
    page.get_by_label("Type").select_option("device")
    expect(page.locator("#member-rows tr")).to_have_count(1)  # the one device, a direct member
    screenshot(page, "group-all-members-devices")
    page.get_by_label("Direct members").check()
    page.get_by_label("Type").select_option("")
    expect(page.locator("#member-rows tr.nested")).to_have_count(0)
    expect(page.locator("#member-rows tr")).to_have_count(len(direct))
