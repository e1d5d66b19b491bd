"""Public pages: home, offer list and the booklets rendered from the stored versions."""

from __future__ import annotations

from datetime import timedelta
from itertools import groupby

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from livret.offers.models import OfferVersion
from livret.ops.models import WorkerHeartbeat


def _latest_versions() -> list[OfferVersion]:
    versions = OfferVersion.objects.order_by("offer_id", "-number").defer("source_text")
    return [next(group) for _, group in groupby(versions, key=lambda v: v.offer_id)]


def home(request: HttpRequest) -> HttpResponse:
    """Landing page listing the offers."""
    return render(request, "web/home.html", {"versions": _latest_versions()})


def offer_list(request: HttpRequest) -> HttpResponse:
    """Every offer with its versions (OFF-5)."""
    versions = OfferVersion.objects.order_by("offer_id", "-number").defer("source_text")
    rows = []
    for _, group in groupby(versions, key=lambda v: v.offer_id):
        items = list(group)
        rows.append({"latest": items[0], "versions": items})
    return render(request, "web/offer_list.html", {"rows": rows})


def _version(offer_id: str, number: int | None) -> OfferVersion:
    versions = OfferVersion.objects.filter(offer_id=offer_id)
    version = (
        versions.filter(number=number).first() if number else versions.order_by("-number").first()
    )
    if version is None:
        raise Http404("Aucune offre ou version de ce nom.")
    return version


def _booklet(version: OfferVersion, fmt: str) -> str:
    from livret.offers.booklet import render_booklet

    return render_booklet(version.offer, fmt, version_label=f"version {version.number}")  # type: ignore[arg-type]


def offer_detail(request: HttpRequest, offer_id: str, number: int | None = None) -> HttpResponse:
    """The booklet (OFF-4) of the latest or a given version, inside the site's layout."""
    from livret.offers.booklet import build_booklet

    version = _version(offer_id, number)
    booklet = build_booklet(version.offer, version_label=f"version {version.number}")
    return render(request, "web/booklet.html", {"booklet": booklet, "version": version})


def offer_standalone(
    request: HttpRequest, offer_id: str, number: int | None = None
) -> HttpResponse:
    """The booklet as one self-contained HTML document, to save or print."""
    return HttpResponse(_booklet(_version(offer_id, number), "html"))


def offer_markdown(request: HttpRequest, offer_id: str, number: int | None = None) -> HttpResponse:
    """The booklet as Markdown, offered as a download."""
    version = _version(offer_id, number)
    response = HttpResponse(_booklet(version, "md"), content_type="text/markdown; charset=utf-8")
    filename = f"{version.offer_id}-v{version.number}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
