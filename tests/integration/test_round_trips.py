"""Graph round trips per page and per bulk change, counted by the sandbox's request log and told by
each answer's Server-Timing header: a container page is one round trip warm or cold, a list one when
the session has seen it (two the first time), a bulk change of 100 members ceil(100/20) = 5."""

import re
from html import unescape

from django.contrib.sessions.backends.db import SessionStore

from sandbox import knobs
from sandbox.models import Link

GROUPS_ADMINISTRATOR = "fdd7a751-b60b-444a-984c-02652fe8fa1c"


def round_trips(response) -> int:
    """The Graph round trips the answer says it cost (Server-Timing's machine-readable entry)."""
    return int(re.search(r'graph-calls;desc="(\d+)"', response.headers["Server-Timing"]).group(1))


def requests_sent(response) -> int:
    """The HTTP requests to Graph the answer says it sent (some at once: more than its round trips)."""
    return int(re.search(r'graph-requests;desc="(\d+)"', response.headers["Server-Timing"]).group(1))


def logged(action) -> tuple[object, list]:
    """``action()``'s answer and the Graph calls the sandbox saw meanwhile, which must be as many as
    the answer's Server-Timing says it sent (the app's own count is checked, never trusted)."""
    knobs.clear_request_log()
    response = action()
    calls = knobs.request_log()
    assert requests_sent(response) == len(calls), ([c.path for c in calls], response.headers["Server-Timing"])
    return response, calls


def forget(desk, *keys: str) -> None:
    """Drop memos from the desk's server-side session, as their lifetime running out would."""
    session = SessionStore(session_key=desk.cookies["sessionid"])
    for key in keys:
        session.pop(key, None)
    session.save()


def test_a_container_page_is_one_round_trip_cold_or_warm(sign_in, tenant):
    desk = sign_in("unitadmin@contoso.example")  # unit-scoped: the group's units are read too
    group = tenant["group_in_unit"]
    forget(desk, "memo:access", "memo:containers")
    cold, calls = logged(lambda: desk.get(f"{desk.base_url}/groups/{group.id}/"))
    assert cold.status_code == 200 and round_trips(cold) == 1 and [c.path for c in calls] == ["/sandbox/graph/v1.0/$batch"]
    read = [url.split("?")[0] for _, url, _ in calls[0].items]
    assert f"/groups/{group.id}/memberOf/microsoft.graph.administrativeUnit" in read and "/me/scopedRoleMemberOf" in read
    assert 'aria-label="Remove' in cold.text  # the unit's group: the buttons are live

    warm, calls = logged(lambda: desk.get(f"{desk.base_url}/groups/{group.id}/"))
    assert round_trips(warm) == 1 and len(calls) == 1
    assert "/me/scopedRoleMemberOf" not in [url.split("?")[0] for _, url, _ in calls[0].items]  # remembered


def test_a_role_by_template_and_a_unit_page_are_one_round_trip(sign_in, tenant):
    desk = sign_in("pra@contoso.example")
    role, _ = logged(lambda: desk.get(f"{desk.base_url}/roles/template/{GROUPS_ADMINISTRATOR}/"))
    unit, _ = logged(lambda: desk.get(f"{desk.base_url}/units/{tenant['plain_unit'].id}/"))
    assert role.status_code == unit.status_code == 200
    assert round_trips(role) == round_trips(unit) == 1


