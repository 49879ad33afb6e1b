"""Pages for a signed-in person are never kept by the browser (``Cache-Control: no-store``).

They show live membership: Back after a change must ask the server again, not show the page
as it was before the change (with an active Remove button for someone already removed).
Django's ``add_never_cache_headers`` writes the headers; a view that set its own
``Cache-Control`` keeps it.
"""

from django.utils.cache import add_never_cache_headers


class NeverCacheSignedInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            add_never_cache_headers(response)
        return response
