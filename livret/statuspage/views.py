"""The status pages ("météo des offres", MNT-3), their feeds and the subscription pages.

The public page and its feeds are cached (``livret.statuspage.cache``). An anonymous visitor
without cookies gets the whole page from the cache, with a fresh CSRF token put in the hole
left for it (the language switcher is a POST form); anyone else gets the page's cached body
inside a page rendered for them (their menu, their messages).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from livret.core.availability import MonthlyAvailability
from livret.errors import ServiceError
from livret.statuspage import cache, services
from livret.statuspage.board import (
    MAX_AGE,
    PUBLIC,
    AvailabilityView,
    Board,
    build_board,
    find_incident,
    find_maintenance,
    vendor_name,
    vendors,
    viewer_of,
)
from livret.statuspage.charts import availability_chart
from livret.statuspage.csrf import csrf_token
from livret.statuspage.feeds import atom_feed, maintenance_calendar, summary_json
from livret.statuspage.forms import SubscribeForm, WebhookForm
from livret.web.errors import add_service_error
from livret.web.offers import client_vendors

# Where the cached page gets each visitor's CSRF token (plain letters: escaping keeps them).
CSRF_HOLE = "livretcsrfholeb7e0c1"
CSRF_HOLE_BYTES = CSRF_HOLE.encode()


def _charts(board: Board) -> list[tuple[AvailabilityView, SafeString]]:
    out = []
    for item in board.availability:
        months = [(_month_label(m.report.month), m.report.td, m.provisional) for m in item.months]
        title = gettext("Disponibilité mensuelle de %(service)s") % {"service": item.service.label}
        out.append((item, availability_chart(months, target=item.target, title=title)))
    return out


@dataclass(frozen=True)
class Cell:
    month: str
    report: MonthlyAvailability | None


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]
    target: float | None


@dataclass(frozen=True)
class AvailabilityTable:
    """AVL-3: one row per production service, one column per month (the last is current)."""

    months: list[str]
    rows: list[Row]


def _month_label(month: str) -> str:
    return f"{month[5:]}/{month[:4]}"


def _availability_table(board: Board) -> AvailabilityTable:
    months = sorted({m.report.month for a in board.availability for m in a.months})
    rows = []
    for item in board.availability:
        found = {m.report.month: m.report for m in item.months}
        cells = [Cell(_month_label(month), found.get(month)) for month in months]
        rows.append(Row(item.service.label, cells, item.target))
    return AvailabilityTable([_month_label(m) for m in months], rows)


def _board_context(board: Board, private: bool) -> dict[str, object]:
    return {
        "board": board,
        "vendor": board.vendor,
        "availability": _availability_table(board),
        "charts": _charts(board),
        "private": private,
    }


@dataclass(frozen=True)
class Body:
    """The cached inside of a public page."""

    html: str
    title: str
    valid_until: datetime


def _public_body(vendor: str, now: datetime) -> tuple[Body, datetime]:
    board = build_board(vendor, PUBLIC, now)
    html = render_to_string("statuspage/_board.html", _board_context(board, private=False))
    title = gettext("État des services — %(vendor)s") % {"vendor": board.vendor_name}
    return Body(html, title, board.valid_until), board.valid_until


def _plain_visit(request: HttpRequest) -> bool:
    """No session, no pending messages, no query: the page is the same for every such visit."""
    return not (
        request.GET
        or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        or request.COOKIES.get("messages")
    )


def _body(vendor: str, language: str, now: datetime, stamp: str) -> Body:
    return cache.cached(f"body:{vendor}:{language}", lambda: _public_body(vendor, now), now, stamp)


def _context(body: Body) -> dict[str, object]:
    # The body is our own template's output, cached as text.
    return {"body": mark_safe(body.html), "title": body.title}  # noqa: S308


def public_page(request: HttpRequest, vendor: str) -> HttpResponse:
    """MNT-3: the vendor's public status page, no login (cached)."""
    now = timezone.now()
    language = translation.get_language()
    stamp = cache.stamp()
    if not _plain_visit(request):
        context = _context(_body(vendor, language, now, stamp))
        return render(request, "statuspage/public.html", context)

    def whole() -> tuple[bytes, datetime]:
        body = _body(vendor, language, now, stamp)
        context = {**_context(body), "csrf_token": CSRF_HOLE}
        page = render_to_string("statuspage/public.html", context, request=request)
        return page.encode(), body.valid_until

    # One cache read on the hot path; the page is kept as bytes (no decoding on each read).
    page = cache.cached(f"page:{vendor}:{language}", whole, now, stamp)
    return HttpResponse(page.replace(CSRF_HOLE_BYTES, csrf_token(request).encode()))


def _summary(vendor: str, now: datetime) -> tuple[bytes, datetime]:
    board = build_board(vendor, PUBLIC, now)
    return json.dumps(summary_json(board), ensure_ascii=False).encode(), board.valid_until


