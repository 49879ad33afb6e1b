"""CSV answers, safe for spreadsheets: streamed row by row (Django's "streaming large CSV files"
pattern), or written in full before the first byte is sent when a file cut short would be mistaken
for the whole one.

Every cell is neutralised as OWASP's CSV-injection advice asks: a cell a spreadsheet would run as a
formula gets a leading quote. That is a cell starting with ``= + - @``, tab, carriage return or NUL,
also after blanks (`` =``), and also in its full-width or other compatibility forms (``＝ ＋ － ＠``,
which spreadsheets read as the ASCII ones); and, because Excel in a semicolon locale splits a comma
file's lines at ``;`` (and any spreadsheet may split at tabs or line breaks inside a cell), the same
after each ``; , tab CR LF`` inside the cell.
"""

import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator

from django.http import FileResponse, StreamingHttpResponse

TRIGGERS = "=+-@"
# Where a spreadsheet may start a new cell inside ours: the start, or after a separator or line break.
STARTS = re.compile(r"(?:^|(?<=[;,\t\r\n]))(?=[\s\x00-\x1f]*[=+\-@])|^(?=[\t\r\x00])")
SPOOL_IN_MEMORY = 4 * 1024 * 1024  # a file built before sending stays in memory up to this, then goes to a temp file


class Echo:
    """A file-like object whose write returns the line csv.writer gives it, for streaming."""

    def write(self, value: str) -> str:
        return value


def _as_spreadsheets_read(text: str) -> str:
    """The text with each character as its compatibility form's first one (``＝`` -> ``=``), same length."""
    if text.isascii():
        return text
    return "".join((unicodedata.normalize("NFKC", ch) or ch)[0] for ch in text)


def cell(value) -> str:
    """A value as a cell; text a spreadsheet would run as a formula is quoted (see the module docstring)."""
    text = "" if value is None else str(value)
    read = _as_spreadsheets_read(text)
    if not any(trigger in read for trigger in TRIGGERS) and not read.startswith(("\t", "\r", "\x00")):
        return text
    starts = [match.start() for match in STARTS.finditer(read)]
    for at in reversed(sorted(set(starts))):
        text = f"{text[:at]}'{text[at:]}"
    return text


def lines(rows: Iterable[Iterable]) -> Iterator[str]:
    writer = csv.writer(Echo())
    for row in rows:
        yield writer.writerow([cell(value) for value in row])


def response(rows: Iterable[Iterable], filename: str) -> StreamingHttpResponse:
    """A CSV download; ``rows`` (header first) are produced lazily, as the answer is sent."""
    answer = StreamingHttpResponse(lines(rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer


def built(rows: Iterable[Iterable], filename: str) -> FileResponse:
    """A CSV download written in full before it is answered (in memory, then a temp file beyond
    ``SPOOL_IN_MEMORY``), with its ``Content-Length``: whatever ``rows`` raises, it raises here,
    before any byte is sent, and a transfer cut short is a failed download, never a shorter file."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
    try:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        for line in lines(rows):
            text.write(line)
        text.flush()
        text.detach()
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    answer = FileResponse(spool, as_attachment=True, filename=filename, content_type="text/csv; charset=utf-8")
    answer["Content-Length"] = str(size)
    return answer
