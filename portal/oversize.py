"""A request body too large to read (over ``DATA_UPLOAD_MAX_MEMORY_SIZE``) answered as a message, not an error page.

Django raises ``RequestDataTooBig`` where the body is first read (CSRF's check of a form field, or
the view), and answers 400 — with DEBUG on, the bare debug page, which django-htmx's script puts in
place of the whole page. Here the body is read before any view or CSRF check runs; when it is too
large, nothing is run or changed, and the answer is the view's own (a view may name one with
``answers_too_big``: the paste form says its text is too long, in its place), or else a short
message: a fragment (200, so htmx swaps it) to htmx, a 413 page otherwise.
"""

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve

TooBigAnswer = Callable[..., HttpResponse]


def answers_too_big(answer: TooBigAnswer) -> Callable:
    """Decorate a view: ``answer(request, *args, **kwargs)`` is its answer to a body too large to read."""
    def mark(view):
        view.answer_too_big = answer
        return view
    return mark


class OversizedBodyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 -- read here, where its refusal can still be answered well
            except RequestDataTooBig:
                return self.too_big(request)
        return self.get_response(request)

    def too_big(self, request: HttpRequest) -> HttpResponse:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            match = None
        answer = getattr(match.func, "answer_too_big", None) if match else None
        if answer is not None:
            return answer(request, *match.args, **match.kwargs)
        if getattr(request, "htmx", False):
            return render(request, "request_too_big.html#too-big")
        return render(request, "request_too_big.html", status=413)
