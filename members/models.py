"""The audit log: one row per add/remove attempt, whatever its outcome (DESIGN.md, "nothing lost")."""

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """Who tried to change which membership, when, and what Graph answered (never a token)."""

    class Action(models.TextChoices):
        ADD = "add"
        REMOVE = "remove"

    class Result(models.TextChoices):
        DONE = "done", "Done"
        ALREADY = "already", "No change needed"
        REFUSED = "refused", "Refused"
        BUSY = "busy", "Graph busy: not done"
        UNKNOWN = "unknown", "No answer: outcome unknown"
        FAILED = "failed", "Failed"
        SIGN_IN = "sign_in", "Not sent: sign-in expired"

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    actor_upn = models.CharField(max_length=254)
    action = models.CharField(max_length=8, choices=Action.choices)
    container_kind = models.CharField(max_length=8)
    container_id = models.CharField(max_length=36, db_index=True)
    container_name = models.CharField(max_length=256, blank=True)
    member_id = models.CharField(max_length=36, db_index=True)
    member_name = models.CharField(max_length=256, blank=True)
    outcome = models.CharField(max_length=8, choices=Result.choices)
    graph_status = models.PositiveSmallIntegerField(null=True, blank=True)
    graph_code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    client_request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_upn} {self.action} {self.member_id} {self.container_kind}/{self.container_id}: {self.outcome}"
