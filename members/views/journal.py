"""The journal page (``/activity/``) and its CSV (``/activity/?format=csv``): thin views over ``members.journal``.

Both take the same filters; a person reads their own entries, auditors (a Django group named by
``JOURNAL_AUDITORS_GROUP``) and staff read all; an entry's member stays hidden where the viewer may
not list the unit's members. The CSV streams from the database (``StreamingHttpResponse``).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from members import changes, csvstream, explain, journal
from members.directory import Kind
from members.forms import JournalFilter
from members.models import AuditEntry, reads_everything
from members.views.common import graph_for
from accounts.tokens import ReauthenticationRequired

@require_GET
def activity(request: HttpRequest) -> HttpResponse:
    """The journal, newest first, filtered; the viewer's own open entries are settled first (a few per visit)."""
    _settle_my_open_entries(request)
    form = JournalFilter(request.GET)
    if not form.is_valid():
        message = (explain.bad_container_filter() if "container" in form.errors
                   else explain.bad_journal_filter(" ".join(error for errors in form.errors.values() for error in errors)))
        return render(request, "members/activity.html", {"bad_container": message}, status=400)
    everything = reads_everything(request.user)
    entries = form.apply(AuditEntry.objects.visible_to(request.user), request.user)
    if form.cleaned_data["member"]:
        entries = _without_hidden_members(request, entries)
    if request.GET.get("format") == "csv":
        return _csv(request, entries)
    # One change's entries (its row's "all N members" link) or one entry are listed one by one.
    grouped = not (form.cleaned_data["change"] or form.cleaned_data["entry"])
    page = journal.page_of(entries, before=request.GET.get("before"), after=request.GET.get("after"), grouped=grouped)
    shown = journal.redact(lambda: graph_for(request), request.session, page.entries)
    container = form.cleaned_data["container"]
    return render(request, "members/activity.html", {
        "page": page, "changes": page.changes, "entries": shown, "on_page": {entry.pk for entry in shown},
        "form": form, "everything": everything,
        "container": container, "named": shown[0] if container and shown else None,
        "hidden_reason": explain.journal_hidden(), "filtered": any(form.cleaned_data.values()),
        # Filters that keep only some entries of a change: its row's Revert all would do more than it shows.
        "narrowed": explain.revert_all_narrowed() if form.cleaned_data["member"] or form.cleaned_data["outcome"] else ""})


def _without_hidden_members(request: HttpRequest, entries):
    """Filtered by member, the entries of units whose members the viewer may not list go: that they
    match would say who was in them."""
    hidden = _hidden_units(request, entries)
    return entries.exclude(container_id__in=hidden) if hidden else entries


def _hidden_units(request: HttpRequest, entries) -> set[str]:
    """The units among these entries' containers whose members Graph won't list to the viewer."""
    units = entries.filter(container_kind=Kind.UNITS).order_by().values_list("container_id", flat=True).distinct()
    return journal.hidden_containers(graph_for(request), request.session, units) if units.exists() else set()


def _csv(request: HttpRequest, entries) -> HttpResponse:
    hidden = _hidden_units(request, entries)
    stamp = explain.file_stamp()
    return csvstream.response(journal.csv_rows(entries, hidden), f"membership-journal-{stamp}.csv")


def _settle_my_open_entries(request: HttpRequest) -> None:
    """Entries of mine left pending or unknown (a lost answer, a stopped server) for longer than a
    request can take: read back, so the journal shows what really happened."""
    entries = list(changes.open_entries(actor=request.user, older_than=settings.JOURNAL_SETTLE_AFTER)
                   [:changes.SETTLE_PER_VISIT])
    if not entries:
        return
    try:
        graph = graph_for(request)
    except ReauthenticationRequired:
        return  # the journal still shows them as open; the next visit after signing in settles them
    changes.settle_open(graph, entries)
