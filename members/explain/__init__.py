"""Every word the user reads about a refused or failed change: what failed, why, what would fix it.

Views pass the Graph outcome and what the app knows (the container, the user's roles, the
granted scopes); this module decides the wording. Nothing else writes error text.
"""

from datetime import UTC

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import truncatechars
from django.utils.text import get_text_list

from members.directory import Action, Container, ContainerInfo, Kind, Outcome, Trait
from members.graph import GraphError, Result
from members.permissions import (
    HIDDEN_MEMBERSHIP_ROLE_NAMES,
    HIDDEN_SCOPE,
    MEMBER_TYPE_NAMES,
    WRITE_SCOPES,
    MyAccess,
    Verdict,
    change_verdict,
    member_type_scope_missing,
    hidden_members_missing,
    Reason,
    protected_reason,
)
from members.explain.message import NAMES_SHOWN, Message, Tone
from members.explain.when import file_stamp, file_time, machine_time, said_time  # noqa: F401 (read as explain.<name>)


PROTECTED = {
    Reason.DYNAMIC: ("Its members are set by a membership rule.",
                "Change the rule (or the member's attributes) in the Entra admin center instead."),
    Reason.SYNCED: ("It is synchronised from on-premises Active Directory.",
               "Change its members in on-premises AD; the change reaches Entra at the next sync."),
    Reason.MAIL_ENABLED_SECURITY: ("It is a mail-enabled security group, which Graph cannot change: "
                                  "its members are managed in the Exchange admin center.",
                              "Change its members there (Recipients → Groups), or ask an Exchange administrator."),
    Reason.DISTRIBUTION: ("It is a distribution list, which Graph cannot change: its members are managed "
                         "in the Exchange admin center.",
                     "Change its members there (Recipients → Groups), or ask an Exchange administrator."),
    Reason.ROLE_ASSIGNABLE: ("It can be assigned to directory roles, so only a Privileged Role Administrator may change it.",
                        "Ask a Privileged Role Administrator."),
    Reason.RESTRICTED: ("It is in a restricted-management administrative unit: only administrators assigned to that unit may change its members.",
                   "Ask an administrator who holds a Groups Administrator role scoped to that unit."),
}


def disabled_reason(verdict: Verdict, kind: Kind, role_verdict: Verdict | None = None) -> str:
    """Why a button is shown disabled, in one sentence (empty when allowed).

    ``role_verdict``: the verdict on the user's roles alone (as if every scope were granted), so a
    missing consent does not hide a missing role.
    """
    if verdict.allowed:
        return ""
    if verdict.reason in PROTECTED:
        return PROTECTED[verdict.reason][0]
    if verdict.reason is Reason.SCOPE_MISSING:
        return (f"This app was not granted {verdict.needed_scope} for you, so it cannot change {kind.label} members."
                f"{_also_role(role_verdict, kind)} {CONSENT_FIX}")
    if verdict.reason is Reason.OUTSIDE_UNITS:
        return f"{OUTSIDE_UNITS} {OUTSIDE_UNITS_FIX}"
    return f"You need the {verdict.needed_role} role to change the members of this {kind.label}."


def judged(container: ContainerInfo, access: MyAccess, scopes: frozenset[str],
           group_units: frozenset[str] | None) -> tuple[Verdict, Verdict | None]:
    """The verdict on changing ``container``, and (when refused) the one the user's roles alone would get:
    judged once for all the rows of a change."""
    verdict = change_verdict(container, access, scopes, group_units)
    return verdict, None if verdict.allowed else change_verdict(container, access, frozenset(), group_units)


