"""The one per-session cache helper: small, bounded, optionally expiring memos in the session.

Pages remember what they read (Graph's next links, a container's facts, the members and picker
hits they showed, the user's roles) so that the fragments and clicks that follow need no second
read. Each memo lives under one session key, keeps its newest ``limit`` entries, and forgets an
entry ``ttl`` seconds after it was written. Values must be JSON-ready (the session serializes them).
"""

import base64
import copy
import hashlib
import secrets
import time
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from members.directory import ContainerInfo, DirectoryItem, MyAccess
from members.directory import Container


class SessionMemo:
    """A bounded, optionally expiring mapping stored under one key of the session."""

    def __init__(self, session: SessionBase, key: str, *, limit: int, ttl: float | None = None) -> None:
        self.session = session
        self.key = key
        self.limit = limit
        self.ttl = ttl

    def get(self, name: str, default: Any = None) -> Any:
        entry = self.session.get(self.key, {}).get(name)
        if entry is None or self._expired(entry[0]):
            return default
        # A copy: a caller that changes what it read and puts it back must not have changed the
        # stored entry already (put_many would find it equal to itself and never mark the session modified).
        return copy.deepcopy(entry[1])

    def get_many(self, names: Iterable[str]) -> dict[str, Any]:
        """The fresh entries among ``names``."""
        stored = self.session.get(self.key, {})
        return {name: copy.deepcopy(stored[name][1]) for name in names
                if name in stored and not self._expired(stored[name][0])}

    def put(self, name: str, value: Any) -> None:
        self.put_many({name: value})

    def put_many(self, values: Mapping[str, Any]) -> None:
        """Write entries (newest last), dropping expired ones and the oldest beyond ``limit``.

        An entry whose value is unchanged and fresh is left as it is (with its age): a page seen
        again rewrites nothing, so the session is not saved for nothing.
        """
        now = time.time()
        current = self.session.get(self.key, {})
        values = {name: value for name, value in values.items()
                  if name not in current or current[name][1] != value or self._expired(current[name][0], now)}
        if not values:
            return
        stored = {name: entry for name, entry in current.items() if name not in values and not self._expired(entry[0], now)}
        stored.update({name: [now, copy.deepcopy(value)] for name, value in values.items()})
        self.session[self.key] = dict(list(stored.items())[-self.limit:])

    def forget(self, name: str | None = None) -> None:
        """Drop one entry, or the whole memo."""
        if name is None:
            self.session.pop(self.key, None)
            return
        stored = self.session.get(self.key, {})
        if name in stored:
            del stored[name]
            self.session[self.key] = stored

    def _expired(self, written: float, now: float | None = None) -> bool:
        return self.ttl is not None and (now or time.time()) - written >= self.ttl


# --- the memos the pages keep --------------------------------------------------------------

# Lifetimes: what changes within minutes at most. A container's facts and the user's standing are
# read again after 5 minutes (in the same $batch as the page that needs them: it costs no round
# trip), and forgotten at once when Graph refuses a change they said was allowed, or makes one
# they said was not (members.reads.forget_contradicted).
NEXT_LINKS = ("memo:next", 40, None)  # Graph nextLinks behind opaque keys (ids-only URLs)
CONTAINERS = ("memo:containers", 40, 300)  # a container's facts and units, for its fragments and clicks
ITEMS = ("memo:items", 500, None)  # members and picker hits a page showed, for the names of a change
ACCESS = ("memo:access", 1, 300)  # the user's roles, scoped roles and owned groups
LISTS = ("memo:lists", 20, 300)  # the ids a list page showed, so its counts ride in the page's $batch


def _memo(session: SessionBase, spec: tuple[str, int, float | None]) -> SessionMemo:
    key, limit, ttl = spec
    return SessionMemo(session, key, limit=limit, ttl=ttl)


def remember_next(session: SessionBase, next_link: str | None) -> str:
    """Keep a Graph nextLink server-side; the browser only sees an opaque key (a digest of the
    link: the same page seen again gives the same key, and the session needs no rewrite)."""
    if not next_link:
        return ""
    key = base64.urlsafe_b64encode(hashlib.blake2b(next_link.encode(), digest_size=9).digest()).decode()
    _memo(session, NEXT_LINKS).put(key, next_link)
    return key


