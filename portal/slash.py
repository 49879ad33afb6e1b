"""Django's CommonMiddleware, appending the slash for reads only.

Every URL of this site ends in a slash, and its own pages and htmx attributes always name them so
(``{% url %}``). A change sent to a URL without its slash (hand-written, or an old bookmarklet) is
answered 404, as any URL that doesn't exist: Django would answer it a 301 to the slashed URL
(which a browser follows with a GET, dropping the change and, under htmx, swapping a whole page
into a row) or, with DEBUG on, raise RuntimeError (a 500 page). A GET or HEAD is still redirected.
"""

from django.middleware.common import CommonMiddleware

READS = frozenset({"GET", "HEAD"})


class AppendSlashForReadsMiddleware(CommonMiddleware):
    def should_redirect_with_slash(self, request) -> bool:
        return request.method in READS and super().should_redirect_with_slash(request)
