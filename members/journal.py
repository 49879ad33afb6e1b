"""Reading the journal: who may read which entries, the filters, and what stays hidden.

A person reads their own entries; the whole journal is for staff and for members of the Django
group ``settings.JOURNAL_AUDITORS_GROUP``. And the journal never shows what the container's page
would not: an entry of an administrative unit whose member list Graph won't show the viewer (a
hidden-membership unit) keeps its member hidden. Graph is asked, not guessed: one $batch of
``…/members?$top=1`` for the units in view, remembered for a few minutes (``members.memo``).
"""

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, time, timedelta

from django import forms
from django.contrib.sessions.backends.base import SessionBase
from django.db.models import Q, QuerySet
from django.utils import timezone

from members import memo
from members.directory import Kind, Outcome
from members.graph import GraphClient
from members.models import AuditEntry
from members.directory import Container, InvalidId, object_id

HIDDEN_MEMBER = "(hidden member)"
CSV_HEADER = ["when", "who", "action", "container_kind", "container_id", "container", "member_id", "member",
              "outcome", "graph_status", "graph_code", "request_id", "client_request_id", "ticket", "reason",
              "message", "reverts_entry", "entry"]


class JournalFilter(forms.Form):
    """The journal's filters (all optional): person, container, outcome, date range."""

    who = forms.CharField(required=False, max_length=254, label="Person")
    container = forms.CharField(required=False, max_length=36)  # an object id (the container page links here)
    where = forms.CharField(required=False, max_length=256, label="Container")
    outcome = forms.ChoiceField(required=False, choices=[("", "Any outcome")] + [(o.value, o.label) for o in Outcome])
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))
    mine = forms.BooleanField(required=False, label="Only mine")

    def clean_container(self) -> str:
        value = self.cleaned_data["container"].strip()
        if not value:
            return ""
        try:
            return object_id(value.lower())
        except InvalidId:
            raise forms.ValidationError("Not a container id.") from None

    def apply(self, entries: QuerySet, user) -> QuerySet:
        data = self.cleaned_data
        if data["who"]:
            entries = entries.filter(actor_upn__icontains=data["who"].strip())
        if data["container"]:
            entries = entries.filter(container_id=data["container"])
        if data["where"]:
            needle = data["where"].strip()
            entries = entries.filter(Q(container_name__icontains=needle) | Q(container_id=needle.lower()))
        if data["outcome"]:
            entries = entries.filter(outcome=data["outcome"])
        if data["since"]:
            entries = entries.filter(created_at__gte=_start_of(data["since"]))
        if data["until"]:
            entries = entries.filter(created_at__lt=_start_of(data["until"]) + timedelta(days=1))
        if data["mine"]:
            entries = entries.filter(actor=user)
        return entries


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- what stays hidden ----------------------------------------------------------------------

def hidden_containers(graph: GraphClient, session: SessionBase, unit_ids: Iterable[str]) -> set[str]:
    """The units among these whose members Graph won't list to the viewer (or can't say): their
    entries keep the member hidden. Asked in one $batch, remembered for a few minutes."""
    ids = list(dict.fromkeys(unit_ids))
    known = memo.recall_readable(session, ids)
    ask = [i for i in ids if i not in known]
    if ask:
        read = graph.member_lists_readable([Container(Kind.UNITS, i) for i in ask])
        memo.remember_readable(session, {i: readable for i, readable in read.items() if readable is not None})
        known.update({i: bool(readable) for i, readable in read.items()})
    return {i for i in ids if not known.get(i)}


def redact(graph: Callable[[], GraphClient], session: SessionBase, entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """The entries, those whose member the viewer may not see marked ``hidden``. ``graph`` gives the
    client, asked for only when there are units to ask about."""
    entries = list(entries)
    units = {e.container_id for e in entries if e.container_kind == Kind.UNITS}
    hidden = hidden_containers(graph(), session, units) if units else set()
    for entry in entries:
        entry.hidden = entry.container_id in hidden
    return entries


def hide_all(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Every entry's member hidden (a container page that could not list its members)."""
    entries = list(entries)
    for entry in entries:
        entry.hidden = True
    return entries


def csv_rows(entries: QuerySet, hidden: set[str]) -> Iterator[list]:
    """The header, then one row per entry, read from the database in chunks as the answer streams."""
    yield CSV_HEADER
    for e in entries.iterator(chunk_size=500):
        secret = e.container_id in hidden
        yield [e.created_at.isoformat(), e.actor_upn, e.action, e.container_kind, e.container_id, e.container_name,
               "" if secret else e.member_id, HIDDEN_MEMBER if secret else e.member_name, e.outcome,
               e.graph_status or "", e.graph_code, e.request_id, e.client_request_id, e.ticket, e.reason,
               e.message, e.reverts_id or "", e.pk]
