"""Pasting a list against the live sandbox: the dry run classifies and writes nothing, the run changes
what the dry run resolved, and both take a handful of Graph round trips (from the sandbox's log)."""

import re
from html import unescape

from django.core.management import call_command

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import DirectoryObject, Link

JUNK = "not-an-entry"
UNKNOWN_UPN = "nobody.here@contoso.example"
UNKNOWN_ID = "00000000-1111-4222-8333-444444444444"


def members_of(container_id: str) -> set[str]:
    return {str(m) for m in Link.objects.filter(container_id=container_id, relation="members").values_list("member_id", flat=True)}


def upn(object_id: str) -> str:
    return DirectoryObject.objects.get(id=object_id).data["userPrincipalName"]


def users_outside(container_id: str, count: int) -> list[DirectoryObject]:
    inside = members_of(container_id)
    users = DirectoryObject.objects.filter(kind="user", deleted_at=None).exclude(id__in=inside).order_by("display_name")
    return [u for u in users if "@contoso.example" in u.principal_name][:count]


def devices_outside(container_id: str, count: int) -> list[DirectoryObject]:
    return list(DirectoryObject.objects.filter(kind="device").exclude(id__in=members_of(container_id)).order_by("id")[:count])


def line(html: str, number: int) -> str:
    match = re.search(rf'<tr id="paste-line-{number}".*?</tr>', html, re.S)
    assert match, f"no line {number}"
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(0))))


def plan_key(html: str) -> str:
    return re.search(r'name="plan" value="([^"]+)"', html).group(1)


def graph_round_trips() -> int:
    return len(knobs.request_log())


def test_the_dry_run_classifies_each_entry_and_writes_nothing(sign_in, tenant):
    group = tenant["group_outside_unit"]  # Paris Helpdesk, a security group
    newcomer = tenant["spare_users"][0]
    member = DirectoryObject.objects.get(id=sorted(members_of(group.id))[0])
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")
    pasted = "\n".join([
        upn(newcomer.id),                      # 1 will change
        f"{member.id}, {UNKNOWN_UPN}",         # 2 already so, 3 not found
        f"{UNKNOWN_ID}; {JUNK}",               # 4 not found, 5 not a valid entry
        tenant["service_principal"].id,        # 6 not allowed: adding an app needs Application.ReadWrite.All
        group.id,                              # 7 not allowed: the group itself
        newcomer.id.upper(),                   # 8 repeated (same as 1)
        f"<{upn(tenant['spare_users'][1].id).upper()}>",  # 9 will change (case and brackets don't matter)
    ])
    before, writes_before = members_of(group.id), AuditEntry.objects.count()
    knobs.clear_request_log()
    answer = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": pasted})
    html = answer.text
    assert answer.status_code == 200
    assert "Will change" in line(html, 1) and newcomer.display_name in line(html, 1)
    assert "Already so" in line(html, 2) and "Already a member." in line(html, 2)
    assert "Not found" in line(html, 3) and "Not found" in line(html, 4)
    assert "Not a valid entry" in line(html, 5)
    assert "Not allowed" in line(html, 6) and "Application.ReadWrite.All" in line(html, 6)
    assert "Not allowed" in line(html, 7) and "itself" in line(html, 7)
    assert "Repeated" in line(html, 8) and "entry 1" in line(html, 8)
    assert "Will change" in line(html, 9)
    assert "Add 2 members" in html
    assert members_of(group.id) == before and AuditEntry.objects.count() == writes_before
    assert all(entry.method == "GET" or all(item[0] in {"GET", "POST"} and "$ref" not in item[1] for item in entry.items)
               for entry in knobs.request_log())
    assert graph_round_trips() <= 3


def test_a_display_name_pasted_is_said_to_be_one_and_the_entries_counted_against_the_lines(sign_in, tenant):
    group, newcomer = tenant["group_outside_unit"], tenant["spare_users"][0]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")
    pasted = f"Adele Vance\n{upn(newcomer.id)}\n\n"
    html = unescape(desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": pasted}).text)
    assert re.search(r"Checked 3 entries \(from 2 lines: spaces, commas and semicolons separate entries, so a display "
                     r"name counts as several\), nothing changed yet", html)
    for number in (1, 2):
        assert "Not a valid entry" in line(html, number) and "display names aren't accepted" in line(html, number)
    assert "Will change" in line(html, 3)
    one_per_line = unescape(desk.htmx("POST", f"/groups/{group.id}/members/paste/",
                                      data={"action": "add", "lines": upn(newcomer.id)}).text)
    assert "Checked 1 entry, nothing changed yet" in one_per_line and "from 1 line" not in one_per_line


def test_the_run_adds_what_the_dry_run_resolved_not_the_text_again(sign_in, tenant):
    group = tenant["helpdesk_group"]
    newcomers = tenant["spare_users"][:3]
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/",
                    data={"action": "add", "lines": " ".join(upn(u.id) for u in newcomers) + f" {JUNK}"})
    key = plan_key(dry.text)
    knobs.clear_request_log()
    run = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": key})
    assert run.status_code == 200 and "3 added." in unescape(run.text)
    assert "Not sent" in line(run.text, 4)
    assert {u.id for u in newcomers} <= members_of(group.id)
    assert [e.method for e in knobs.request_log()] == ["PATCH"], [(e.method, e.path, e.items) for e in knobs.request_log()]  # no look-up again: the plan's ids
    assert sorted(AuditEntry.objects.values_list("member_id", "outcome")) == sorted((u.id, "done") for u in newcomers)
    assert run.headers.get("HX-Trigger-After-Settle") and "membersChanged" in run.headers["HX-Trigger-After-Settle"]


