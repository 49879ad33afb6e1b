"""Export a container's members: ``/<kind>/<id>/members.csv`` (id, type, display name, UPN or mail).

Read page by page from Graph (``GraphClient.member_pages``: ``$top=999`` and the next links), one
page in memory at a time, and written in full (``csvstream.built``: memory, then a temp file) before
the answer starts. So the answer is either the whole list, with its length, or a page saying why
not, with a status that is not 200 (nor a 5xx) — never a shorter file. A helpdesk user opens the file in Excel
and sees rows, not its end: an "incomplete" line after row 3,000 of 5,000 (what a stream can do once
it has started) would be read past, and a list that looks whole but isn't is worse than none.
"""

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from members import csvstream, explain
from members.graph import GraphError
from members.directory import Page
from members.directory import Container
from members.views.common import DETAIL, graph_for
from members.views.containers import detail_context

HEADER = ["id", "type", "display_name", "upn_or_mail"]


@require_GET
def member_export(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """Every member as CSV, or a page saying why not (never a partial file)."""
    container = Container(kind, container_id)
    graph = graph_for(request)
    pages = graph.member_pages(container)
    try:
        first = next(pages)
        name = detail_context(request, graph, container, fresh=False)["container"].display_name
    except GraphError as exc:
        return _failed(request, container, exc, explain.load_failed(exc, f"the members of this {container.kind.label}"))
    stamp = explain.file_stamp()
    try:
        return csvstream.built(_rows(first, pages), f"{slugify(name) or container.id}-members-{stamp}.csv")
    except IncompleteExport as incomplete:
        return _failed(request, container, incomplete.error, explain.export_incomplete(incomplete.error, incomplete.rows))


class IncompleteExport(Exception):
    """Graph failed on a later page: ``rows`` members had been read."""

    def __init__(self, error: GraphError, rows: int) -> None:
        super().__init__(str(error))
        self.error, self.rows = error, rows


def _failed(request: HttpRequest, container: Container, error: GraphError, message) -> HttpResponse:
    """The container page with why there is no file. Not 200, so that neither a browser's download
    nor a script saves the page as the CSV: Graph's 403/404 as they are; any other Graph failure 424
    Failed Dependency (with Graph's Retry-After): the export depended on calls that failed. Not a
    5xx: this server did not fail, and a 5xx is kept for what it would do wrong (DESIGN.md invariant 9)."""
    status = error.status if error.status in {403, 404} else 424
    answer = render(request, DETAIL, {"kind": container.kind, "load_error": message}, status=status)
    if error.retry_after:
        answer["Retry-After"] = str(int(error.retry_after + 0.999))
    return answer


def _rows(first: Page, pages: Iterator[Page]) -> Iterator[list]:
    yield HEADER
    page, count = first, 0
    while True:
        for member in page.items:
            yield [member.id, member.type, member.display_name, member.principal]
        count += len(page.items)
        page.items.clear()  # let this page go before the next is read: one page in memory at a time
        try:
            page = next(pages)
        except StopIteration:
            return
        except GraphError as exc:
            raise IncompleteExport(exc, count) from exc
