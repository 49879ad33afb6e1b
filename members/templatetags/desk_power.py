"""Template tags and filters of the member pages and the helpdesk tools (paste, undo, journal, people, export)."""

from datetime import timedelta
from functools import lru_cache

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from members import explain, expiry
from members.directory import PICKED_TYPES, InvalidId, Outcome, object_id
from members.permissions import accepted_member_types

register = template.Library()


@register.filter
def when(moment) -> str:
    """A moment as every page says one ("2026-12-03 07:54 CET", the reader's time), in a <time> that
    gives it to machines in full."""
    if not moment:
        return ""
    return format_html('<time datetime="{}">{}</time>', explain.machine_time(moment), explain.said_time(moment))


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


# --- the member table's rows, cheaply ------------------------------------------------------------
# A table of 50 rows reversed three URLs a row through the resolver and included the type badge's
# template a row: a third of the page's own time. The URL's shape is reversed once per route (and
# per literal argument, such as the kind), then each row's id, checked as the route's converter
# checks it, goes in its hole; each type's badge is rendered once.

_SHAPES: dict[tuple, str] = {}
_GUID_HOLE = "ffffffff-ffff-4fff-bfff-{:012x}"
_INT_HOLE = 987_654_321_000


@register.simple_tag
def url_for(name: str, *args) -> str:
    """``{% url name args %}`` for routes taking kinds, object ids and entry numbers."""
    key, shape_args, holes = [get_script_prefix(), name], [], []
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool):
            hole, value = str(_INT_HOLE + len(holes)), str(arg)
            shape_args.append(int(hole))
        else:
            try:
                value = object_id(str(arg).lower())
            except InvalidId:
                shape_args.append(arg)  # a kind, say: part of the shape, checked by reverse()
                key.append(str(arg))
                continue
            hole = _GUID_HOLE.format(len(holes))
            shape_args.append(hole)
        key.append(type(shape_args[-1]))
        holes.append((hole, value))
    key = tuple(key)
    if (shape := _SHAPES.get(key)) is None:
        shape = _SHAPES[key] = reverse(name, args=shape_args)
    for hole, value in holes:
        shape = shape.replace(hole, value, 1)
    return shape


@register.filter
def type_badge(member_type: str) -> str:
    """The type's icon and word (members/_type.html), rendered once per type."""
    return _badge(str(member_type)) if not settings.DEBUG else _render_badge(str(member_type))


def _render_badge(member_type: str) -> str:
    return mark_safe(get_template("members/_type.html").render({"type": member_type}))


_badge = lru_cache(maxsize=32)(_render_badge)


@register.simple_tag
def end_presets() -> dict[str, str]:
    """The ends an add may carry (``EndForm``), by value, as the select offers them."""
    from members.forms import END_PRESETS

    return END_PRESETS


@register.filter
def until_line(moment) -> str:
    """"until 2026-12-05 17:00 CET (in 2 days)" (or "was due ..."): a membership's end, in the reader's zone."""
    return explain.expiry.until_line(moment) if moment else ""


@register.simple_tag(takes_context=True)
def end_of(context, member_id: str) -> object:
    """The open end of this member's membership among the page's ``ends`` (``expiry.ends_of``), if any
    (a row drawn where no end was read has none to show)."""
    ends = context.get("ends")
    return ends.get(member_id) if ends else None


@register.simple_tag
def end_bounds() -> dict[str, str]:
    """The earliest and latest end a date picker offers (``min``/``max`` of a datetime-local input):
    from the next minute to ``EXPIRY_MAX_DAYS`` ahead, in the reader's zone (as the server reads it back)."""
    now = timezone.now()
    shape = "%Y-%m-%dT%H:%M"
    return {"min": timezone.localtime(now + timedelta(minutes=1)).strftime(shape),
            "max": timezone.localtime(now + timedelta(days=settings.EXPIRY_MAX_DAYS)).strftime(shape)}


@register.filter
def polls(end) -> bool:
    """Whether a row asks, every 15 s, whether this end was removed (``members.expiry.polls``)."""
    return bool(end) and expiry.polls(end)


@register.filter
def unix_seconds(moment) -> str:
    return f"{moment.timestamp():.0f}" if moment else ""


@register.filter
def entry_until(moment) -> str:
    """A journaled add's end: "until <time>" (the reader's zone, in a <time>)."""
    return format_html("{} {}", explain.expiry.granted_until_word(), when(moment)) if moment else ""


@register.simple_tag
def expired_tag() -> str:
    return explain.expiry.expired_tag()