def refusal(action: Action, error: GraphError, container: ContainerInfo | None, access: MyAccess,
            scopes: frozenset[str], member_type: str = "", group_units: frozenset[str] | None = None, *,
            verdicts: tuple[Verdict, Verdict | None] | None = None) -> Message:
    """Words for a refused change (403/400), naming the most likely reason the app can see
    (``verdicts``: ``judged``'s answer, when the caller has it already)."""
    kind = container.kind if container else Kind.GROUPS
    what = f"Couldn't {action.verb} this member."
    if error.status == 401:
        return signed_out(error, what)
    if error.status == 403 and (needed := member_type_scope_missing(action, kind, member_type, scopes)):
        return Message(Tone.ERROR, f"{what} Adding {MEMBER_TYPE_NAMES[member_type]} to a group also needs the {needed} permission, "
                                "which this app was not granted.",
                       "Add it in the Entra admin center, or ask an administrator who can.", error.request_id)
    if error.status == 400 and "mail-enabled" in error.message:
        # One text for both (GRAPH.md E4): the container's own flags say which it is.
        which = Reason.DISTRIBUTION if container is not None and Trait.DISTRIBUTION in container.traits else Reason.MAIL_ENABLED_SECURITY
        return Message(Tone.ERROR, f"{what} {PROTECTED[which][0]}", PROTECTED[which][1], error.request_id)
    if error.status == 400 and "on-premises" in error.message:
        return Message(Tone.ERROR, f"{what} {PROTECTED[Reason.SYNCED][0]}", PROTECTED[Reason.SYNCED][1], error.request_id)
    if error.status == 403 and container is not None:
        verdict, role_verdict = verdicts or judged(container, access, scopes, group_units)
        if not verdict.allowed:
            return _refusal_for_verdict(what, verdict, kind, error.request_id, role_verdict)
        if kind is Kind.GROUPS and Trait.ROLE_ASSIGNABLE not in container.traits and not protected_reason(container):
            return Message(Tone.ERROR, f"{what} Graph refused: your role doesn't reach this group.",
                           "A Groups Administrator for the tenant, one scoped to a unit containing this group, or one of the group's owners can do it.",
                           error.request_id)
        return Message(Tone.ERROR, f"{what} Graph refused: you lack the permission it needs.",
                       "Ask an administrator with a sufficient role.", error.request_id)
    if error.status == 403:
        return Message(Tone.ERROR, f"{what} Graph refused: you lack the permission it needs.", "", error.request_id)
    if error.status == 404:
        return Message(Tone.ERROR, f"{what} The {kind.label} or the member no longer exists.",
                       "Reload the page to see the current members.", error.request_id)
    if error.status == 400 and "object identifier" in error.message:
        return Message(Tone.ERROR, f"{what} Graph did not recognise the id.", "", error.request_id)
    if error.status == 400 and ("not supported" in error.message.lower() or "cannot" in error.message.lower()):
        return Message(Tone.ERROR, f"{what} This kind of object can't be a member of this {kind.label}.",
                       "", error.request_id)
    return Message(Tone.ERROR, f"{what} Graph answered: {error.message or error.code}", "", error.request_id)


CONSENT_FIX = "An administrator can grant consent for the app in Entra (Enterprise applications → Permissions)."
OUTSIDE_UNITS = ("Your administrator role is scoped to administrative units, and this group is in none of them.")
OUTSIDE_UNITS_FIX = "A Groups Administrator for the whole tenant, or one of the group's owners, can do it."


def _also_role(role_verdict: Verdict | None, kind: Kind) -> str:
    """" And you also lack the role": a consent alone would not be enough."""
    if role_verdict is None or role_verdict.allowed or not role_verdict.needed_role:
        return ""
    return (f" You also don't have the {role_verdict.needed_role} role, which changing the members of "
            f"this {kind.label} needs.")


def _refusal_for_verdict(what: str, verdict: Verdict, kind: Kind, request_id: str,
                         role_verdict: Verdict | None = None) -> Message:
    if verdict.reason in PROTECTED:
        reason, fix = PROTECTED[verdict.reason]
        return Message(Tone.ERROR, f"{what} {reason}", fix, request_id)
    if verdict.reason is Reason.SCOPE_MISSING:
        return Message(Tone.ERROR, f"{what} This app was not granted the {verdict.needed_scope} permission when you signed in."
                                f"{_also_role(role_verdict, kind)}",
                       CONSENT_FIX, request_id)
    if verdict.reason is Reason.OUTSIDE_UNITS:
        return Message(Tone.ERROR, f"{what} {OUTSIDE_UNITS}", OUTSIDE_UNITS_FIX, request_id)
    return Message(Tone.ERROR, f"{what} You don't have the {verdict.needed_role} role, which Graph requires for this.",
                   f"Ask someone who holds {verdict.needed_role} to make the change, or to assign you the role.",
                   request_id)


def remove_question(who: str, kind: Kind | None, container: ContainerInfo | None, strong: bool) -> str:
    """What the browser asks before a removal; a role, or a role-assignable group, says it takes privileges."""
    name = getattr(container, "display_name", "")
    if strong and kind is not None:
        return f"Remove {who} from the {Kind(kind).label} {name}? This takes away privileges at once."
    return f"Remove {who} from {name}?"


def no_way_back(kind: Kind, scopes: frozenset[str]) -> dict[str, str]:
    """The member types whose add-back here this app expects Graph to refuse, with why: removing one
    of them can't be undone here. The words follow "You won't be able to add it back here: "."""
    reasons = {}
    for member_type, name in MEMBER_TYPE_NAMES.items():
        if needed := member_type_scope_missing(Action.ADD, kind, member_type, scopes):
            reasons[member_type] = (f"adding {name} to a {kind.label} also needs the {needed} permission, "
                                    "which this app was not granted")
    return reasons


