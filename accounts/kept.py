"""A person's sign-in kept for work done later on their behalf (DESIGN.md, "Work that happens later").

A task that removes an expired membership acts with the delegated rights of the person who granted
it, so their sign-in must outlive their request. A refresh token is good once, and presenting one
already redeemed revokes its whole chain (``sandbox.authority``, RFC 9700 §4.14.2): one sign-in's
chain can have one keeper only. So when a person first schedules work, their session's token cache
*moves* into a ``KeptSignIn`` row and the session points at it (``KEPT_KEY``); that session's requests
and the tasks then refresh the one chain, under one lock per person. When their work is done, or they
revoke it, the cache moves back into that session if it is still live; on sign-out the row is deleted.

The row is sealed with ``TOKEN_CACHE_KEY`` like the session's cache, is never logged, and is read only here.
"""

import logging
from datetime import datetime

from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts import tokenlock, tokencrypt
from accounts.models import KeptSignIn
from accounts.tokens import (ACCOUNT_KEY, CACHE_KEY, KEPT_KEY, MSAL_MIN_LEFT, REFRESH_WAIT, REUSE_MIN_LEFT, SCOPES_KEY,
                             ReauthenticationRequired, SignInNotKept, _cached_token, _forget, _reload_token_state,
                             _stored, _write_token_state, redeem, unseal_cache)
from django.conf import settings

log = logging.getLogger("members.auth")


def _lock_name(user_pk) -> str:
    return f"kept-sign-in:{user_pk}"


def kept_until(user) -> datetime | None:
    """Until when this person's sign-in is kept for their scheduled work (None: it is not)."""
    return KeptSignIn.objects.filter(user=user).values_list("kept_until", flat=True).first()


@sensitive_variables()
def keep(session: SessionBase, user, until: datetime) -> bool:
    """Keep this session's sign-in for work due by ``until`` (or extend the one kept); whether one is kept.

    False when there is nothing to keep (the session has no token cache): the work then waits, visibly,
    for someone who can do it when it is due.
    """
    if KeptSignIn.objects.filter(user=user).exists():
        KeptSignIn.objects.filter(user=user, kept_until__lt=until).update(kept_until=until)
        return True
    key = session.session_key
    if not key or not session.get(ACCOUNT_KEY):
        return False
    with tokenlock.held(key, wait=REFRESH_WAIT):
        _reload_token_state(session)  # the cache as the store holds it now (another request may have refreshed)
        if session.get(KEPT_KEY):
            return KeptSignIn.objects.filter(user=user).exists()
        sealed = session.get(CACHE_KEY)
        if not sealed:
            return False
        try:
            with transaction.atomic():
                KeptSignIn.objects.create(user=user, account_id=session[ACCOUNT_KEY], scopes=session.get(SCOPES_KEY, []),
                                          sealed_cache=sealed, session_key=key, kept_until=until)
        except IntegrityError:  # another session of theirs kept its sign-in meanwhile: that one serves
            KeptSignIn.objects.filter(user=user, kept_until__lt=until).update(kept_until=until)
            return True
        _forget(session, CACHE_KEY)
        session[KEPT_KEY] = user.pk
        _write_token_state(session)
    log.info("a sign-in is kept for scheduled work")
    return True


@sensitive_variables()
def token(user_pk) -> str:
    """An access token from the person's kept sign-in, refreshed when needed; ``SignInNotKept`` when none is
    kept, ``ReauthenticationRequired`` when it no longer gives one (revoked, expired, consent withdrawn)."""
    row = KeptSignIn.objects.filter(user_id=user_pk).first()
    if row is None:
        raise SignInNotKept("no sign-in is kept")
    scopes = sorted(row.scopes) or settings.GRAPH_SCOPES
    cache = unseal_cache(row.sealed_cache)
    if found := _cached_token(cache, row.account_id, scopes, MSAL_MIN_LEFT):
        return found
    try:
        with tokenlock.held(_lock_name(user_pk), wait=REFRESH_WAIT):
            fresh = KeptSignIn.objects.filter(pk=row.pk).first()
            if fresh is None:
                raise SignInNotKept("the kept sign-in was let go")
            if fresh.sealed_cache != row.sealed_cache:  # refreshed by another holder while this one waited
                cache = unseal_cache(fresh.sealed_cache)
                if found := _cached_token(cache, row.account_id, scopes, REUSE_MIN_LEFT):
                    return found
            try:
                found, granted = redeem(cache, row.account_id, scopes)
            finally:
                if cache.has_state_changed:
                    KeptSignIn.objects.filter(pk=row.pk).update(sealed_cache=tokencrypt.seal(cache.serialize()),
                                                                updated_at=timezone.now())
            if granted is not None and granted != row.scopes:
                KeptSignIn.objects.filter(pk=row.pk).update(scopes=granted)
            return found
    except tokenlock.Busy:
        raise ReauthenticationRequired("another refresh of the kept sign-in is still running") from None


def scopes(user) -> frozenset[str]:
    """The Graph scopes the kept sign-in was granted (for explaining a refusal)."""
    return frozenset(KeptSignIn.objects.filter(user=user).values_list("scopes", flat=True).first() or [])


@sensitive_variables()
def release(user) -> bool:
    """Let the kept sign-in go (its work is done, or the person revoked it): its cache moves back into its
    session when that is still live, so the person stays signed in. Whether one was kept."""
    with tokenlock.held(_lock_name(user.pk), wait=REFRESH_WAIT):
        row = KeptSignIn.objects.filter(user=user).first()
        if row is None:
            return False
        if row.session_key:
            _move_back(row)
        row.delete()
    log.info("a kept sign-in was let go")
    return True


@sensitive_variables()
def _move_back(row: KeptSignIn) -> None:
    from importlib import import_module

    from accounts.sessions import token_state_safe

    engine = import_module(settings.SESSION_ENGINE)
    store = token_state_safe(engine.SessionStore)(session_key=row.session_key)
    with tokenlock.held(row.session_key, wait=REFRESH_WAIT):
        data = _stored(store)
        if data is None or data.get(KEPT_KEY) != row.user_id:
            return  # signed out, or another sign-in since: nothing to move back into
        store._session_cache = data
        store[CACHE_KEY] = row.sealed_cache
        store[SCOPES_KEY] = row.scopes
        _forget(store, KEPT_KEY)
        store.save()


def forget(user) -> None:
    """Delete the kept sign-in, without moving it back (signing out ends it everywhere)."""
    KeptSignIn.objects.filter(user=user).delete()


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        forget(user)