def summary(request: HttpRequest, vendor: str) -> HttpResponse:
    """MNT-3: the public page as JSON (shape in docs/status-page.md), cached."""
    now = timezone.now()
    key = f"json:{vendor}:{translation.get_language()}"
    data = cache.cached(key, lambda: _summary(vendor, now), now)
    response = HttpResponse(data, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"  # public data, for widgets on other sites
    return response


def calendar(request: HttpRequest, vendor: str) -> HttpResponse:
    """MNT-3: the public maintenances as an iCalendar feed, cached."""
    now = timezone.now()
    key = f"ics:{vendor}:{translation.get_language()}"
    data = cache.cached(key, lambda: (maintenance_calendar(vendor, now), now + MAX_AGE), now)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="maintenances-{vendor}.ics"'
    return response


def atom(request: HttpRequest, vendor: str) -> HttpResponse:
    """MNT-3: the public incidents, maintenances and announcements as an Atom feed, cached."""
    now = timezone.now()
    key = f"atom:{vendor}:{translation.get_language()}"
    data = cache.cached(key, lambda: (atom_feed(vendor), now + MAX_AGE), now)
    return HttpResponse(data, content_type="application/atom+xml; charset=utf-8")


def index(request: HttpRequest) -> HttpResponse:
    """The vendors that have a status page. A client's person (the menu's "État des services")
    sees only its own vendors, and goes straight to its page when there is one."""
    pages = sorted(vendors().items())
    own = client_vendors(request.user)
    if own is not None:
        pages = [(slug, name) for slug, name in pages if name in own]
        if len(pages) == 1:
            return redirect("statuspage:private", pages[0][0])
    return render(request, "statuspage/index.html", {"vendors": pages})


@login_required
def private_page(request: HttpRequest, vendor: str) -> HttpResponse:
    """MNT-3 after login: the client's own services (production and acceptance) with their
    incidents, maintenances and monthly TD, and the public ones; vendor staff see all."""
    board = build_board(vendor, viewer_of(request.user), timezone.now(), request.user)
    context = _board_context(board, private=True)
    context["can_hook"] = services.may_manage_webhooks(request.user)
    return render(request, "statuspage/private.html", context)


def incident(request: HttpRequest, vendor: str, pk: int) -> HttpResponse:
    """One incident and its timeline, if the visitor may see it (404 otherwise)."""
    item = find_incident(vendor, viewer_of(request.user), pk, request.user)
    return render(
        request,
        "statuspage/incident.html",
        {"incident": item, "vendor": vendor, "vendor_name": vendor_name(vendor)},
    )


def maintenance(request: HttpRequest, vendor: str, pk: int) -> HttpResponse:
    """One maintenance, if the visitor may see it (404 otherwise)."""
    item = find_maintenance(vendor, viewer_of(request.user), pk, timezone.now(), request.user)
    return render(
        request,
        "statuspage/maintenance.html",
        {"maintenance": item, "vendor": vendor, "vendor_name": vendor_name(vendor)},
    )


# --------------------------------------------------------------------------- subscriptions


def subscribe(request: HttpRequest, vendor: str) -> HttpResponse:
    """E-mail subscription, first step of the double opt-in: a confirmation mail is sent.

    A client's person who posts ``scope=private`` subscribes their own address to their
    client's events as well.
    """
    name = vendor_name(vendor)
    private = request.POST.get("scope") == "private" and viewer_of(request.user).client_id
    form = SubscribeForm(request.POST or None)
    if request.method == "POST" and (private or form.is_valid()):
        email = "" if private else form.cleaned_data["email"]
        user = request.user if private else None
        try:
            services.subscribe_email(vendor, email, timezone.now(), user=user)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                gettext(
                    "C'est noté : un e-mail de confirmation va partir. Votre abonnement "
                    "commencera quand vous aurez cliqué sur son lien."
                ),
            )
            return redirect("statuspage:private" if private else "statuspage:public", vendor)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "statuspage/subscribe.html",
        {"form": form, "vendor": vendor, "vendor_name": name},
        status=status,
    )


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Second step of the double opt-in: a button (a mail scanner that follows the link
    confirms nothing)."""
    try:
        if request.method != "POST":
            found = services.to_confirm(token)
            return render(
                request, "statuspage/confirm.html", {"subscription": found, "done": False}
            )
        subscription = services.confirm(token, timezone.now())
    except services.NotFound:
        raise Http404("Ce lien ne correspond à aucun abonnement.") from None
    except services.Expired as error:
        context = {"message": error.message}
        return render(request, "statuspage/expired.html", context, status=410)
    return render(request, "statuspage/confirm.html", {"subscription": subscription, "done": True})


@csrf_exempt  # RFC 8058: mail programs POST "List-Unsubscribe=One-Click" with no token
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One-click unsubscribe: POST ends the subscription (no login, no CSRF token); GET shows
    the button, so that a link checker following the mail's link unsubscribes nobody."""
    try:
        if request.method != "POST":
            found = services.to_unsubscribe(token)
            return render(
                request, "statuspage/unsubscribe.html", {"subscription": found, "done": False}
            )
        subscription = services.unsubscribe(token, timezone.now())
    except services.NotFound:
        raise Http404("Ce lien ne correspond à aucun abonnement.") from None
    return render(
        request, "statuspage/unsubscribe.html", {"subscription": subscription, "done": True}
    )


@login_required
def webhooks(request: HttpRequest, vendor: str) -> HttpResponse:
    """The webhooks of the visitor's client (or, for vendor staff, the public ones)."""
    name = vendor_name(vendor)
    if not services.may_manage_webhooks(request.user):
        raise Http404("Seul un administrateur du client ou l'éditeur gère les webhooks.")
    form = WebhookForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.add_webhook(
                request.user, vendor, form.cleaned_data["url"], timezone.now()
            )
        except ServiceError as error:
            add_service_error(form, error)
        else:
            form = WebhookForm()
    status = 400 if request.method == "POST" and created is None else 200
    context = {
        "form": form,
        "vendor": vendor,
        "vendor_name": name,
        "hooks": services.webhooks_of(request.user, vendor).order_by("created_at"),
        "created": created,
    }
    return render(request, "statuspage/webhooks.html", context, status=status)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, vendor: str, pk: int) -> HttpResponse:
    """Stop one of the visitor's webhooks (another client's: 404)."""
    try:
        services.remove_webhook(request.user, vendor, pk, timezone.now())
    except services.NotFound:
        raise Http404("Aucun webhook de ce numéro.") from None
    messages.success(request, gettext("Le webhook est supprimé."))
    return redirect("statuspage:webhooks", vendor)
