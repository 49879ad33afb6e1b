"""Member lists are read a page at a time from an index, in name order when ``$orderby=displayName``
is asked (with advanced query parameters) and in id order otherwise: the first page of a huge group
reads about $top rows, never the whole membership (sorting it, or counting by joining it)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sandbox import odata
from sandbox.graph import directory
from sandbox.models import DirectoryObject, Link
from tests.sandbox.conftest import group_path

EVENTUAL = {"ConsistencyLevel": "eventual"}


BY_NAME = {"$orderby": "displayName", "$count": "true"}


def first_page(container: DirectoryObject, top: int, by_name: bool = True):
    options = {"$top": str(top), **(BY_NAME if by_name else {})}
    query = odata.parse_list_query(options, eventual=by_name, resource="DirectoryObject", filter_needs_advanced=True)
    return directory.select_member_page(directory.member_links(container), query)


@pytest.mark.parametrize(("by_name", "index"), [(True, "sandbox_link_in_name_order"), (False, "sqlite_autoindex_sandbox_link_1")])
def test_a_member_page_is_read_from_an_index_without_sorting_the_membership(sandbox_tenant, by_name, index):
    group = DirectoryObject.objects.get(id=sandbox_tenant["big_group"].id)
    with CaptureQueriesContext(connection) as queries:
        page, more = first_page(group, 5, by_name)
    [sql] = [query["sql"] for query in queries]
    assert len(page) == 5 and more and "LIMIT 6" in sql
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert index in plan and "TEMP B-TREE" not in plan and "SCAN" not in plan


def test_links_carry_their_members_name_however_they_were_written(sandbox_tenant, graph_as):
    group, newcomer = sandbox_tenant["helpdesk_group"], sandbox_tenant["spare_users"][0]
    assert graph_as("helpdesk").add(group_path(sandbox_tenant, "helpdesk_group"), newcomer.id).status_code == 204
    assert not Link.objects.filter(member_name="").exists()  # seeded, added, and made here alike
    made = Link.objects.create(container_id=group.id, member_id=sandbox_tenant["spare_users"][1].id)
    assert made.member_name == sandbox_tenant["spare_users"][1].display_name


def test_member_pages_follow_names_and_leave_out_deleted_members_from_pages_and_counts(graph_as, sandbox_tenant):
    group = sandbox_tenant["big_group"]
    names = list(Link.objects.filter(container_id=group.id, relation="members")
                 .order_by("member__display_name", "member_id").values_list("member_id", "member__display_name"))
    gone = names[3][0]
    DirectoryObject.objects.filter(id=gone).update(deleted_at=datetime.now(UTC))
    graph = graph_as("helpdesk")
    url, seen = f"{group_path(sandbox_tenant, 'big_group')}/members?$select=id,displayName&$top=7&$count=true&$orderby=displayName", []
    body = graph.get(url, headers=EVENTUAL).json()
    assert body["@odata.count"] == len(names) - 1
    while url:
        body = graph.get(url, headers=EVENTUAL).json()
        seen += [(item["id"], item["displayName"]) for item in body["value"]]
        url = body.get("@odata.nextLink")
    assert [(str(i), n) for i, n in names if i != gone] == seen
    count = graph.get(f"{group_path(sandbox_tenant, 'big_group')}/members/$count", headers=EVENTUAL)
    assert count.text == str(len(names) - 1)


SEARCHES = [
    '"displayName:adele"', '"displayName:Adele Vance"', '"displayName:vance adele"', '"displayName:SEA-LAPTOP"',
    '"displayName:laptop 0042"', '"displayName:tier1"', '"displayName:HelpdeskTier"', '"description:office"',
    '"mail:adele"', '"userPrincipalName:ADELE.V"', '"mail:nobody"', '"displayName:a" OR "mail:b"',
    '"displayName:seattle" AND "description:users"', '("displayName:paris" OR "displayName:seattle") AND "mail:x"',
    '"displayName:Élodie"', '"mail:é"', '"a__b:c"', '"id:4"', '"displayName:!!"', '"jobTitle:sales"',
    '"displayName:all" OR "jobTitle:enginéer"',
]


# Searches on one indexed field with a plain token: narrowed to their few candidate rows in SQL.
SQL_NARROWED = ['"displayName:adele"', '"displayName:Adele Vance"', '"displayName:vance adele"',
                '"displayName:SEA-LAPTOP"', '"displayName:laptop 0042"', '"displayName:tier1"',
                '"displayName:HelpdeskTier"', '"description:office"', '"mail:adele"', '"userPrincipalName:ADELE.V"',
                '"mail:nobody"', '"displayName:seattle" AND "description:users"', '"jobTitle:sales"']


def test_a_search_reads_only_rows_it_could_match_and_finds_what_a_full_scan_finds(sandbox_tenant):
    everything = list(DirectoryObject.objects.all())
    for search in SEARCHES:
        predicate = odata.parse_search(search)
        full = {str(obj.id) for obj in everything if predicate(obj)}
        rows = directory.narrowed(DirectoryObject.objects.all(), predicate)
        narrowed = {str(obj.id) for obj in rows if predicate(obj)}
        assert narrowed == full, search
        if search in SQL_NARROWED:  # and it did narrow: a narrowed() that returned everything fails here
            assert rows.count() <= max(20, len(full)) < len(everything), search


def test_a_member_search_narrows_its_rows_in_sql(sandbox_tenant):
    group = DirectoryObject.objects.get(id=sandbox_tenant["big_group"].id)
    query = odata.parse_list_query({"$search": '"displayName:zz" OR "mail:zz"', "$top": "5"}, eventual=True,
                                   resource="DirectoryObject")
    with CaptureQueriesContext(connection) as queries:
        page, more = directory.select_member_page(directory.member_links(group), query)
        count = directory.count_members(group, predicate=query.predicate)
    assert (page, more, count) == ([], False, 0)
    assert all("LIKE" in q["sql"] for q in queries)


def test_a_member_search_by_address_reads_the_address_columns_not_each_members_json(sandbox_tenant):
    """The search the member list sends: sign-in names and mail from their indexed lower-cased columns."""
    group = DirectoryObject.objects.get(id=sandbox_tenant["big_group"].id)
    someone = directory.member_links(group, kind="user").order_by("member_name").first().member
    start = someone.principal_name[:4].upper()
    query = odata.parse_list_query({"$search": f'"displayName:{start}" OR "userPrincipalName:{start}" OR "mail:{start}"',
                                    "$top": "5"}, eventual=True, resource="DirectoryObject")
    with CaptureQueriesContext(connection) as queries:
        page, _ = directory.select_member_page(directory.member_links(group), query)
        count = directory.count_members(group, predicate=query.predicate)
    assert someone in page and all(start.lower() in member.display_name.lower() or member.principal_name.startswith(start.lower())
                                   or member.mail.startswith(start.lower()) for member in page)
    assert count >= len(page)
    assert not any("JSON" in q["sql"].upper() for q in queries), [q["sql"] for q in queries]


FILTERS = [
    "id eq '{a}'", "id in ('{a}', '{b}', 'not-a-guid')", "id in ('{a}') or displayName eq 'Adele Vance'",
    "startswith(displayName,'sea')", "displayName eq 'ADELE VANCE'", "mail eq 'adele.v@contoso.example'",
    "userPrincipalName in ('adelev@contoso.example', 'nobody@x') or mail in ('megan.b@contoso.example')",
    "accountEnabled eq false", "startswith(displayName,'É')", "not(id eq '{a}')", "id ne '{a}'",
]


def test_a_filter_reads_only_rows_it_could_match_and_finds_what_a_full_scan_finds(sandbox_tenant):
    everything = list(DirectoryObject.objects.all())
    a, b = str(sandbox_tenant["admin"].id), str(sandbox_tenant["helpdesk"].id)
    for raw in FILTERS:
        predicate = odata.parse_filter(raw.format(a=a, b=b), "DirectoryObject", advanced=True)
        full = {str(obj.id) for obj in everything if predicate(obj)}
        rows = directory.narrowed(DirectoryObject.objects.all(), predicate)
        assert {str(obj.id) for obj in rows if predicate(obj)} == full, raw
        if "id " in raw and "not" not in raw and " ne " not in raw:  # it did narrow, to the ids asked
            assert rows.count() <= len(full) + 1, raw


def test_an_id_filter_on_a_huge_membership_reads_those_links_only(sandbox_tenant):
    """What a read-back asks (``members?$filter=id in (…)``) costs the ids', never the group's size."""
    group = DirectoryObject.objects.get(id=sandbox_tenant["big_group"].id)
    ids = [str(m) for m in Link.objects.filter(container=group).values_list("member_id", flat=True)[:15]]
    query = odata.parse_list_query({"$filter": f"id in ({', '.join(repr(i) for i in ids)})", "$count": "true",
                                    "$select": "id"}, eventual=True, resource="DirectoryObject", filter_needs_advanced=True)
    with CaptureQueriesContext(connection) as queries:
        page, more = directory.select_member_page(directory.member_links(group), query)
        count = directory.count_members(group, predicate=query.predicate)
    assert sorted(str(m.id) for m in page) == sorted(ids) and not more and count == 15
    assert all(" IN (" in q["sql"] for q in queries)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {queries[0]['sql']}")
            plan = " ".join(str(row) for row in cursor.fetchall())
        assert "SCAN" not in plan, plan
