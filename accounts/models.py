"""A person's sign-in kept for work done later on their behalf (``accounts.kept``)."""

from django.conf import settings
from django.db import models


class KeptSignIn(models.Model):
    """The msal token cache of one of a person's sign-ins, sealed with ``TOKEN_CACHE_KEY``, kept while
    they have scheduled work; only tasks (and that sign-in's own session) read it. Never a token in clear."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    account_id = models.CharField(max_length=256)
    scopes = models.JSONField(default=list)
    sealed_cache = models.TextField()
    # The session whose sign-in this is: its token cache lives here meanwhile (``accounts.kept``).
    session_key = models.CharField(max_length=40, blank=True)
    # The end of the last piece of scheduled work it serves (shown to the person).
    kept_until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __repr__(self) -> str:  # never the cache, even sealed, in a log line or a debug page
        return f"<KeptSignIn user={self.user_id} until={self.kept_until:%Y-%m-%d %H:%M}>"

    __str__ = __repr__
