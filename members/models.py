"""The journal: one row per add/remove attempt, whatever its outcome (DESIGN.md, "nothing lost").

Write-ahead: a row is written *pending* before its Graph call is sent and settled after
(``members.changes``), so a crash leaves a pending row that a read-back settles later.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from members.directory import Action, Outcome

# The outcomes of an Undo/Revert entry that stand for "this change is (being) reverted": while one
# entry in these reverts an entry, no second one may be written for it (the "only once" of a revert,
# kept by the database so that concurrent Undos can't both pass the check). A refused, busy or
# interrupted revert releases it: trying again is then right.
MEMBERS = "members"
OWNERS = "owners"  # a group's owners (``changes.apply(..., relation=OWNERS)``)

REVERT_CLAIMS = [Outcome.PENDING, Outcome.UNKNOWN, Outcome.DONE, Outcome.ALREADY]


def reads_everything(user) -> bool:
    """Staff, and members of the auditors' group, read every entry; others their own."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.groups.filter(name=settings.JOURNAL_AUDITORS_GROUP).exists()


class AuditEntryQuerySet(models.QuerySet):
    def visible_to(self, user) -> "AuditEntryQuerySet":
        """The entries this person may read."""
        return self if reads_everything(user) else self.filter(actor=user)

    def open(self, *, older_than: timedelta = timedelta(0), actor=None) -> "AuditEntryQuerySet":
        """Pending, or sent without a clear answer, written at least ``older_than`` ago, in the order written."""
        entries = self.filter(outcome__in=[o.value for o in Outcome if not o.settled],
                              created_at__lte=timezone.now() - older_than).order_by("id")
        return entries.filter(actor=actor) if actor is not None else entries

    def for_container(self, container_id: str) -> "AuditEntryQuerySet":
        return self.filter(container_id=container_id)


