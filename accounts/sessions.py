"""Sessions whose token state (the msal cache, the granted scopes) no request overwrites with an older copy.

Django saves a modified session whole, as the request loaded it. A request that only remembered
something (a page's memo) while another request of the session refreshed the tokens would write the
redeemed refresh token back, and the next refresh would be refused (``accounts.tokenlock``). So a
session is saved under the session's token lock, with the token state as the store holds it now —
unless this request set it itself (signing in). ``accounts.tokens`` writes a refresh's token state to
the store at once, under the same lock.
"""

import logging
from functools import cache

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware

from accounts import tokenlock
from accounts.tokens import ACCOUNT_KEY, REFRESH_WAIT, TOKEN_STATE

log = logging.getLogger("members.auth")
SAVE_WAIT = REFRESH_WAIT  # a save waits for a refresh of the same session as long as a refresh may take


class TokenStateSafeSave:
    """A mixin for any ``SessionStore``: see the module's docstring."""

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        if key in TOKEN_STATE:
            self.__dict__.setdefault("_token_state_set", set()).add(key)

    def token_state_stored(self, keys) -> None:
        """These token keys are in the store as this session has them (``accounts.tokens`` wrote them)."""
        self.__dict__.setdefault("_token_state_set", set()).difference_update(keys)

    def token_state_forgotten(self, key) -> None:
        """This request dropped a token key itself: its save removes it from the store too."""
        self.__dict__.setdefault("_token_state_set", set()).add(key)

    def save(self, must_create=False):
        if must_create or not self.session_key or ACCOUNT_KEY not in self._session:
            return super().save(must_create)
        try:
            with tokenlock.held(self.session_key, wait=SAVE_WAIT):
                return self._save_with_their_token_state(must_create)
        except tokenlock.Busy:
            # A refresh held the lock the whole wait: still save (a lost save is a lost page memo),
            # with the token state as the store holds it now; never a 500 for it.
            log.warning("a session save waited %s s for a token refresh of the same session", SAVE_WAIT)
            return self._save_with_their_token_state(must_create)

    def _save_with_their_token_state(self, must_create):
        theirs = [key for key in TOKEN_STATE if key not in self.__dict__.get("_token_state_set", set())]
        if theirs:
            stored = type(self)(session_key=self.session_key)
            data = stored.load()
            if stored.session_key:  # still there (not signed out meanwhile)
                for key in theirs:
                    if key in data:
                        self._session[key] = data[key]
                    else:  # gone from the store (the cache moved to a kept sign-in, or back)
                        self._session.pop(key, None)
        return super().save(must_create)


@cache
def token_state_safe(store: type) -> type:
    return type(store.__name__, (TokenStateSafeSave, store), {"__module__": store.__module__})


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, with ``SESSION_ENGINE``'s store made token-state-safe."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.SessionStore = token_state_safe(self.SessionStore)