def test_a_plan_is_good_for_its_container_only_and_expires_with_the_session(sign_in, tenant):
    group, other = tenant["helpdesk_group"], tenant["owned_group"]
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": upn(tenant["spare_users"][0].id)})
    answer = desk.htmx("POST", f"/groups/{other.id}/members/paste/run/", data={"plan": plan_key(dry.text)})
    assert answer.status_code == 200 and "expired" in unescape(answer.text)
    assert desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": "forged"}).status_code == 200
    assert not AuditEntry.objects.exists()


def test_too_many_entries_are_refused_before_any_look_up(sign_in, tenant):
    group = tenant["helpdesk_group"]
    desk = sign_in("helpdesk@contoso.example")
    knobs.clear_request_log()
    answer = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": "x@y.example " * 1001})
    assert answer.status_code == 200 and "at most 1,000" in unescape(answer.text)
    assert not [e for e in knobs.request_log() if e.path.endswith("$batch")]
    assert desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "explode", "lines": "a"}).status_code == 200
    assert desk.post(f"{desk.base_url}/groups/{group.id}/members/paste/", data={"lines": ""},
                     headers={"X-CSRFToken": desk.cookies["csrftoken"]}).status_code == 400


def test_a_hundred_line_paste_takes_at_most_six_round_trips_each_way(sign_in, tenant):
    """Dry run, then add to a group, then dry run and remove the same hundred: each <= 6 round trips."""
    group = tenant["helpdesk_group"]
    users = users_outside(group.id, 40)
    devices = devices_outside(group.id, 100 - len(users))
    pasted = "\n".join([upn(u.id) for u in users] + [str(d.id) for d in devices])
    assert len(pasted.split()) == 100
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group.id}/")

    knobs.clear_request_log()
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": pasted})
    assert "Add 100 members" in dry.text
    assert graph_round_trips() <= 6, [e.path for e in knobs.request_log()]

    knobs.clear_request_log()
    run = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": plan_key(dry.text)})
    assert "100 added." in unescape(run.text)
    assert graph_round_trips() <= 6, [e.path for e in knobs.request_log()]
    assert {str(o.id) for o in users + devices} <= members_of(group.id)

    knobs.clear_request_log()
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "remove", "lines": pasted})
    assert "Remove 100 members" in dry.text
    assert graph_round_trips() <= 6
    knobs.clear_request_log()
    run = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": plan_key(dry.text)})
    assert "100 removed." in unescape(run.text)
    assert graph_round_trips() <= 6, [e.path for e in knobs.request_log()]  # the table's rows cost no read
    assert not {str(o.id) for o in users + devices} & members_of(group.id)
    gone = re.findall(r'<tr id="removed-([0-9a-f-]{36})" class="removed" hx-swap-oob="outerHTML:#member-\1"', run.text)
    assert set(gone) == {str(o.id) for o in users + devices}  # each member's row becomes its removed row


def run_worker(settings, live_server) -> None:
    """A run larger than a slice is a background change: a real worker makes it (reaching the sandbox
    through the live server, as a worker serves no request)."""
    settings.SANDBOX_LOOPBACK_URL = live_server.url
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def job_of(html: str) -> str:
    return re.search(r'hx-get="(/jobs/[0-9a-f-]{36}/)"', html).group(1)


def test_a_run_larger_than_a_slice_reports_progress_then_finishes(sign_in, tenant, settings, live_server):
    group = tenant["helpdesk_group"]
    devices = devices_outside(group.id, 130)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": " ".join(str(d.id) for d in devices)})
    key = plan_key(dry.text)
    first = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": key})
    assert "0 of 130" in unescape(first.text) and 'hx-trigger="every 1s"' in first.text
    assert not {str(d.id) for d in devices} & members_of(group.id)  # the request itself sent nothing
    run_worker(settings, live_server)
    last = desk.htmx("GET", job_of(first.text))
    assert "130 added." in unescape(last.text) and "every 1s" not in last.text
    assert {str(d.id) for d in devices} <= members_of(group.id)
    # The finished answer puts the members added in the member table (out of band), each once.
    rows = table_rows(last.text)
    assert len(rows) == 130 and set(rows) == {str(d.id) for d in devices}
    assert 'hx-swap-oob="afterbegin:#member-rows"' in last.text


