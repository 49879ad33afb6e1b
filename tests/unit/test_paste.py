"""Reading a pasted list: separators, what each entry looks like, the limit."""

import pytest

from members import paste

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