def test_a_list_page_with_its_counts_is_one_round_trip_once_seen_and_two_the_first_time(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    for path in ["/groups/?q=Helpdesk", "/units/", "/roles/"]:
        first, _ = logged(lambda: desk.get(f"{desk.base_url}{path}"))
        again, calls = logged(lambda: desk.get(f"{desk.base_url}{path}"))
        assert round_trips(first) == 2 and round_trips(again) == 1 and len(calls) == 1, path
        assert first.text.count('class="num"') == again.text.count('class="num"') > 0


def members_page_ids(desk, group_id: str, pages: int) -> list[str]:
    """The member ids the group's page and its 'Load more' fragments showed (so their names are known)."""
    page = desk.get(f"{desk.base_url}/groups/{group_id}/").text
    ids = re.findall(r'<tr id="member-([0-9a-f-]{36})"', page)
    for _ in range(pages - 1):
        more = re.search(r"\?more=([^&\"]+)", page).group(1)
        page = desk.htmx("GET", f"/groups/{group_id}/members/?more={more}", current=f"/groups/{group_id}/").text
        ids += re.findall(r'<tr id="member-([0-9a-f-]{36})"', page)
    return ids


def test_a_bulk_change_of_100_members_is_five_round_trips(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["big_group"]
    ids = members_page_ids(desk, group.id, pages=2)
    assert len(ids) == 100
    removed, calls = logged(lambda: desk.htmx("POST", f"/groups/{group.id}/members/remove/", data={"member": ids},
                                              current=f"/groups/{group.id}/"))
    assert removed.status_code == 200 and round_trips(removed) == 5 and len(calls) == 5
    assert all(c.path.endswith("/$batch") and len(c.items) == 20 for c in calls)
    assert not Link.objects.filter(container_id=group.id, member_id__in=ids).exists()

    added, calls = logged(lambda: desk.htmx("POST", f"/groups/{group.id}/members/", data={"member": ids},
                                            current=f"/groups/{group.id}/"))
    assert added.status_code == 200 and round_trips(added) == 5 and [c.method for c in calls] == ["PATCH"] * 5
    assert Link.objects.filter(container_id=group.id, member_id__in=ids).count() == 100


def test_throttled_items_of_a_bulk_remove_go_again_together_after_retry_after(sign_in, tenant, settings):
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["big_group"]
    ids = members_page_ids(desk, group.id, pages=1)[:40]
    settings.SANDBOX_WRITE_LIMIT = 25  # per second: the second $batch's last 15 items are throttled
    settings.SANDBOX_WRITE_WINDOW = 1
    knobs.reset_throttle()
    removed, calls = logged(lambda: desk.htmx("POST", f"/groups/{group.id}/members/remove/", data={"member": ids},
                                              current=f"/groups/{group.id}/"))
    deletes = [[status for method, _, status in c.items] for c in calls if c.items and c.items[0][0] == "DELETE"]
    # Which 5 of the second $batch's items ran before the budget was spent is Graph's choice (any order).
    assert [sorted(d) for d in deletes] == [[204] * 20, [204] * 5 + [429] * 15, [204] * 15]
    assert removed.status_code == 200 and 'role="alert"' not in removed.text
    assert not Link.objects.filter(container_id=group.id, member_id__in=ids).exists()


def test_the_names_of_a_change_the_session_does_not_remember_cost_no_round_trip_of_their_own(sign_in, tenant):
    """The session keeps the names of the last members it showed; the names a change lacks are read
    (getByIds, 1,000 ids an item) beside its first writes, at once: still ceil(N/20) round trips."""
    desk = sign_in("helpdesk@contoso.example")
    group = tenant["big_group"]
    ids = members_page_ids(desk, group.id, pages=2)
    forget(desk, "memo:items")
    removed, calls = logged(lambda: desk.htmx("POST", f"/groups/{group.id}/members/remove/", data={"member": ids},
                                              current=f"/groups/{group.id}/"))
    assert removed.status_code == 200 and round_trips(removed) == 5 and len(calls) == 6
    names = [c for c in calls if any(url.startswith("/directoryObjects/getByIds") for _, url, _ in c.items)]
    assert len(names) == 1 and len(names[0].items) <= 2  # the names, and the container's facts if not remembered
    assert calls.index(names[0]) <= 1  # beside the first writes, not after the last
    assert not Link.objects.filter(container_id=group.id, member_id__in=ids).exists()
    shown = unescape(removed.text)
    sample = desk.get(f"{desk.base_url}/activity/").text
    assert "(unknown object)" not in shown and "(unknown object)" not in sample
