"""Template tags and filters of the member pages and the helpdesk tools (paste, undo, journal, people, export)."""

from django import template

from members import explain
from members.directory import PICKED_TYPES, Outcome
from members.permissions import accepted_member_types

register = template.Library()


@register.filter
def done_entries(rows_or_ids) -> list[int]:
    """The journal entries of the changes made: of ``changes.Row``s those done, or a list of entry ids as is."""
    ids = []
    for item in rows_or_ids or []:
        if isinstance(item, int):
            ids.append(item)
        elif item.result.outcome is Outcome.DONE:
            ids.append(item.entry.pk)
    return ids


TYPE_CHOICES = tuple((t.value, t.plural_label) for t in PICKED_TYPES)


@register.filter
def member_type_choices(container) -> list[tuple[str, str]]:
    """The member types a container can hold, for the member list's type filter."""
    if container is None or not hasattr(container, "kind"):
        return list(TYPE_CHOICES)
    accepted = accepted_member_types(container)
    return [(value, label) for value, label in TYPE_CHOICES if value in accepted]


@register.filter
def has_person_page(member_type: str) -> bool:
    """Users, groups and devices have a page of their memberships; apps and contacts don't."""
    return member_type in PICKED_TYPES


@register.simple_tag(takes_context=True)
def remove_question(context, who: str) -> str:
    """The question a removal from this page's container asks (``who``: a name, "{count} members", …)."""
    return explain.remove_question(who, context.get("kind"), context.get("container"), bool(context.get("strong_confirm")))