def table_rows(html: str) -> list[str]:
    """The member ids of the member-table rows an answer carries."""
    return re.findall(r'<tr id="member-([0-9a-f-]{36})"', html)


def test_without_htmx_the_dry_run_and_the_run_are_pages(sign_in, tenant):
    group = tenant["helpdesk_group"]
    newcomer = tenant["spare_users"][0]
    desk = sign_in("helpdesk@contoso.example")
    token = {"X-CSRFToken": desk.cookies["csrftoken"]}
    dry = desk.post(f"{desk.base_url}/groups/{group.id}/members/paste/", data={"action": "add", "lines": upn(newcomer.id)},
                    headers=token)
    assert dry.status_code == 200 and "<html" in dry.text and "Will change" in dry.text
    run = desk.post(f"{desk.base_url}/groups/{group.id}/members/paste/run/", data={"plan": plan_key(dry.text)}, headers=token)
    assert run.status_code == 200 and "1 added." in unescape(run.text)
    assert newcomer.id in members_of(group.id)


def test_re_pasting_a_list_the_session_already_remembers_finishes(sign_in, tenant, settings, live_server):
    """The second run of a 200-line list (its members already remembered by the session) still moves on."""
    group = tenant["helpdesk_group"]
    devices = devices_outside(group.id, 200)
    lines = "\n".join(str(d.id) for d in devices)
    desk = sign_in("helpdesk@contoso.example")
    for action, verb in (("add", "added"), ("remove", "removed")):
        dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": action, "lines": lines})
        key = plan_key(dry.text)
        first = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": key})
        assert "0 of 200" in unescape(first.text)
        run_worker(settings, live_server)
        last = desk.htmx("GET", job_of(first.text))
        assert f"200 {verb}." in unescape(last.text), unescape(re.sub(r"<[^>]+>", " ", last.text))[:400]
    assert not {str(d.id) for d in devices} & members_of(group.id)
    assert AuditEntry.objects.filter(member_id__in=[d.id for d in devices]).count() == 400


def test_under_faults_a_pasted_run_puts_in_the_table_only_what_its_journal_says_may_have_been_made(sign_in, tenant, settings):
    group = tenant["helpdesk_group"]
    devices = devices_outside(group.id, 60)
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": " ".join(str(d.id) for d in devices)})
    settings.SANDBOX_FAULT_RATE = 0.3
    settings.SANDBOX_FAULTS = ["503", "504", "drop"]
    settings.SANDBOX_FAULT_SEED = 7
    settings.SANDBOX_FAULT_WHEN = "both"
    run = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": plan_key(dry.text)})
    assert run.status_code == 200
    settings.SANDBOX_FAULT_RATE = 0
    entries = {e.member_id: e for e in AuditEntry.objects.filter(container_id=group.id, action="add")}
    assert set(entries) == {str(d.id) for d in devices}  # every attempt journaled
    assert all(e.outcome != "pending" for e in entries.values())  # and settled from what that call did
    assert {e.outcome for e in entries.values()} - {"done"}, "no fault struck: the test would prove nothing"
    shown = set(table_rows(run.text))
    done = {m for m, e in entries.items() if e.outcome == "done"}
    not_made = {m for m, e in entries.items() if e.outcome in {"busy", "failed", "refused", "interrupted"}}
    assert done <= shown and not (shown & not_made)  # never a row for an add that wasn't made
    assert done <= members_of(group.id) and not (not_made & members_of(group.id))


def test_a_reader_who_cant_change_the_group_is_told_so_before_anything_about_the_entries(sign_in, tenant):
    group = tenant["helpdesk_group"]
    member = Link.objects.filter(container_id=group.id, relation="members", member__kind="user").select_related("member").first().member
    reader = sign_in("user@contoso.example")
    page = unescape(reader.get(f"{reader.base_url}/groups/{group.id}/").text)
    box = re.search(r"<textarea[^>]*>", page).group(0)
    assert " disabled" in box and 'aria-describedby="paste-why"' in box
    assert re.search(r'<p class="why" id="paste-why">You need the Groups Administrator role', page)
    knobs.clear_request_log()
    answer = unescape(reader.htmx("POST", f"/groups/{group.id}/members/paste/",
                                  data={"action": "add", "lines": member.principal_name}).text)
    assert answer.lstrip().startswith('<div class="message error" role="alert">')
    assert "You can't change the members of this group" in answer and "You need the Groups Administrator role" in answer
    assert "Already so" not in answer and "Already a member" not in answer
    assert knobs.request_log() == []  # the page's facts and standing are remembered: nothing looked up