def busy(action: Action, error: GraphError, what: str = "this member") -> Message:
    """Graph was throttled, unavailable or silent: nothing done (that we know of), and when to retry."""
    wait = f"in {int(error.retry_after + 0.999)} s" if error.retry_after else "in a moment"
    if error.status == 0:
        nothing = "" if action is Action.LOAD else "Nothing was changed that we know of. "
        return Message(Tone.ERROR, f"Couldn't {action.verb} {what}: Graph did not answer.",
                       f"{nothing}Try again {wait}.", error.request_id or error.client_request_id)
    if action is Action.LOAD:
        return Message(Tone.ERROR, f"Couldn't load {what}: Graph is busy.", f"Try again {wait}.", error.request_id)
    return Message(Tone.ERROR, f"Graph is busy: not {action.past} yet.", f"Try again {wait}.", error.request_id)


def outcome_message(action: Action, result: Result, container: ContainerInfo | None, access: MyAccess,
                    scopes: frozenset[str], member_type: str = "", group_units: frozenset[str] | None = None, *,
                    verdicts: tuple[Verdict, Verdict | None] | None = None) -> Message:
    """The one message for one add/remove result."""
    if result.outcome is Outcome.DONE:
        return Message(Tone.OK, f"{action.past.capitalize()}.", request_id=result.request_id)
    if result.outcome is Outcome.ALREADY:
        text = "Already a member." if action is Action.ADD else "Already removed: not a member any more."
        return Message(Tone.INFO, text, request_id=result.request_id)
    if result.outcome is Outcome.AS_ASKED:
        return as_asked(action, result.request_id)
    if result.outcome is Outcome.PENDING:
        return Message(Tone.INFO, "Sent: Graph's answer is not recorded yet.",
                       "Reload in a moment to see the outcome.", result.request_id)
    assert result.error is not None
    if result.outcome is Outcome.UNKNOWN:
        return Message(Tone.ERROR, f"Graph did not answer, so we can't tell whether this member was {action.past}.",
                       "Reload the page to see the members as they are now, before trying again.",
                       result.error.request_id or result.error.client_request_id)
    if result.outcome is Outcome.BUSY:
        return busy(action, result.error)
    return refusal(action, result.error, container, access, scopes, member_type, group_units, verdicts=verdicts)


def as_asked(action: Action, request_id: str = "") -> Message:
    """Graph's answer was lost; reading back shows the membership as asked."""
    now = "a member now" if action is Action.ADD else "not a member any more"
    return Message(Tone.OK, f"{action.past.capitalize()}, or it was so already: Graph's answer was lost, and reading back "
                         f"shows it is {now}.", "Nothing to repeat.", request_id)


def missing(action: Action, kind: Kind, container_gone: bool, request_id: str = "") -> Message:
    """Graph answered 404 and a read told what is missing: the container, or the member object."""
    if container_gone:
        return Message(Tone.ERROR, f"Couldn't {action.verb} this member: the {kind.label} doesn't exist any more.",
                       f"Nothing was changed. Go back to the list of {kind.plural_label.lower()}.", request_id)
    if action is Action.REMOVE:
        return Message(Tone.INFO, "Already removed: this object no longer exists in the directory.", "", request_id)
    return Message(Tone.ERROR, "Couldn't add this member: it no longer exists in the directory.",
                   "Nothing was changed. Search for the member again.", request_id)


def not_sent() -> Message:
    # The journal shows this beside its outcome ("Not sent: not signed in"): the cause, not the label again.
    # Expired or signed out in another tab: the app can't tell them apart when the click arrives.
    return Message(Tone.ERROR, "Nothing was sent to Graph: the sign-in had ended (it expired, or you signed out).",
                   "Sign in again and repeat the change.")


def not_made_signed_out(what: str) -> str:
    """A change asked for while not signed in that the journal cannot name by its members."""
    return (f"Not done: {what}, asked for while you were not signed in (you had signed out, or the sign-in had "
            "expired). Nothing was sent to Graph; do it again now.")


def stale_page_not_sent() -> str:
    """A click from a page of an earlier sign-in (its CSRF token is no longer this session's)."""
    return ("Your last click was not sent: that page was from an earlier sign-in, so nothing was changed. "
            "This is the page as it is now; do it again if you still want it.")


