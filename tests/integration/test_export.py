"""Exporting a container's members as CSV against the live sandbox: every member, page by page."""

import csv
import io

import pytest

from sandbox import knobs
from sandbox.models import Link
from sandbox.seed import seed_tenant
from tests.conftest import SMALL_TENANT, sign_in_over_http


@pytest.fixture
def full_size_big_group(transactional_db):
    """The small tenant, but its big group ("All Employees") at the seed's full 5,000 members."""
    return seed_tenant(**{**SMALL_TENANT, "big_group_members": 5000})


def test_the_5000_member_group_exports_in_full_page_by_page(live_server, full_size_big_group):
    group = full_size_big_group["big_group"].id
    assert Link.objects.filter(container_id=group, relation="members").count() == 5000
    desk = sign_in_over_http(live_server.url, "helpdesk@contoso.example")
    knobs.clear_request_log()
    answer = desk.get(f"{desk.base_url}/groups/{group}/members.csv", stream=True)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Content-Disposition"].startswith('attachment; filename="all-employees-members-')
    text = answer.content.decode()
    lines = text.splitlines()
    assert len(lines) == 5001, lines[-1]
    assert lines[0] == "id,type,display_name,upn_or_mail"
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len({row[0] for row in rows}) == 5000
    assert {row[1] for row in rows} == {"user", "device", "group"}
    pages = [e for e in knobs.request_log() if "/members" in e.path]
    assert len(pages) == 6 and all("%24top=999" in e.query or "$top=999" in e.query for e in pages)


def test_a_member_list_graph_refuses_is_a_page_saying_why(sign_in, tenant):
    desk = sign_in("user@contoso.example")
    answer = desk.get(f"{desk.base_url}/units/{tenant['hidden_unit'].id}/members.csv")
    assert answer.status_code == 403 and "text/html" in answer.headers["Content-Type"]
    assert "Graph refused to list it" in answer.text
    assert desk.get(f"{desk.base_url}/groups/00000000-1111-4222-8333-444444444444/members.csv").status_code == 404


def test_a_small_group_exports_with_names_and_sign_in_names(sign_in, tenant):
    desk = sign_in("helpdesk@contoso.example")
    rows = list(csv.DictReader(io.StringIO(desk.get(f"{desk.base_url}/groups/{tenant['helpdesk_group'].id}/members.csv").text)))
    by_name = {row["display_name"]: row for row in rows}
    assert by_name["Ulrich Berg"]["upn_or_mail"] == "user@contoso.example" and by_name["Ulrich Berg"]["type"] == "user"
    assert by_name["Vendor Contact"]["upn_or_mail"] == "vendor@fabrikam.example"
    assert by_name["Helpdesk Tier 1 Leads"]["type"] == "group"


def test_an_export_under_read_faults_is_the_whole_list_or_no_file(live_server, full_size_big_group, settings):
    """Under 40% read faults each of 10 exports is all 5,000 members (with its length) or a page,
    not 200, saying there is no file: never a shorter file, never HTML served as 200."""
    group = full_size_big_group["big_group"].id
    desk = sign_in_over_http(live_server.url, "helpdesk@contoso.example")
    desk.get(f"{desk.base_url}/groups/{group}/")  # the page first, as a person would (its reads unfaulted)
    settings.SANDBOX_FAULT_RATE = 0.4
    settings.SANDBOX_FAULTS = ["503", "504", "drop"]
    settings.SANDBOX_FAULT_SEED = 14
    settings.SANDBOX_FAULT_RETRY_AFTER = 0
    answers = [desk.get(f"{desk.base_url}/groups/{group}/members.csv") for _ in range(10)]
    settings.SANDBOX_FAULT_RATE = 0.0
    whole = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code != 200]
    for answer in whole:
        assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert int(answer.headers["Content-Length"]) == len(answer.content)
        assert len(answer.text.splitlines()) == 5001
    for answer in refused:
        assert answer.status_code == 424 and "text/html" in answer.headers["Content-Type"]
        assert "Content-Disposition" not in answer.headers
        assert "No file: Graph stopped answering" in answer.text or "Couldn&#x27;t load" in answer.text
    assert whole and refused, [a.status_code for a in answers]  # both happened: the test can tell them apart
