"""How pages show a service's refusal (:class:`livret.errors.ServiceError`), in one place.

Three cases, whatever the app:

- a form re-shown with the refusal on the field it names (:func:`add_service_error`);
- an action button refused: its message flashed, then back to the page (:func:`run_action`);
- a refusal no view expected: :class:`ServiceErrorMiddleware` answers a page with the French
  message and the error's 4xx status, never a 500.

The JSON API answers its own errors (``livret.api``): the middleware leaves ``/api/`` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from livret.errors import ServiceError


def add_service_error(form: Form, error: ServiceError) -> None:
    """Put the refusal on the form field it names, or above the form if it has no such field."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def run_action(
    request: HttpRequest, run: Callable[[], object], ok: str, to: str, **url_kwargs: Any
) -> HttpResponse:
    """Run one action of a page and go back to ``to``: ``ok`` flashed if it is done, the
    service's refusal flashed if not."""
    try:
        run()
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, ok)
    return redirect(to, **url_kwargs)


class ServiceErrorMiddleware:
    """A :class:`ServiceError` escaping a page's view becomes a page saying why, with its
    status (400, 403, 409…)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """The refusal page, for a page (not the API); anything else goes on as usual."""
        if not isinstance(exception, ServiceError) or request.path.startswith("/api/"):
            return None
        context = {"message": exception.message}
        return render(request, "web/refused.html", context, status=exception.status)
