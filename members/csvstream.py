"""CSV answers streamed row by row (Django's "streaming large CSV files" pattern), safe for spreadsheets."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Echo:
    """A file-like object whose write returns the line csv.writer gives it, for streaming."""

    def write(self, value: str) -> str:
        return value


def cell(value) -> str:
    """A value as a cell; text a spreadsheet would run as a formula gets a leading quote (OWASP's advice)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def lines(rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def response(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """A CSV download; ``rows`` (header first) are produced lazily, as the answer is sent."""
    answer = StreamingHttpResponse(lines(rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer
