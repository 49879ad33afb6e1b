"""Who may read which journal entries (issue 10).

A person reads their own entries; the whole journal is for staff and for members of the Django
group ``settings.JOURNAL_AUDITORS_GROUP``.
"""

from django.conf import settings
from django.db.models import QuerySet

from members.models import AuditEntry


def reads_everything(user) -> bool:
    """Staff, and members of the auditors' group, read every entry; others their own."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.groups.filter(name=settings.JOURNAL_AUDITORS_GROUP).exists()


def visible_entries(user) -> QuerySet:
    """The entries this person may read, newest first."""
    entries = AuditEntry.objects.all()
    return entries if reads_everything(user) else entries.filter(actor=user)