def not_sent_change(action: Action, names: list[str], container_name: str) -> Message:
    """A change the journal holds as not sent (the sign-in had ended), named on the page the user
    signed back in to, next to a button that makes it now."""
    where = "from" if action is Action.REMOVE else "to"
    return Message(Tone.ERROR, f"Not made: {action.verb} {_name_list(names)} {where} {container_name}.",
                   "Your sign-in had ended when you asked (it expired, or you signed out), so nothing was sent to Graph.")


def _name_list(names: list[str], shown: int = NAMES_SHOWN) -> str:
    """"A", "A and B", "A, B and C", "A, B, C and 4 others"."""
    if len(names) <= shown + 1:
        return get_text_list(names, "and")
    return get_text_list([*names[:shown], f"{len(names) - shown:,} others"], "and")


def settled_later(action: Action, done: bool, is_member: bool) -> Message:
    """A journal entry left pending (the server stopped before Graph's answer was recorded),
    settled by reading the membership back."""
    state = "is a member" if is_member else "is not a member"
    if done:
        return Message(Tone.OK, f"Interrupted before Graph's answer was recorded; read back later: it {state}, "
                             f"as asked ({action.past} by this attempt, or so already).")
    return Message(Tone.ERROR, f"Interrupted before Graph's answer was recorded; read back later: it {state}, "
                            f"so it was not {action.past}.", "Repeat the change if it is still wanted.")


def superseded(action: Action, later) -> Message:
    """An open journal entry overtaken by a later attempt on the same membership before it was settled."""
    # Kept in the journal and read later, by anyone, anywhere: said in UTC, not in the zone of whoever's visit settled it.
    when = said_time(later.created_at, UTC)
    return Message(Tone.ERROR, f"Interrupted before Graph's answer was recorded, and a later change of this membership "
                            f"(entry {later.pk}, {when}) came before it could be read back: it can't be told whether this "
                            f"attempt {action.past} the member.", "Look at the later entry for how the membership stands.")


def signed_out(error: GraphError, what: str) -> Message:
    """Graph no longer accepts the session's token (revoked, or the account was disabled)."""
    return Message(Tone.ERROR, f"{what} Graph no longer accepts your sign-in.",
                   "Sign out and sign in again, then try once more.", error.request_id)


def load_failed(error: GraphError, what: str) -> Message:
    """A page or list that could not be read."""
    if error.status == 401:
        return signed_out(error, f"Couldn't load {what}.")
    if error.is_permission_denied:
        return Message(Tone.ERROR, f"You can't see {what}: Graph refused to list it.",
                       "Hidden-membership units show their members only to their own members and to admins with Member.Read.Hidden.",
                       error.request_id)
    if error.is_busy:
        return busy(Action.LOAD, error, what)
    if error.is_not_found:
        return Message(Tone.ERROR, f"{what.capitalize()} doesn't exist (any more).", "", error.request_id)
    return Message(Tone.ERROR, f"Couldn't load {what}: {error.message or error.code}", "", error.request_id)


def container_load_failed(error: GraphError, container: Container) -> Message:
    """A container page that could not be read; a role by template that Graph doesn't find is one
    that was never activated in this tenant (activated roles are the only ones listed)."""
    if container.by_template and error.is_not_found:
        return Message(Tone.INFO, "This directory role is not activated in this tenant, so it has no members.",
                       "A role is activated the first time someone is assigned to it in the Entra admin center "
                       "(Roles & admins). The activated roles are in the list of directory roles.", error.request_id)
    return load_failed(error, f"this {container.kind.label}")


QUERY_ECHO = 60  # characters of a search echoed back in a sentence (the box shows all of it)


def count_line(shown: int, total: int | None, noun: str, nouns: str, query: str = "", *, say_all: bool = True) -> str:
    """How many a list shows, said one way everywhere ("Showing 50 of 5,000 members"); '' when none.

    ``total`` is None when Graph did not count; ``query`` a search the list answers; ``say_all``
    False leaves "all of them" unsaid (a member table, whose page states the count and keeps it fresh).
    """
    def counted(n: int) -> str:
        return f"{intcomma(n)} {noun if n == 1 else nouns}"

    if not shown:
        return ""
    echo = f"“{truncatechars(query, QUERY_ECHO)}”" if query else ""
    if total is None or total < shown:
        return f"Showing {counted(shown)}" + (f" matching {echo}" if query else "")
    if shown < total:
        return f"Showing {intcomma(shown)} of {counted(total)}" + (f" matching {echo}" if query else "")
    if query:
        return f"{counted(total)} {'matches' if total == 1 else 'match'} {echo}"
    if not say_all:
        return ""
    return f"Showing all {counted(total)}" if total > 1 else f"Showing {counted(total)}"


