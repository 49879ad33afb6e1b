"""Export a container's members: ``/<kind>/<id>/members.csv`` (id, type, display name, UPN or mail).

Streamed page by page from Graph (``GraphClient.member_pages``: ``$top=999`` and the next links),
so a 5,000-member group is never held in memory: each page is read as the answer is sent. The
first page is read before answering, so a refusal is a page that says why, not a broken file; a
later page that fails ends the file with a line saying it is incomplete.
"""

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from members import csvstream, explain, views
from members.graph import GraphError, Page
from members.refs import Container

HEADER = ["id", "type", "display_name", "upn_or_mail"]


@require_GET
def member_export(request: HttpRequest, kind, container_id: str) -> HttpResponse:
    """Every member as CSV, streamed."""
    container = Container(kind, container_id)
    graph = views.graph_for(request)
    pages = graph.member_pages(container)
    try:
        first = next(pages)
        name = views._detail_context(request, graph, container, fresh=False)["container"].display_name
    except GraphError as exc:
        status = exc.status if exc.status in {403, 404} else 200
        return render(request, views.DETAIL, {"kind": container.kind, "load_error": explain.load_failed(
            exc, f"the members of this {container.kind.label}")}, status=status)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csvstream.response(_rows(first, pages), f"{slugify(name) or container.id}-members-{stamp}.csv")


def _rows(first: Page, pages: Iterator[Page]) -> Iterator[list]:
    yield HEADER
    page = first
    while True:
        for member in page.items:
            yield [member.id, member.type, member.display_name, member.principal]
        page.items.clear()  # let this page go before the next is read: one page in memory at a time
        try:
            page = next(pages)
        except StopIteration:
            return
        except GraphError as exc:  # the answer has started: the file itself must say it stops short
            yield [explain.export_incomplete(exc)]
            return
