"""Uniform JSON errors: ``{"code": "...", "message": "..."}`` with a 4xx status, in one place.

Route handlers do not catch errors: a service's refusal (:class:`livret.errors.ServiceError`)
becomes ``{"code", "message", "field", **error.details()}`` with the error's status, ``Http404``
becomes ``{"code": "not-found", "message"}``, and the API's own refusals (authentication, CSRF:
:class:`ApiError`), bad JSON and schema mismatches are answered here too. A caller's mistake is
never a 500. Whatever else goes wrong is JSON as well, never Django's HTML page: a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` is 413 ``too-large``, a database that cannot be reached is 503
``unavailable`` with ``Retry-After``, and any other exception is logged and answered 500
``server-error``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from livret.errors import ServiceError

logger = logging.getLogger(__name__)

# The error statuses every route documents (OpenAPI) with the :class:`Error` body.
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 422, 500, 503})
# How long a client waits before retrying while the database is unavailable (seconds).
RETRY_AFTER_SECONDS = 30


class Error(Schema):
    """A refused call, as documented in the OpenAPI schema."""

    code: str
    message: str
    field: str | None = None


class ApiError(Exception):
    """The API layer's own refusal (authentication, CSRF): ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json(body: dict[str, Any], status: int) -> JsonResponse:
    """A JSON error body, French text kept readable (not escaped)."""
    return JsonResponse(
        body,
        status=status,
        content_type="application/json; charset=utf-8",
        json_dumps_params={"ensure_ascii": False},
    )


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn every expected failure into a JSON error."""

    @api.exception_handler(ServiceError)
    def refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        body = {"code": exc.code, "message": exc.message, "field": exc.field, **exc.details()}
        return _json(body, exc.status)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _json({"code": "not-found", "message": str(exc) or "introuvable"}, 404)

    @api.exception_handler(ApiError)
    def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return api.create_response(
            request, {"code": exc.code, "message": exc.message}, status=exc.status
        )

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        first = exc.errors[0] if exc.errors else {}
        loc = tuple(first.get("loc", ()))
        # ninja prefixes body fields with the handler's parameter name: ("body", "payload", f)
        path = loc[2:] if loc[:1] == ("body",) and len(loc) > 2 else loc[1:]
        field = ".".join(str(p) for p in path) or "body"
        message = f"{field}: {first.get('msg', 'invalid value')}"
        return api.create_response(
            request,
            {"code": "invalid", "message": message, "errors": exc.errors},
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return api.create_response(
            request, {"code": "unauthenticated", "message": "authentication required"}, status=401
        )

    @api.exception_handler(RequestDataTooBig)
    def too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"le corps de la requête dépasse {limit} octets"
        return _json({"code": "too-large", "message": message, "field": "body"}, 413)

    @api.exception_handler(SuspiciousOperation)
    def suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        # Django's other refusals of a request (too many form fields or files…): the caller's
        message = f"requête refusée : {exc}"  # mistake, never a 500 nor an HTML page
        return _json({"code": "bad-request", "message": message}, 400)

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("API %s %s: database unavailable", request.method, request.path, exc_info=exc)
        message = "la base de données est momentanément indisponible ; réessayez plus tard"
        response = _json({"code": "unavailable", "message": message}, 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @api.exception_handler(Exception)
    def crashed(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("API %s %s failed", request.method, request.path, exc_info=exc)
        message = "erreur interne du serveur ; elle a été journalisée"
        return _json({"code": "server-error", "message": message}, 500)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = {400: "bad-request", 403: "forbidden", 404: "not-found"}.get(
            exc.status_code, "error"
        )
        if str(exc).startswith("Cannot parse request body"):
            code, message = "bad-json", "the request body is not valid JSON"
        else:
            message = str(exc)
        return api.create_response(
            request, {"code": code, "message": message}, status=exc.status_code
        )


class JsonErrorsMiddleware:
    """Under /api/, Django's own 404 and 405 answers become JSON errors like the others."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if (
            request.path.startswith("/api/")
            and response.status_code in (404, 405)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = (
                ("not-found", f"no API route {request.path}")
                if response.status_code == 404
                else ("method-not-allowed", f"{request.method} is not allowed on {request.path}")
            )
            json_response = JsonResponse(
                {"code": code, "message": message}, status=response.status_code
            )
            if "Allow" in response:
                json_response["Allow"] = response["Allow"]
            return json_response
        return response