def list_nouns(kind: Kind, group_kind: Trait | None = None) -> tuple[str, str]:
    """What a list's rows are called, one and many: "group", or "security group" when narrowed."""
    if group_kind is None:
        return kind.label, kind.plural_label.lower()
    label = group_kind.label_for(Kind.GROUPS)
    noun = label[0].lower() + label[1:] if not label.startswith("Microsoft") else label
    noun = noun if noun.endswith("list") else f"{noun} group"
    return noun, f"{noun}s"


def standing(access: MyAccess, scopes: frozenset[str]) -> Message | None:
    """On the home page, for someone who can look but not change: why, and what would change it."""
    if scopes and not any(scope in scopes for options in WRITE_SCOPES.values() for scope in options):
        return Message(Tone.INFO, "You can look, but not change: this app was granted only read permissions for you, "
                               "so every add and remove is refused.", CONSENT_FIX)
    if access.known and not access.roles and not access.scoped and access.owned_groups == frozenset():
        return Message(Tone.INFO, "You can look, but not change: you hold no administrator role and own no group, "
                               "so Graph refuses every add and remove.",
                       "Ask an administrator for the role your work needs (Groups Administrator for group members), "
                       "or to make you an owner of the groups you look after.")
    return None


def bad_journal_filter(problems: str) -> Message:
    """/activity/ with a filter that can't be read (a date that is no date, say)."""
    return Message(Tone.ERROR, f"These filters can't be read: {problems}", "Correct them, or show all activity.")


def bad_container_filter() -> Message:
    """/activity/?container=... with something that is not an object id."""
    return Message(Tone.ERROR, "That is not a container's object id, so there is no activity to show for it.",
                   "Open the container's page and follow “All changes to this …” from there, or show all activity.")

def journal_hidden() -> str:
    """Why the journal doesn't name the member of an entry."""
    return "The member is hidden: Graph doesn't show you the members of this unit (its membership is hidden)."


def hidden_members(error: GraphError, access: MyAccess, scopes: frozenset[str]) -> Message:
    """Why a hidden-membership unit's member list is not shown (Graph answered 403)."""
    roles = ", ".join(HIDDEN_MEMBERSHIP_ROLE_NAMES[:-1]) + " or " + HIDDEN_MEMBERSHIP_ROLE_NAMES[-1]
    text = (f"The members of this unit are hidden: Entra lists them only to the unit's own members and to holders "
            f"of the {roles} role, and only through an app granted {HIDDEN_SCOPE}.")
    missing = hidden_members_missing(access, scopes)
    if missing == "scope":
        fix = f"This app was not granted {HIDDEN_SCOPE} for you. {CONSENT_FIX}"
    elif missing == "role":
        fix = "You are not a member of this unit and hold none of those roles."
    else:
        fix = ""
    return Message(Tone.ERROR, text, fix, error.request_id)


def person_missing() -> Message:
    return Message(Tone.ERROR, "No directory object has this id (any more).", "It may have been deleted: search for it again.")


def export_incomplete(error: GraphError, rows: int) -> Message:
    """Why an export Graph stopped answering part way gives no file at all."""
    wait = f"in {int(error.retry_after + 0.999)} s" if error.retry_after else "in a moment"
    return Message(Tone.ERROR, f"No file: Graph stopped answering after {rows:,} members, before the last one "
                   f"({error.status or 'no answer'} {error.code}). A shorter list could be taken for the whole one.",
                   f"Export again {wait}.", error.request_id or error.client_request_id)


def nested_member() -> str:
    """Why a nested member has no Remove here."""
    return "A member through a nested group: remove it from that group, or remove that group from this one."


# The words of the helpdesk tools, read as explain.<name> like the rest.
from members.explain.paste import (  # noqa: E402
    PASTE_STATUS_LABELS, TYPE_NAMES, member_type_needs_scope, member_type_refused, paste_already,
    paste_ambiguous, paste_entries_from_lines, paste_expired, paste_invalid, paste_itself, paste_not_allowed, paste_not_found,
    paste_nothing, paste_nul,
    paste_repeated, paste_run_summary, paste_too_long, paste_too_many, paste_unchecked, paste_will_change,
)
from members.explain.undo import (  # noqa: E402
    revert_already, revert_changed_since, revert_in_progress, revert_moved_on, revert_nothing,
    revert_unreadable, reverted,
)
from members.explain import expiry  # noqa: E402,F401 (read as explain.expiry)
from members.explain.journal import change_summary, revert_all_narrowed, revert_all_outcome, undid  # noqa: E402
from members.explain import owners  # noqa: E402,F401 (read as explain.owners)
