"""The site's own pages: home, liveness for operators, the CSRF failure page."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from livret.ops.models import WorkerHeartbeat
from livret.web.offers import latest_versions


def home(request: HttpRequest) -> HttpResponse:
    """Landing page listing the offers."""
    return render(request, "web/home.html", {"versions": latest_versions()})


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
