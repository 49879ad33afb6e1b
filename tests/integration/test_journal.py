"""The write-ahead journal against the live sandbox: lost answers read back, nothing shown that
didn't happen, every attempt journaled, and open entries settled to the truth later."""

from datetime import timedelta
from html import unescape

from django.contrib.auth import get_user_model
from django.core.management import call_command

from members.models import AuditEntry
from sandbox import knobs
from sandbox.models import Link


def is_member(container_id: str, member_id: str) -> bool:
    return Link.objects.filter(container_id=container_id, relation="members", member_id=member_id).exists()


def user_members(container_id: str, count: int) -> list[str]:
    links = Link.objects.filter(container_id=container_id, relation="members", member__kind="user").order_by("member__display_name")
    return [str(link.member_id) for link in links[:count]]


def journal(member_ids: list[str]) -> dict[str, str]:
    return {e.member_id: e.outcome for e in AuditEntry.objects.filter(member_id__in=member_ids)}


def lose_every_write_answer(settings) -> None:
    """The sandbox makes each change, then the connection drops before its answer; reads still answer."""
    settings.SANDBOX_FAULT_RATE = 1.0
    settings.SANDBOX_FAULTS = ["drop"]
    settings.SANDBOX_FAULT_ON = "writes"
    knobs.reset_faults()


def lose_every_answer(settings) -> None:
    settings.SANDBOX_FAULT_RATE = 1.0
    settings.SANDBOX_FAULTS = ["drop"]
    settings.SANDBOX_FAULT_ON = "all"
    knobs.reset_faults()


def test_a_bulk_remove_whose_answer_is_lost_is_read_back_and_shown_done(sign_in, tenant, settings):
    group = tenant["helpdesk_group"].id
    first, second = user_members(group, 2)
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group}/")
    lose_every_write_answer(settings)
    knobs.clear_request_log()
    answer = desk.htmx("POST", f"/groups/{group}/members/remove/", data={"member": [first, second]},
                       current=f"/groups/{group}/")
    settings.SANDBOX_FAULT_RATE = 0.0
    assert answer.status_code == 200
    assert "2 of 2 removed." in unescape(answer.text)
    assert not is_member(group, first) and not is_member(group, second)
    assert journal([first, second]) == {first: "as_asked", second: "as_asked"}
    batches = [e for e in knobs.request_log() if e.path.endswith("/$batch") and any(i[0] == "DELETE" for i in e.items)]
    assert len(batches) == 1  # read back, never resent


def test_a_multi_add_to_a_group_whose_answer_is_lost_is_read_back_not_called_unchanged(sign_in, tenant, settings):
    group = tenant["helpdesk_group"].id
    newcomers = [user.id for user in tenant["spare_users"][:3]]
    desk = sign_in("helpdesk@contoso.example")
    lose_every_write_answer(settings)
    knobs.clear_request_log()
    answer = unescape(desk.htmx("POST", f"/groups/{group}/members/", data={"member": newcomers},
                                headers={"HX-Target": "add-results"}).text)
    settings.SANDBOX_FAULT_RATE = 0.0
    assert all(is_member(group, m) for m in newcomers)
    assert answer.count("Added, or it was so already") == 3 and "Nothing was changed" not in answer
    assert journal(newcomers) == dict.fromkeys(newcomers, "as_asked")
    patches = [e for e in knobs.request_log() if e.method == "PATCH"]
    assert len(patches) == 1


def test_a_unit_add_whose_answers_are_lost_is_read_back(sign_in, tenant, settings):
    unit = tenant["plain_unit"].id
    newcomers = [user.id for user in tenant["spare_users"][:2]]
    desk = sign_in("pra@contoso.example")
    lose_every_write_answer(settings)
    answer = unescape(desk.htmx("POST", f"/units/{unit}/members/", data={"member": newcomers},
                                headers={"HX-Target": "add-results"}).text)
    settings.SANDBOX_FAULT_RATE = 0.0
    assert all(is_member(unit, m) for m in newcomers)
    assert answer.count("Added, or it was so already") == 2
    assert journal(newcomers) == dict.fromkeys(newcomers, "as_asked")


def test_when_every_answer_is_lost_the_page_says_unknown_and_the_journal_settles_later(sign_in, tenant, settings,
                                                                                        live_server):
    group = tenant["helpdesk_group"].id
    leaving = user_members(group, 2)
    unit = tenant["plain_unit"].id
    joining = [user.id for user in tenant["spare_users"][:2]]
    desk = sign_in("admin@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group}/")
    lose_every_answer(settings)
    removed = unescape(desk.htmx("POST", f"/groups/{group}/members/remove/", data={"member": leaving}).text)
    added = unescape(desk.htmx("POST", f"/units/{unit}/members/", data={"member": joining},
                               headers={"HX-Target": "add-results"}).text)
    settings.SANDBOX_FAULT_RATE = 0.0
    # The sandbox made every change, but no answer came back, not even to the read-back.
    assert not any(is_member(group, m) for m in leaving) and all(is_member(unit, m) for m in joining)
    assert "0 of 2 removed" in removed and "we can't tell whether this member was removed" in removed
    assert "Added." not in added and "we can't tell whether this member was added" in added
    assert set(journal(leaving + joining).values()) == {"unknown"}

    settings.SANDBOX_LOOPBACK_URL = live_server.url  # the command runs outside any request
    call_command("resolve_journal", "--older-than", "0")

    assert journal(leaving + joining) == dict.fromkeys(leaving + joining, "as_asked")
    assert all("read back later" in e.message for e in AuditEntry.objects.all())


