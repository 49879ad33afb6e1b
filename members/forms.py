"""Every parsed POST and GET: what a browser sends, checked before any view uses it.

Ids become ``ObjectId``s here (a bad one is the form's error, answered 400 by the view), so
nothing past a form checks them again.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from members import paste
from members.schedule import BadEnd, check_end
from members.directory import Action, Container, InvalidId, Outcome, object_id, object_ids
from members.models import AuditEntry


class ObjectIdsField(forms.Field):
    """A repeated field of directory object ids: checked, duplicates dropped, in order."""

    widget = forms.MultipleHiddenInput

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> list:
        try:
            return object_ids(value or [])
        except InvalidId as exc:
            raise forms.ValidationError(str(exc)) from None


class ContainersField(ObjectIdsField):
    """A repeated field of ``<kind>:<id>`` containers."""

    def to_python(self, value) -> list[Container]:
        try:
            return list(dict.fromkeys(Container(*item.partition(":")[::2]) for item in value or []))
        except InvalidId as exc:
            raise forms.ValidationError(str(exc)) from None


class EntryIdsField(ObjectIdsField):
    """A repeated field of journal entry numbers."""

    def to_python(self, value) -> list[int]:
        try:
            return [int(item) for item in value or []]
        except ValueError:
            raise forms.ValidationError("Not a journal entry number.") from None


def first_error(form: forms.Form) -> str:
    """The first error a form found, as its text (for a 400 answer)."""
    return next(iter(form.errors.values()))[0]


class MemberIdsForm(forms.Form):
    """The picked members of a change (field ``member``, repeated)."""

    member = ObjectIdsField()


class GroupIdsForm(forms.Form):
    """The groups to add a person to (field ``group``, repeated)."""

    group = ObjectIdsField()


class ContainersForm(forms.Form):
    """The containers to remove a person from (field ``container``: ``<kind>:<id>``, repeated)."""

    container = ContainersField()


class EntryIdsForm(forms.Form):
    """The journal entries an Undo reverts (field ``entry``, repeated)."""

    entry = EntryIdsField()


def _one_line(value: str, field: str) -> str:
    """``value`` on one line, trimmed to the room the journal's ``field`` has."""
    return " ".join(value.split())[:AuditEntry._meta.get_field(field).max_length]


class NoteForm(forms.Form):
    """The ticket reference and reason sent with a change, as the journal keeps them: on one line,
    trimmed to the journal's room (never refused: a long reason is not a reason to lose a change)."""

    ticket = forms.CharField(required=False, strip=False)
    reason = forms.CharField(required=False, strip=False)

    def clean_ticket(self) -> str:
        return _one_line(self.cleaned_data["ticket"], "ticket")

    def clean_reason(self) -> str:
        return _one_line(self.cleaned_data["reason"], "reason")


class PasteForm(forms.Form):
    action = forms.ChoiceField(choices=[(Action.ADD.value, "Add"), (Action.REMOVE.value, "Remove")])
    # Room for 1,000 of the longest addresses and their separators; more is refused before reading.
    lines = forms.CharField(max_length=paste.MAX_ENTRIES * 260)


class JournalFilter(forms.Form):
    """The journal's filters (all optional): person, member, container, outcome, date range; and the
    links the journal itself makes (one change's entries, one entry)."""

    who = forms.CharField(required=False, max_length=254, label="Person")
    member = forms.CharField(required=False, max_length=256, label="Member")
    change = forms.UUIDField(required=False)
    entry = forms.IntegerField(required=False, min_value=1, max_value=10**18 - 1)
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
        if data["member"]:
            entries = entries.filter(affecting(data["member"]))
        if data["container"]:
            entries = entries.filter(container_id=data["container"])
        if data["change"]:
            entries = entries.filter(change_id=data["change"])
        if data["entry"]:
            entries = entries.filter(pk=data["entry"])
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


def affecting(member: str) -> Q:
    """Entries whose member is called so (part of the name), or has this exact id or sign-in name."""
    needle = member.strip()
    return Q(member_name__icontains=needle) | Q(member_id=needle.lower()) | Q(member_principal__iexact=needle)


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


END_PRESETS = {"today": "End of today", "1d": "In 1 day", "7d": "In 7 days", "30d": "In 30 days", "date": "On a date…"}


class EndForm(forms.Form):
    """When the memberships an add makes end (field ``ends``: a preset, or ``date`` with ``ends_at``, a
    local date and time in the reader's zone). Empty: they don't end. A bad end is the form's error:
    the add is then not sent."""

    ends = forms.ChoiceField(required=False, choices=[("", "Never")] + list(END_PRESETS.items()))
    ends_at = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                                                                 "%Y-%m-%d"])

    error_messages = {"ends_at": "that end date isn't one this page can read (use the date picker, or 2026-12-31 17:00)."}

    def clean(self):
        data = super().clean()
        if "ends_at" in self.errors:
            raise forms.ValidationError(self.error_messages["ends_at"])
        if "ends" in self.errors:
            raise forms.ValidationError("that end isn't one of the choices.")
        return data

    def until(self, now: datetime | None = None) -> datetime | None:
        """The end asked for, checked (``members.expiry.check_end``); None: no end."""
        now = now or timezone.now()
        preset = self.cleaned_data.get("ends") or ""
        if not preset:
            return None
        if preset == "today":
            local = timezone.localtime(now)
            until = local.replace(hour=23, minute=59, second=0, microsecond=0)
        elif preset == "date":
            until = self.cleaned_data.get("ends_at")
            if until is None:
                raise BadEnd("choose the date (and time) the access ends.")
        else:
            until = (now + timedelta(days=int(preset.removesuffix("d")))).replace(second=0, microsecond=0)
        return check_end(until, now)
