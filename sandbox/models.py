"""The sandbox tenant's state: directory objects, their links, and the sign-in state.

Objects are kept in Graph's own JSON shape (``data``) so the emulation answers with what the
real service sends; the columns beside it are what queries and permission checks need fast.
Everything here persists in the app's database, so the tenant survives restarts and
``manage.py sandbox reset`` restores the seeded state.
"""

import uuid

from django.db import models


class Kind(models.TextChoices):
    USER = "user"
    GROUP = "group"
    DEVICE = "device"
    SERVICE_PRINCIPAL = "servicePrincipal"
    ORG_CONTACT = "orgContact"
    ADMINISTRATIVE_UNIT = "administrativeUnit"
    DIRECTORY_ROLE = "directoryRole"


class DirectoryObject(models.Model):
    """One object of the tenant; ``data`` holds its Graph properties other than ``id``."""

    id = models.UUIDField(primary_key=True)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    display_name = models.CharField(max_length=256, db_index=True)
    # userPrincipalName for users, else mail where there is one; lower-cased for look-ups.
    principal_name = models.CharField(max_length=256, blank=True, db_index=True)
    # The object's mail lower-cased, for look-ups by address (``mail eq`` / ``mail in``) from an index.
    mail = models.CharField(max_length=256, blank=True, db_index=True)
    data = models.JSONField(default=dict)
    # Soft delete, as Entra's "deleted items" (GRAPH.md E9: a DELETE without /$ref). Indexed: counts
    # subtract the few deleted members, found from this side.
    deleted_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.display_name}"


class Link(models.Model):
    """A membership or ownership: ``member`` is in ``container``'s ``relation`` collection.

    ``member_name`` is the member's ``display_name``, copied here (the sandbox never renames) so a
    page of a member list is read in name order straight from an index: the first page of a
    100,000-member group costs what the first page of a 100-member group does.
    """

    MEMBERS = "members"
    OWNERS = "owners"

    container = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="links")
    member = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="linked_from")
    relation = models.CharField(max_length=16, default=MEMBERS)
    member_name = models.CharField(max_length=256, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["container", "relation", "member"], name="sandbox_link_unique")
        ]
        indexes = [models.Index(fields=["member", "relation"]),
                   models.Index(fields=["container", "relation", "member_name", "member"], name="sandbox_link_in_name_order")]

    def save(self, *args, **kwargs) -> None:
        if not self.member_name and self.member_id:  # bulk creators set it themselves
            self.member_name = (DirectoryObject.objects.filter(id=self.member_id)
                                .values_list("display_name", flat=True).first() or "")
        super().save(*args, **kwargs)


class ScopedRoleMembership(models.Model):
    """A directory role held over one administrative unit (Graph's scopedRoleMembership)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    unit = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="scoped_roles")
    role = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="scoped_assignments")
    principal = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE, related_name="scoped_role_of")


class Consent(models.Model):
    """The delegated scopes a user consented to for the app; no row means all requested scopes."""

    user = models.OneToOneField(DirectoryObject, on_delete=models.CASCADE, related_name="consent")
    scopes = models.TextField(help_text="Space-separated Graph scopes granted to the app for this user.")

    def scope_set(self) -> set[str]:
        return set(self.scopes.split())


class DemoAccount(models.Model):
    """An account offered on the sandbox's sign-in page, with the situation it shows."""

    user = models.OneToOneField(DirectoryObject, on_delete=models.CASCADE, related_name="demo")
    position = models.PositiveSmallIntegerField()
    description = models.CharField(max_length=256)

    class Meta:
        ordering = ["position"]


class AuthorizationCode(models.Model):
    """A one-time code from the authorize page, redeemed at the token endpoint."""

    code = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=64)
    redirect_uri = models.TextField()
    scope = models.TextField()
    nonce = models.CharField(max_length=128, blank=True)
    code_challenge = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    used = models.BooleanField(default=False)


class RefreshToken(models.Model):
    """A refresh token (stored hashed); rotated on every use, as Entra may (sandbox.authority)."""

    token_hash = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(DirectoryObject, on_delete=models.CASCADE)
    client_id = models.CharField(max_length=64)
    scope = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)  # no longer good: redeemed (rotated), or revoked by an admin
    redeemed_at = models.DateTimeField(null=True, blank=True)  # when it was exchanged for its successor
    family = models.UUIDField(null=True, blank=True, db_index=True)  # the tokens rotated from one sign-in


class SigningKey(models.Model):
    """The tenant's RS256 key for id and access tokens (published as JWKS)."""

    kid = models.CharField(max_length=64, primary_key=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