def test_the_journal_page_settles_my_open_entries_to_what_really_happened(sign_in, tenant, settings):
    group = tenant["helpdesk_group"].id
    [staying] = user_members(group, 1)
    joining = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    me = get_user_model().objects.get(email="helpdesk@contoso.example")
    # Two attempts a stopped server left pending: the remove never went out, the add did.
    for action, member in (("remove", staying), ("add", joining)):
        AuditEntry.objects.create(actor=me, actor_upn=me.email, action=action, container_kind="groups",
                                  container_id=group, member_id=member, outcome="pending")
    Link.objects.create(container_id=group, relation="members", member_id=joining)
    settings.JOURNAL_SETTLE_AFTER = timedelta(0)
    page = unescape(desk.get(f"{desk.base_url}/activity/?mine=1").text)
    assert journal([staying, joining]) == {staying: "interrupted", joining: "as_asked"}
    assert "Interrupted: not done" in page and "so it was not removed" in page


def test_a_change_to_a_container_that_no_longer_exists_says_so(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    [member] = user_members(group, 1)
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group}/")
    from sandbox.models import DirectoryObject
    DirectoryObject.objects.filter(id=group).delete()
    answer = unescape(desk.htmx("DELETE", f"/groups/{group}/members/{member}/", current=f"/groups/{group}/").text)
    assert "Already removed" not in answer
    assert "the group doesn't exist any more" in answer and 'role="alert"' in answer
    assert AuditEntry.objects.get(member_id=member).outcome == "missing"


def test_a_removal_of_a_non_member_from_a_real_container_is_still_already_removed(sign_in, tenant):
    group = tenant["helpdesk_group"].id
    outsider = tenant["spare_users"][0].id
    desk = sign_in("helpdesk@contoso.example")
    answer = unescape(desk.htmx("DELETE", f"/groups/{group}/members/{outsider}/", current=f"/groups/{group}/").text)
    assert "Already removed: not a member any more." in answer
    assert AuditEntry.objects.get(member_id=outsider).outcome == "already"


def test_a_member_count_whose_answer_was_lost_still_shows_the_page(sign_in, tenant, settings):
    group = tenant["helpdesk_group"].id
    desk = sign_in("helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group}/")
    lose_every_answer(settings)
    count = desk.htmx("GET", f"/groups/{group}/?part=count", current=f"/groups/{group}/")
    table = desk.htmx("GET", f"/groups/{group}/members/?q=ad", current=f"/groups/{group}/")
    settings.SANDBOX_FAULT_RATE = 0.0
    assert count.status_code == 200 and "not available" in count.text
    assert table.status_code == 200 and "Couldn't load the members of this group: Graph did not answer." in unescape(table.text)
    assert "remove this member" not in unescape(table.text)


def test_the_members_fragment_of_a_missing_container_says_so_inline(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    missing = "0badc0de-0000-4000-8000-000000000000"
    answer = desk.htmx("GET", f"/groups/{missing}/members/?q=ab", current=f"/groups/{missing}/")
    assert answer.status_code == 200
    assert "doesn't exist" in unescape(answer.text) and 'role="alert"' in answer.text


def test_a_paste_run_in_several_pieces_is_one_change_on_activity(sign_in, tenant, settings, live_server):
    from sandbox.models import DirectoryObject
    group = tenant["helpdesk_group"]
    inside = {str(m) for m in Link.objects.filter(container_id=group.id, relation="members").values_list("member_id", flat=True)}
    devices = [d for d in DirectoryObject.objects.filter(kind="device").order_by("display_name") if str(d.id) not in inside][:130]
    desk = sign_in("helpdesk@contoso.example")
    dry = desk.htmx("POST", f"/groups/{group.id}/members/paste/", data={"action": "add", "lines": " ".join(str(d.id) for d in devices)})
    key = dry.text.split('name="plan" value="')[1].split('"')[0]
    run = desk.htmx("POST", f"/groups/{group.id}/members/paste/run/", data={"plan": key})
    assert "0 of 130" in unescape(run.text)
    settings.SANDBOX_LOOPBACK_URL = live_server.url  # the background change's worker reaches the sandbox so
    call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)  # in pieces of 100
    assert AuditEntry.objects.count() == 130 and AuditEntry.objects.values("change_id").distinct().count() == 1

    page = " ".join(unescape(desk.get(f"{desk.base_url}/activity/").text).split())
    assert "Showing 1 of 1 change, newest first" in page
    assert "Add <strong>130 members</strong> to" in page and "130 members: 130 done" in page
    assert "All 130 members of this change, one by one" in page  # 100 listed in the row
    change = AuditEntry.objects.first().change_id
    listed = " ".join(unescape(desk.get(f"{desk.base_url}/activity/?change={change}").text).split())
    assert "Showing 50 of 130 entries, newest first" in listed and listed.count('class="entry-no"') == 50
