"""Template filters for issue 10's partials."""

from django import template

from members.directory import Outcome

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
