"""The site's own pages: home (or each role's landing page), liveness for operators, the
favicon, the CSRF failure page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import cache_control

from livret.ops.models import WorkerHeartbeat
from livret.web.landing import landing_url
from livret.web.offers import visible_versions

FAVICON = Path(__file__).parent / "static" / "livret" / "favicon.svg"


def home(request: HttpRequest) -> HttpResponse:
    """A signed-in person goes where their role works; anyone else sees the offers."""
    landing = landing_url(request.user)
    if landing is not None:
        return redirect(landing)
    return render(request, "web/home.html", {"versions": visible_versions(request.user)})


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, asked by browsers whatever the page says: the site's SVG icon."""
    return HttpResponse(FAVICON.read_bytes(), content_type="image/svg+xml")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for operators: database reachable, age of the freshest worker heartbeat."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception as error:  # report, never raise: this page exists to say what is wrong
        return JsonResponse({"database": f"error: {error}", "worker": None}, status=503)
    beat = WorkerHeartbeat.objects.order_by("-last_seen").first()
    worker_age = (timezone.now() - beat.last_seen) / timedelta(seconds=1) if beat else None
    return JsonResponse({"database": database, "worker_last_seen_seconds": worker_age})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A French page for a form whose CSRF token is missing or expired (403)."""
    return render(request, "403_csrf.html", status=403)