def recall_next(session: SessionBase, key: str) -> str | None:
    return _memo(session, NEXT_LINKS).get(key) if key else None


def remember_container(session: SessionBase, container: Container, info: ContainerInfo,
                       group_units: frozenset[str] | None) -> None:
    """What a page read of a container (facts, and for a group the units holding it), for a few minutes."""
    _memo(session, CONTAINERS).put(f"{container.kind}:{info.id}", {
        "data": info.data, "units": sorted(group_units) if group_units is not None else None})


def recall_container(session: SessionBase, container: Container) -> tuple[ContainerInfo, frozenset[str] | None] | None:
    if container.by_template:
        return None
    memo = _memo(session, CONTAINERS).get(f"{container.kind}:{container.id}")
    if memo is None:
        return None
    units = frozenset(memo["units"]) if memo["units"] is not None else None
    return ContainerInfo.from_graph(container.kind, memo["data"]), units


def forget_container(session: SessionBase, container: Container) -> None:
    _memo(session, CONTAINERS).forget(f"{container.kind}:{container.id}")


def remember_items(session: SessionBase, items: Iterable[DirectoryItem]) -> None:
    """The members and candidates a page showed, so a click on them needs no second read."""
    _memo(session, ITEMS).put_many({item.id: item.to_json() for item in items})


def recall_items(session: SessionBase, ids: Iterable[str]) -> dict[str, DirectoryItem]:
    return {i: DirectoryItem.from_json(i, data) for i, data in _memo(session, ITEMS).get_many(ids).items()}


def remembered_access(session: SessionBase) -> MyAccess | None:
    stored = _memo(session, ACCESS).get("me")
    return MyAccess.from_json(stored) if stored is not None else None


def remember_access(session: SessionBase, access: MyAccess) -> None:
    _memo(session, ACCESS).put("me", access.to_json())


def forget_access(session: SessionBase) -> None:
    _memo(session, ACCESS).forget()


# --- not-sent changes already named on a page (members.notsent) -----------------------------

NOT_SENT_SHOWN = ("memo:not-sent-shown", 200, None)  # journal entry ids, each named once


def not_sent_shown(session: SessionBase, entry_ids: Iterable[int]) -> set[int]:
    """The ones among ``entry_ids`` a page of this session has already named."""
    return {int(i) for i in _memo(session, NOT_SENT_SHOWN).get_many(str(i) for i in entry_ids)}


def remember_not_sent_shown(session: SessionBase, entry_ids: Iterable[int]) -> None:
    _memo(session, NOT_SENT_SHOWN).put_many({str(i): True for i in entry_ids})

# --- pasted lists: a dry run's plan, for the run that follows ---------------------

PLANS = ("memo:plans", 2, 3600)  # the last two dry runs, for an hour (a plan of 1,000 entries is ~250 kB)


def remember_plan(session: SessionBase, plan: dict) -> str:
    """Keep a dry run's plan (JSON-ready) server-side; the browser only holds an opaque key."""
    key = secrets.token_urlsafe(12)
    _memo(session, PLANS).put(key, plan)
    return key


def recall_plan(session: SessionBase, key: str) -> dict | None:
    return _memo(session, PLANS).get(key) if key else None


def update_plan(session: SessionBase, key: str, plan: dict) -> None:
    """Store a plan's progress (a run goes slice by slice) under the key it already has."""
    _memo(session, PLANS).put(key, plan)


READABLE = ("memo:readable", 100, 300)  # whether I may list a container's members (the journal hides what I may not)


def recall_readable(session: SessionBase, container_ids: Iterable[str]) -> dict[str, bool]:
    return _memo(session, READABLE).get_many(container_ids)


def remember_readable(session: SessionBase, readable: Mapping[str, bool]) -> None:
    _memo(session, READABLE).put_many(dict(readable))

def remember_list(session: SessionBase, kind: str, query: str, ids: Iterable[str]) -> None:
    """The rows a list page showed (first page of a kind, for a search), to count them with the next read."""
    _memo(session, LISTS).put(f"{kind}:{query}", list(ids))


def recall_list(session: SessionBase, kind: str, query: str) -> list[str]:
    return _memo(session, LISTS).get(f"{kind}:{query}", [])
