"""Reading a pasted list: separators, what each entry looks like, the limit."""

import pytest

from members import paste
from members.directory import Action, Container, ContainerInfo, DirectoryItem, Kind, MyAccess

ID = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"


def test_entries_are_split_on_newlines_commas_semicolons_and_spaces():
    entries = paste.read(f"a@contoso.example\nb@contoso.example, {ID};\t c@contoso.example  \n\n")
    assert [(e.number, e.kind) for e in entries] == [(1, "address"), (2, "address"), (3, "id"), (4, "address")]


def test_ids_and_addresses_are_read_in_canonical_form():
    address, object_id = paste.read(f"Ada.Lovelace@Contoso.Example {ID.upper()}")
    assert (address.key, object_id.key) == ("ada.lovelace@contoso.example", ID)
    assert (address.text, object_id.text) == ("Ada.Lovelace@Contoso.Example", ID.upper())


def test_an_outlook_style_list_keeps_its_addresses_and_flags_the_names():
    entries = paste.read('"Ada Lovelace" <ada@contoso.example>; mailto:bob@contoso.example')
    assert [(e.text, e.kind) for e in entries] == [("Ada", "invalid"), ("Lovelace", "invalid"),
                                                  ("ada@contoso.example", "address"), ("bob@contoso.example", "address")]


@pytest.mark.parametrize("junk", ["hello", "a@", "@b", "a@@b.example", "{" + ID + "}x", "4562bcc8c436"])
def test_anything_else_is_not_a_valid_entry(junk):
    assert paste.read(junk)[0].kind == "invalid"


def test_more_than_a_thousand_entries_are_refused_whole():
    assert len(paste.read("a@b.example " * 1000)) == 1000
    with pytest.raises(paste.TooManyEntries, match="at most 1,000"):
        paste.read("a@b.example " * 1001)


def test_a_memo_entry_changed_in_place_after_reading_is_still_saved():
    """What a caller reads is its own: changing it and putting it back marks the session modified."""
    from django.contrib.sessions.backends.signed_cookies import SessionStore

    from members.memo import SessionMemo

    session = SessionStore()
    memo = SessionMemo(session, "memo:test", limit=2)
    memo.put("plan", {"done": 0, "queue": ["a", "b"]})
    session.accessed = session.modified = False
    plan = memo.get("plan")
    plan["done"] += 1
    assert memo.get("plan")["done"] == 0
    memo.put("plan", plan)
    assert session.modified and memo.get("plan")["done"] == 1


class MembersAlready:
    """Resolves every address to one user who is a member already."""

    def __init__(self, user: DirectoryItem):
        self.user = user

    def resolve_entries(self, addresses, ids, *, groups_by_mail=False):
        return {address: [self.user] for address in addresses}

    def members_among(self, container, member_ids):
        return dict.fromkeys(member_ids, True)


def test_a_reader_who_cant_change_the_group_hears_that_before_already_so():
    group = ContainerInfo.from_graph(Kind.GROUPS, {"id": "02bd9fd6-8f93-4758-87c3-1fb73740a315", "displayName": "Desk",
                                                   "securityEnabled": True})
    user = DirectoryItem.from_graph({"@odata.type": "#microsoft.graph.user", "id": "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e",
                                     "displayName": "Ada", "userPrincipalName": "ada@contoso.example"})
    reader = MyAccess(roles=frozenset(), owned_groups=frozenset())
    [line] = paste.preview(MembersAlready(user), Action.ADD, Container(Kind.GROUPS, group.id), group, reader, frozenset(),
                           None, "ada@contoso.example")
    assert line.status is paste.Status.NOT_ALLOWED and "You need the Groups Administrator role" in line.reason
