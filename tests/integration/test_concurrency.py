"""A small team on the default SQLite database: concurrent sign-ins and concurrent adds, never a 500.

The live server answers each request on its own thread with its own connection, and the sandbox's
token and Graph views write to the same database file, as in `make demo`.
"""

import threading
from html import unescape
from concurrent.futures import ThreadPoolExecutor

from members.models import AuditEntry
from sandbox.models import Link
from tests.conftest import sign_in_over_http

ACCOUNTS = ["helpdesk@contoso.example", "admin@contoso.example"]  # both may add to the helpdesk group


def all_at_once(action, arguments: list) -> list:
    """Run ``action(argument)`` on one thread per argument, released together; their results in order."""
    start = threading.Barrier(len(arguments))

    def released(argument):
        start.wait(timeout=60)
        return action(argument)

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        return list(pool.map(released, arguments))


def test_concurrent_sign_ins_then_concurrent_adds_all_succeed_and_are_audited(live_server, tenant):
    group = tenant["helpdesk_group"].id
    newcomers = [str(user.id) for user in tenant["spare_users"]]
    upns = [ACCOUNTS[i % len(ACCOUNTS)] for i in range(len(newcomers))]

    desks = all_at_once(lambda upn: sign_in_over_http(live_server.url, upn), upns)

    def add(pair):
        desk, member = pair
        return desk.htmx("POST", f"/groups/{group}/members/", current=f"/groups/{group}/",
                         data={"member": member}, headers={"HX-Target": "add-results"})

    answers = all_at_once(add, list(zip(desks, newcomers)))

    assert [answer.status_code for answer in answers] == [200] * len(newcomers)
    assert all("Added." in answer.text for answer in answers)
    added = set(Link.objects.filter(container_id=group, relation="members").values_list("member_id", flat=True))
    assert set(newcomers) <= {str(member) for member in added}
    trail = sorted(AuditEntry.objects.values_list("member_id", "actor_upn", "action", "outcome"))
    assert trail == sorted((member, upn, "add", "done") for member, upn in zip(newcomers, upns))


def test_three_concurrent_undos_of_one_removal_write_one_reverting_entry(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    member = next(str(m) for m in Link.objects.filter(container_id=group, relation="members")
                  .values_list("member_id", flat=True))
    desk = sign_in("helpdesk@contoso.example")
    removed = desk.htmx("DELETE", f"/groups/{group}/members/{member}/", current=f"/groups/{group}/")
    assert "Removed." in removed.text
    entry = AuditEntry.objects.get(action="remove", member_id=member)

    answers = all_at_once(lambda _: desk.htmx("POST", f"/groups/{group}/members/undo/", current=f"/groups/{group}/",
                                              data={"entry": entry.pk}), range(3))

    assert [answer.status_code for answer in answers] == [200] * 3
    reverting = AuditEntry.objects.filter(reverts=entry)
    assert [(e.action, e.outcome) for e in reverting] == [("add", "done")]
    assert sum("Added back." in unescape(answer.text) for answer in answers) == 1
    assert sum("Already reverted" in unescape(answer.text) or "Already being reverted" in unescape(answer.text)
               for answer in answers) == 2
