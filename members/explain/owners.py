"""The words of a group's owners: who may change them, why a button is disabled, what an owner change came to."""

from members.directory import Action, ContainerInfo, DirectoryItem, Outcome, MemberType
from members.explain.message import Message, Tone
from members.graph import Result
from members.permissions import OWNER_WRITE_SCOPES, MyAccess, Reason, Verdict, owner_verdict

# Graph's own text for the last owner (GRAPH.md E-catalogue has no entry; microsoftgraph/microsoft-graph-docs#12054).
LAST_OWNER_TEXT = "must have at least one owner"
OWNER_CONSENT_FIX = ("An administrator can grant consent for the app in Entra (Enterprise applications → Permissions), "
                     "or add Group.ReadWrite.All to GRAPH_SCOPES.")
PROTECTED_OWNERS = {
    Reason.SYNCED: "It is synchronised from on-premises Active Directory: Graph doesn't offer its owners (change them in AD).",
    Reason.MAIL_ENABLED_SECURITY: "It is a mail-enabled security group: Graph doesn't offer its owners (manage them in the Exchange admin center).",
    Reason.DISTRIBUTION: "It is a distribution list: Graph doesn't offer its owners (manage them in the Exchange admin center).",
}


def disabled_reason(verdict: Verdict) -> str:
    """Why the owners' buttons are disabled, in one sentence (empty when allowed)."""
    if verdict.allowed:
        return ""
    if verdict.reason in PROTECTED_OWNERS:
        return PROTECTED_OWNERS[verdict.reason]
    if verdict.reason is Reason.SCOPE_MISSING:
        also = (" (GroupMember.ReadWrite.All, which changes members, doesn't reach owners)"
                if verdict.needed_scope == OWNER_WRITE_SCOPES[0] else "")
        return (f"This app was not granted {verdict.needed_scope} for you, so it cannot change group owners{also}. "
                f"{OWNER_CONSENT_FIX}")
    if verdict.reason is Reason.ROLE_ASSIGNABLE:
        return ("It can be assigned to directory roles, so only a Privileged Role Administrator may change its owners.")
    if verdict.reason is Reason.RESTRICTED:
        return ("It is in a restricted-management administrative unit: only administrators assigned to that unit may "
                "change its owners.")
    if verdict.reason is Reason.OUTSIDE_UNITS:
        return ("Your administrator role is scoped to administrative units, and this group is in none of them: "
                f"you need the {verdict.needed_role} role, or to be one of its owners, to change its owners.")
    return f"You need the {verdict.needed_role} role, or to be one of its owners, to change the owners of this group."


def last_owner(owner_name: str, group_name: str) -> Message:
    """Refused before anything is sent: the group would be left without an owner by our hand."""
    return Message(Tone.ERROR, f"{owner_name} is the only owner of {group_name}: add another owner first.",
                   "Graph refuses to remove the last owner of a group, and a group no one owns has no one to look after it.")


def ownerless_note() -> str:
    """What the Owners section says of a group no one owns."""
    return "No one owns this group: only administrators can manage it. Add an owner who looks after it."


def revert_elsewhere() -> Message:
    return Message(Tone.INFO, "An owner change is not reverted from here.",
                   "Open the group's page: its Owners show who owns it now, with Add and Remove.")


def outcome_message(action: Action, result: Result, container: ContainerInfo | None, access: MyAccess,
                    scopes: frozenset[str], owner: DirectoryItem, group_units: frozenset[str] | None = None) -> Message:
    """The one message for one owner added or removed."""
    from members import explain  # the general words (busy, unknown, as asked), defined before this module loads

    as_owner = "as an owner"
    if result.outcome is Outcome.DONE:
        return Message(Tone.OK, f"{action.past.capitalize()} {as_owner}.", request_id=result.request_id)
    if result.outcome is Outcome.ALREADY:
        text = "Already an owner." if action is Action.ADD else "Already removed: not an owner any more."
        return Message(Tone.INFO, text, request_id=result.request_id)
    if result.outcome is Outcome.AS_ASKED:
        now = "an owner now" if action is Action.ADD else "not an owner any more"
        return Message(Tone.OK, f"{action.past.capitalize()} {as_owner}, or it was so already: Graph's answer was lost, "
                                f"and reading back shows it is {now}.", "Nothing to repeat.", result.request_id)
    error = result.error
    what = f"Couldn't {action.verb} this owner."
    if error is None or result.outcome in {Outcome.UNKNOWN, Outcome.BUSY, Outcome.PENDING} or error.status == 401:
        return explain.outcome_message(action, result, container, access, scopes, owner.type, group_units)
    if error.status == 400 and LAST_OWNER_TEXT in error.message:
        return Message(Tone.ERROR, f"{what} Graph refused: {owner.display_name} is the group's last owner.",
                       "Add another owner first.", error.request_id)
    if error.status == 403 and container is not None:
        verdict = owner_verdict(container, access, scopes, group_units, owner.type or MemberType.USER)
        if not verdict.allowed:
            return Message(Tone.ERROR, f"{what} {disabled_reason(verdict)}", _fix(verdict), error.request_id)
        return Message(Tone.ERROR, f"{what} Graph refused: your role doesn't reach this group's owners.",
                       "A Groups Administrator, or one of the group's owners, can do it.", error.request_id)
    if error.status == 404:
        return Message(Tone.ERROR, f"{what} The group or the directory object no longer exists.",
                       "Reload the page to see the current owners.", error.request_id)
    if error.status == 400 and "cannot be added to the owners" in error.message:
        return Message(Tone.ERROR, f"{what} Only users and apps (service principals) can own a group.", "", error.request_id)
    return explain.refusal(action, error, container, access, scopes, owner.type, group_units)


def _fix(verdict: Verdict) -> str:
    if verdict.reason is Reason.SCOPE_MISSING:
        return ""  # said in the reason
    if verdict.needed_role:
        return f"Ask someone who holds {verdict.needed_role}, or an owner of the group, to make the change."
    return ""