class AuditEntry(models.Model):
    """Who tried to change which membership, when, and what Graph answered (never a token)."""

    objects = AuditEntryQuerySet.as_manager()

    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed by the composite indexes below, which begin with it.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                              db_index=False)
    actor_upn = models.CharField(max_length=254)
    action = models.CharField(max_length=8, choices=[(a.value, a.label) for a in (Action.ADD, Action.REMOVE)])
    container_kind = models.CharField(max_length=8)
    container_id = models.CharField(max_length=36)
    container_name = models.CharField(max_length=256, blank=True)
    member_id = models.CharField(max_length=36, db_index=True)
    member_name = models.CharField(max_length=256, blank=True)
    # The member's sign-in name (or mail), when the page or Graph's answer gave it: "what happened
    # to diego@…" is asked by the address a helpdesk has in front of them.
    member_principal = models.CharField(max_length=256, blank=True)
    outcome = models.CharField(max_length=16, choices=[(o.value, o.label) for o in Outcome], db_index=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    graph_status = models.PositiveSmallIntegerField(null=True, blank=True)
    graph_code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_request_id = models.CharField(max_length=64, blank=True)
    # What the person said with the change, if anything: a ticket reference and a reason.
    ticket = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    # An Undo or a Revert: the entry whose change this one made the inverse of.
    reverts = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reverted_by")
    # A later attempt on the same membership that overtook this open one before it was settled
    # (outcome SUPERSEDED): what this attempt did is then not told by today's membership.
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The change a person asked for, of which this attempt is one member (one call of
    # ``changes.apply``, a paste's whole run, an Undo): the journal shows a change as one row.
    # Entries written before changes were grouped have none and stand alone.
    change_id = models.UUIDField(null=True, blank=True)
    # An add with an end: when the membership is to be removed (``Expiry`` carries it from there).
    until = models.DateTimeField(null=True, blank=True)
    # A removal made because a membership's time was up (by the sweep, on the granter's authority).
    expired = models.BooleanField(default=False)
    # Which of the container's collections the change was of: its members (every entry before owners
    # could be changed), or a group's owners.
    relation = models.CharField(max_length=8, default=MEMBERS, choices=[(MEMBERS, "members"), (OWNERS, "owners")])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        # Newest first for everyone, for one person, for one container: each page reads its 50 rows
        # off an index in order (no sort of the whole journal), and a page deep in it starts at its
        # cursor (members.journal.page_of).
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="journal_newest"),
            models.Index(fields=["actor", "-created_at", "-id"], name="journal_actor_newest"),
            models.Index(fields=["container_id", "-created_at", "-id"], name="journal_container_newest"),
            # A person's open entries, settled on each visit to the journal: the few pending ones, not
            # a scan of everything they ever did. They are taken in the order written (by id): ordered
            # by created_at, SQLite would rather walk the newest-first index than sort a few rows.
            models.Index(fields=["actor", "outcome", "created_at"], name="journal_actor_outcome"),
            # A change's entries, newest first: its members when its row opens, and where it stands
            # among the changes of a page (members.journal.page_of).
            models.Index(fields=["change_id", "-created_at", "-id"], name="journal_change_newest"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["reverts"], condition=models.Q(outcome__in=[o.value for o in REVERT_CLAIMS]),
                                    name="one_standing_revert_per_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_upn} {self.action} {self.member_id} {self.container_kind}/{self.container_id}: {self.outcome}"


class ExpiryState(models.TextChoices):
    # Waiting for its time; the sweep removes it then, with the granter's kept sign-in.
    SCHEDULED = "scheduled", "Scheduled"
    # Its time came and the granter's sign-in could not remove it: waits, shown, for someone who can.
    DUE = "due", "Overdue"
    REMOVED = "removed", "Removed on time"
    # Ended without a removal of its own: made permanent, removed by someone, re-added since, never added.
    ENDED = "ended", "Ended"


OPEN_EXPIRY = [ExpiryState.SCHEDULED, ExpiryState.DUE]


class ExpiryQuerySet(models.QuerySet):
    def open(self) -> "ExpiryQuerySet":
        return self.filter(state__in=OPEN_EXPIRY)

    def of(self, container_id: str, member_ids=None) -> "ExpiryQuerySet":
        found = self.filter(container_id=container_id)
        return found.filter(member_id__in=member_ids) if member_ids is not None else found


class Expiry(models.Model):
    """A membership granted until a time: removed then by the sweep (``members.expiry``), journaled."""

    objects = ExpiryQuerySet.as_manager()

    container_kind = models.CharField(max_length=8)
    container_id = models.CharField(max_length=36)
    container_name = models.CharField(max_length=256, blank=True)
    member_id = models.CharField(max_length=36)
    member_name = models.CharField(max_length=256, blank=True)
    member_principal = models.CharField(max_length=256, blank=True)
    expires_at = models.DateTimeField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    granted_by_name = models.CharField(max_length=254, blank=True)
    # The add that granted it (written pending with it, before the add was sent).
    grant = models.ForeignKey(AuditEntry, null=True, on_delete=models.SET_NULL, related_name="+")
    # The removal that ended it, when one did (the sweep's, or a person's).
    removal = models.ForeignKey(AuditEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=10, choices=ExpiryState.choices, default=ExpiryState.SCHEDULED)
    # Why it is due, or how it ended, in the words a person reads.
    note = models.CharField(max_length=500, blank=True)
    # Who last moved its end (extended, shortened, made permanent).
    changed_by_name = models.CharField(max_length=254, blank=True)
    # A sweep working on it: taken by another sweep only after EXPIRY_CLAIM_TIMEOUT (its worker died).
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_at", "id"]
        verbose_name_plural = "expiries"
        indexes = [
            models.Index(fields=["state", "expires_at"], name="expiry_due"),
            models.Index(fields=["container_id", "member_id"], name="expiry_membership"),
            models.Index(fields=["granted_by", "state", "expires_at"], name="expiry_granter"),
        ]
        constraints = [
            # One open end per membership: a second "until" moves it.
            models.UniqueConstraint(fields=["container_id", "member_id"], condition=models.Q(state__in=OPEN_EXPIRY),
                                    name="one_open_expiry_per_membership"),
        ]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_EXPIRY

    def __str__(self) -> str:
        return f"{self.member_id} in {self.container_kind}/{self.container_id} until {self.expires_at:%Y-%m-%d %H:%M}: {self.state}"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    # Stopped before every member was sent: the person's kept sign-in no longer gave a token.
    INTERRUPTED = "interrupted", "Waiting for you to sign in again"


UNFINISHED_JOBS = [JobState.QUEUED, JobState.RUNNING]


class JobKind(models.TextChoices):
    CHANGE = "change", "Change"  # a bulk remove or a picker add
    PASTE = "paste", "Pasted list"  # a pasted list's run (its lines kept, to show each entry's result)
    REVERT = "revert", "Undo"  # an Undo or a Revert all: journal entries to invert


class BackgroundChangeQuerySet(models.QuerySet):
    def unfinished(self) -> "BackgroundChangeQuerySet":
        return self.filter(state__in=UNFINISHED_JOBS)

    def shown_to(self, user, container_id: str | None = None) -> "BackgroundChangeQuerySet":
        """A person's jobs still running, and those that stopped for want of their sign-in (of one container)."""
        since = timezone.now() - timedelta(days=1)  # a stopped one is told for a day (the journal keeps it)
        found = self.filter(actor=user).filter(models.Q(state__in=UNFINISHED_JOBS)
                                               | models.Q(state=JobState.INTERRUPTED, updated_at__gte=since))
        return found.filter(container_id=container_id) if container_id else found


class BackgroundChange(models.Model):
    """A change too large for one request, made by a task with its actor's kept sign-in (``members.background``).

    What it did is in the journal (its entries carry ``change_id``); this row says how far it got."""

    objects = BackgroundChangeQuerySet.as_manager()

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    actor_upn = models.CharField(max_length=254)
    job_kind = models.CharField(max_length=8, choices=JobKind.choices, default=JobKind.CHANGE)
    action = models.CharField(max_length=8, choices=[(a.value, a.label) for a in (Action.ADD, Action.REMOVE)])
    container_kind = models.CharField(max_length=8)
    container_id = models.CharField(max_length=36)
    container_name = models.CharField(max_length=256, blank=True)
    member_ids = models.JSONField(default=list)  # in order; for an Undo, the members of ``entry_ids``
    entry_ids = models.JSONField(default=list)  # an Undo / Revert all: the journal entries it inverts
    # The names the page had shown (member id -> DirectoryItem.to_json()), and a paste's dry-run lines.
    items = models.JSONField(default=dict)
    lines = models.JSONField(default=list)
    # An Undo's entries refused before anything was sent for them (entry id -> [tone, text, fix]).
    refused = models.JSONField(default=dict)
    ticket = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    change_id = models.UUIDField(default=uuid.uuid4)
    state = models.CharField(max_length=12, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["actor", "state", "container_id"], name="job_actor_state"),
            models.Index(fields=["state", "updated_at"], name="job_stale"),
        ]

    @property
    def unfinished(self) -> bool:
        return self.state in UNFINISHED_JOBS

    def __str__(self) -> str:
        return f"{self.actor_upn} {self.job_kind} {self.action} {self.container_kind}/{self.container_id}: {self.state}"
