"""What the page says up front (a disabled button and why) agrees with what Graph then does.

For every demo account and every kind of seeded container, the container page is loaded and the
removal of one member is sent anyway (as a stale page would): an enabled button must succeed and
a disabled one must be refused, so the app never promises what Graph refuses, nor hides what it allows.
"""

import re

import pytest

from sandbox.models import Link

ACCOUNTS = ["admin", "pra", "helpdesk", "unitadmin", "owner", "user", "noconsent"]
CONTAINERS = [
    ("groups", "helpdesk_group"), ("groups", "m365_group"), ("groups", "role_assignable_group"),
    ("groups", "dynamic_group"), ("groups", "distribution_list"), ("groups", "mail_enabled_security_group"),
    ("groups", "synced_group"), ("groups", "owned_group"), ("groups", "group_in_unit"),
    ("groups", "group_outside_unit"), ("groups", "restricted_group"),
    ("units", "plain_unit"), ("units", "unit_of_unitadmin"), ("units", "restricted_unit"), ("units", "dynamic_unit"),
]


def some_member(container_id: str) -> Link:
    return Link.objects.filter(container_id=container_id, relation="members").order_by("member__display_name").first()


@pytest.mark.parametrize("account", ACCOUNTS)
def test_disabled_buttons_are_exactly_the_changes_graph_refuses(sign_in, tenant, account):
    desk = sign_in(f"{account}@contoso.example")
    roles = [("roles", role.id) for role in tenant["roles"].values()][:2]
    disagreements = []
    for kind, container_id in [(kind, tenant[key].id) for kind, key in CONTAINERS] + roles:
        link = some_member(container_id)
        if link is None:
            continue
        member_id = str(link.member_id)
        page = desk.get(f"{desk.base_url}/{kind}/{container_id}/")
        button = re.search(rf'<button class="remove"[^>]*hx-delete="/{kind}/{container_id}/members/{member_id}/"[^>]*>', page.text, re.S)
        assert button, f"{account}: no remove button for {member_id} on /{kind}/{container_id}/"
        disabled = 'aria-disabled="true"' in button.group(0)
        answer = desk.htmx("DELETE", f"/{kind}/{container_id}/members/{member_id}/")
        refused = 'role="alert"' in answer.text
        removed = not Link.objects.filter(container_id=container_id, relation="members", member_id=member_id).exists()
        assert refused != removed, answer.text[:500]
        if disabled != refused:
            disagreements.append(f"/{kind}/{container_id}/: button {'disabled' if disabled else 'enabled'}, Graph {'refused' if refused else 'removed'}")
        if removed:
            Link.objects.create(container_id=container_id, relation="members", member_id=member_id)
    assert disagreements == []
