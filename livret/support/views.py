"""Support pages: the client portal and the technician back office (REQ-1..11, RPT-1).

Views parse input, reach objects only through ``access`` helpers, call ``services`` and render.
A refused action comes back as a message naming the reason; nothing here decides a rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from livret.errors import ServiceError
from livret.support import access, composer, request_page, services
from livret.support.downloads import download_response
from livret.support.forms import (
    AssignForm,
    NewRequestForm,
    PhoneRequestForm,
    ProposalForm,
    QualifyForm,
    RemoteSessionForm,
    TeamForm,
)
from livret.support.lists import (
    CLIENT_FILTERS,
    CUSTOMER_SERVICE_FILTERS,
    EXPORT_COLUMNS,
    QUEUE_FILTERS,
    choice_labels,
    client_requests,
    export_rows,
    page_rows,
    queue_requests,
    read_filters,
)
from livret.support.models import Attachment, Kind, Request, State, Team
from livret.support.reports import compliance_report
from livret.support.services import NewRequest
from livret.tenants.access import Person, display_name, is_vendor, require_vendor_page
from livret.tenants.models import Client, Contract
from livret.web.charts import bar_chart
from livret.web.errors import add_service_error, run_action
from livret.web.export import csv_response
from livret.web.pagination import paginate, query_without_page

CLOCK_LABELS = {
    "pickup": _("Prise en charge"),
    "action-plan": _("Plan d'action"),
    "fix": _("Correction"),
    "validation": _("Validation client"),
}


@dataclass(frozen=True)
class ClockView:
    """One clock as a person reads it."""

    label: str
    due_at: datetime
    left: timedelta | None
    state: str  # running, paused, met, missed, at-risk, breached

    @property
    def css(self) -> str:
        """Badge colour: red breached or missed, orange at risk, green met."""
        return {"breached": "bad", "missed": "bad", "at-risk": "warn", "met": "ok"}.get(
            self.state, ""
        )

    @property
    def label_state(self) -> str:
        return {
            "breached": _("dépassé"),
            "missed": _("manqué"),
            "at-risk": _("à risque"),
            "met": _("tenu"),
            "paused": _("suspendu (attente client)"),
            "running": _("en cours"),
        }[self.state]

    @property
    def left_text(self) -> str:
        if self.left is None:
            return ""
        minutes = int(abs(self.left).total_seconds() // 60)
        text = f"{minutes // 60} h {minutes % 60:02d}" if minutes >= 60 else f"{minutes} min"
        if self.left < timedelta(0):
            return gettext("dépassé de %(time)s ouvrées") % {"time": text}
        return gettext("%(time)s ouvrées restantes") % {"time": text}


def clocks_of(
    request: Request, now: datetime, events: Sequence[Any] | None = None
) -> list[ClockView]:
    """The request's clocks with business time left (RPT-1 "live clocks"); ``events``: the
    trail's rows, as models or ``livret.support.thread.TrailEvent``."""
    state = services.sla_state(request, events)
    if not state.clocks:
        return []
    calendar = services.policy(request.contract).calendar
    out = []
    for clock, c in state.clocks.items():
        met = c.met(now)
        if c.stopped_at is not None:
            status, left = ("met" if met else "missed"), None
        elif c.paused_since is not None:
            status, left = "paused", None
        else:
            left = c.business_left(calendar, now)
            status = "breached" if met is False else ("at-risk" if now >= c.warn_at else "running")
        out.append(ClockView(CLOCK_LABELS.get(clock.value, clock.value), c.due_at, left, status))
    return out


# --------------------------------------------------------------------------- portal


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """My requests (or my organisation's, for its administrators), page by page."""
    if is_vendor(request.user):
        return redirect("queue")
    filters = read_filters(request.GET, CLIENT_FILTERS)
    pager = paginate(request, client_requests(filters, request.user), _requests_count)
    context = {
        "pager": pager,
        "state": filters["etat"],
        "filters": filters,
        "export_url": reverse("request-list-export") + query_without_page(request),
    }
    return render(request, "support/request_list.html", context)


@login_required
def request_list_export(request: HttpRequest) -> HttpResponse:
    """The client's filtered list as CSV, every page (vendor staff: the queue's export)."""
    if is_vendor(request.user):
        return redirect("queue-export")
    rows = client_requests(read_filters(request.GET, CLIENT_FILTERS), request.user)
    return _csv(rows)


def _requests_count(count: int) -> str:
    return ngettext("%(count)s demande", "%(count)s demandes", count)


def _csv(rows: Any) -> HttpResponse:
    day = timezone.localdate()
    header = [str(column) for column in EXPORT_COLUMNS]
    return csv_response(f"demandes-{day:%Y-%m-%d}.csv", header, export_rows(rows))


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    """REQ-1, REQ-2: file a request with guided fields and attachments."""
    contracts = list(access.visible_contracts(request.user))
    if is_vendor(request.user) or not contracts:
        raise Http404("Aucun contrat pour déposer une demande.")
    form = NewRequestForm(request.POST or None, request.FILES or None, contracts=contracts)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contract = access.access_contract(request.user, int(data["contract"]))
        new = NewRequest(
            kind=data["kind"],
            title=data["title"],
            description=data["description"],
            context=data["context"],
            error_messages=data["error_messages"],
            menu_path=data["menu_path"],
            priority=data["priority"],
        )
        files = [(upload.name, upload.read()) for upload in data["attachments"]]
        try:
            created = services.file_request(
                filer=request.user, contract=contract, new=new, attachments=files
            )
        except ServiceError as error:
            add_service_error(form, error)  # a refused file: nothing filed, the text kept
        else:
            messages.success(
                request,
                gettext(
                    "Demande %(number)s enregistrée ; un accusé de réception vous a été envoyé."
                )
                % {"number": created.number},
            )
            return redirect("request-detail", number=created.number)
    return render(request, "support/request_new.html", {"form": form})


def _request_page(
    request: HttpRequest, item: Request, *, status: int = 200, **composer: Any
) -> HttpResponse:
    """The request page (issue 12): thread and composer, side pane, clocks; ``composer`` keeps
    a refused submit's text, action and message."""
    vendor = is_vendor(request.user)
    events = request_page.history(item)  # one query: the clocks, the thread and the trail
    now = timezone.now()
    clocks = clocks_of(item, now, events)
    if request.headers.get("HX-Request"):
        context = {"item": item, "clocks": clocks, "now": now}
        context["zone"] = request_page.deadline_zone(item)
        return render(request, "support/_clocks.html", context)
    context = request_page.page_context(item, request.user, vendor, now, events)
    context.update(clocks=clocks, composer=composer)
    return render(request, "support/request_detail.html", context, status=status)


@login_required
def request_detail(request: HttpRequest, number: str) -> HttpResponse:
    """A request: its conversation, the composer of the reader's side, clocks and facts."""
    return _request_page(request, access.access_request(request.user, number))


@login_required
def request_trail(request: HttpRequest, number: str) -> HttpResponse:
    """REQ-11: the request's audit trail, oldest first (the client's visible events only)."""
    item = access.access_request(request.user, number)
    vendor = is_vendor(request.user)
    events = item.events.select_related("actor__membership").order_by("seq")
    if not vendor:
        events = events.filter(visible_to_client=True)
    context = {"item": item, "vendor": vendor, "events": events}
    return render(request, "support/request_trail.html", context)


@login_required
@require_POST
def request_compose(request: HttpRequest, number: str) -> HttpResponse:
    """The one composer: a text, maybe files, and (vendor) the action picked. A refusal shows
    the page again with the text kept and the service's message."""
    item = access.access_request(request.user, number)
    text = request.POST.get("text", "")
    action = request.POST.get("action", "message")
    files = [(f.name, f.read()) for f in request.FILES.getlist("files")]
    try:
        done = composer.submit(item, request.user, text, files, action=action)
    except ServiceError as error:
        item.refresh_from_db()
        return _request_page(
            request, item, status=error.status, text=text, action=action, error=error.message
        )
    messages.success(request, done)
    return redirect("request-detail", number=number)


def _text(request: HttpRequest) -> str:
    return request.POST.get("text", "").strip()


@login_required
@require_POST
def request_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Every button of the request page: one service call each."""
    item = access.access_request(request.user, number)
    user = request.user
    text = _text(request)
    actions: dict[str, tuple[Any, str]] = {
        "commenter": (
            lambda: services.comment(
                item, user, text, internal=request.POST.get("internal") == "1"
            ),
            _("Message ajouté."),
        ),
        "repondre": (
            lambda: services.client_answers(item, user, text),
            _("Réponse envoyée : les délais reprennent."),
        ),
        "valider": (
            lambda: services.validate(item, user),
            _("Livraison validée : demande clôturée."),
        ),
        "refuser": (
            lambda: services.reject(item, user, text),
            _("Livraison refusée : le support reprend la demande."),
        ),
        "rouvrir": (lambda: services.reopen(item, user, text), _("Demande rouverte.")),
        "annuler": (lambda: services.cancel(item, user, text), _("Demande annulée.")),
        "prendre": (lambda: services.take_in_charge(item, user), _("Demande prise en charge.")),
        "qualifier": (lambda: _qualify(item, user, request), _("Demande qualifiée.")),
        "plan": (
            lambda: services.deliver_action_plan(item, user, text),
            _("Plan d'action envoyé."),
        ),
        "correction": (
            lambda: services.deliver_fix(
                item, user, text, workaround=request.POST.get("workaround") == "1"
            ),
            _("Livraison envoyée au client."),
        ),
        "demander": (
            lambda: services.ask_client(item, user, text),
            _("Question envoyée : délais suspendus."),
        ),
        "cloturer": (lambda: services.close(item, user, text), _("Demande clôturée.")),
        "teleassistance": (lambda: _remote(item, user, request), _("Téléassistance programmée.")),
        "proposition": (
            lambda: _proposal(item, user, request),
            _("Proposition envoyée au client."),
        ),
        "priorite": (
            lambda: services.set_priority(item, user, request.POST.get("priority", "")),
            _("Priorité modifiée."),
        ),
        "piece-jointe": (lambda: _attach(item, user, request), _("Pièce jointe ajoutée.")),
        "attribuer": (lambda: _assign(item, user, request), _("Attribution enregistrée.")),
        "m-attribuer": (
            lambda: services.take(item, user),
            _("Demande attribuée : vous en êtes le technicien."),
        ),
        "equipe": (lambda: _set_team(item, user, request), _("Équipe enregistrée.")),
    }
    if action not in actions:
        raise Http404()
    run, ok = actions[action]
    response = run_action(request, run, ok, "request-detail", number=number)
    back = request.POST.get("next", "")  # a button of the queue goes back to the same page
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return response


def _qualify(item: Request, user: Person, request: HttpRequest) -> Any:
    form = QualifyForm(request.POST)
    if not form.is_valid():
        raise ServiceError("invalid", "criticité invalide", field="criticity")
    return services.qualify(item, user, form.cleaned_data["criticity"])


def _remote(item: Request, user: Person, request: HttpRequest) -> Any:
    form = RemoteSessionForm(request.POST)
    if not form.is_valid():
        raise ServiceError("invalid", "date ou durée invalide", field="starts_at")
    return services.book_remote_assistance(
        item, user, form.cleaned_data["starts_at"], form.cleaned_data["minutes"]
    )


def _proposal(item: Request, user: Person, request: HttpRequest) -> Any:
    form = ProposalForm(request.POST)
    if not form.is_valid():
        raise ServiceError("invalid", "proposition incomplète", field="description")
    return services.propose_billable(item, user, **form.cleaned_data)


def _assign(item: Request, user: Person, request: HttpRequest) -> Any:
    form = AssignForm(request.POST)
    if not form.is_valid():
        raise ServiceError(
            "invalid", "choisissez un technicien de la liste (ou personne)", field="assignee"
        )
    chosen = form.cleaned_data["assignee"]
    if chosen is None:
        return services.unassign(item, user)
    return services.assign(item, chosen, user)


def _set_team(item: Request, user: Person, request: HttpRequest) -> Any:
    form = TeamForm(request.POST)
    if not form.is_valid():
        raise ServiceError("invalid", "choisissez une équipe de la liste (ou aucune)", field="team")
    return services.set_team(item, form.cleaned_data["team"], user)


def _attach(item: Request, user: Person, request: HttpRequest) -> Any:
    upload = request.FILES.get("file")
    if upload is None:
        raise ServiceError("invalid", "choisissez un fichier", field="file")
    return services.add_attachment(item, user, upload.name, upload.read())


@login_required
def attachment_download(request: HttpRequest, attachment_id: int) -> FileResponse:
    """REQ-2: only to who may see the request; never inline as HTML."""
    attachment: Attachment = access.access_attachment(request.user, attachment_id)
    try:
        handle = services.attachment_path(attachment).open("rb")
    except FileNotFoundError:
        raise Http404("Fichier introuvable.") from None
    return download_response(attachment, handle)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """RPT-1: the client's "bilan personnalisé" — requests, pickup compliance, deliveries."""
    contracts = list(access.visible_contracts(request.user))
    if is_vendor(request.user):
        slug = request.GET.get("client", "")
        contracts = [c for c in contracts if c.client.slug == slug] if slug else []
    rows = access.visible_requests(request.user).filter(contract__in=contracts)
    now = timezone.now()
    by_kind = Counter(rows.values_list("kind", flat=True))
    by_state = Counter(rows.values_list("state", flat=True))
    months: list[tuple[str, float]] = []
    local = timezone.localtime(now)
    for back in range(11, -1, -1):
        year, month = divmod(local.year * 12 + local.month - 1 - back, 12)
        count = rows.filter(registered_at__year=year, registered_at__month=month + 1).count()
        months.append((f"{month + 1:02d}/{year % 100:02d}", count))
    reports = [compliance_report(c, now) for c in contracts if services.policy(c).has_pickup]
    compliance_charts = [
        bar_chart(
            [(f"{p['start'][:7]}", p["rate_percent"] or 0) for p in report["periods"]],
            title=gettext("Prise en charge dans les délais — %(contract)s")
            % {"contract": report["contract"]},
            unit=" %",
            target=report["target_percent"],  # None: the booklet sets no rate
            max_value=100,
        )
        for report in reports
    ]
    context = {
        "contracts": contracts,
        "kinds": [(Kind(k).label, n) for k, n in by_kind.most_common()],
        "states": [(State(k).label, n) for k, n in by_state.most_common()],
        "months": months,
        "months_chart": bar_chart(months, title=gettext("Demandes déposées par mois")),
        "reports": list(zip(reports, compliance_charts, strict=True)),
        "clients": Client.objects.order_by("name") if is_vendor(request.user) else [],
    }
    return render(request, "support/dashboard.html", context)


# --------------------------------------------------------------------------- back office


def _queue_filters(request: HttpRequest) -> tuple[bool, dict[str, str]]:
    customer_service = request.resolver_match.url_name.startswith("customer-service")
    defaults = CUSTOMER_SERVICE_FILTERS if customer_service else QUEUE_FILTERS
    return customer_service, read_filters(request.GET, defaults)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The technician queue, page by page, refreshed live (htmx polling keeps the page and
    the filters: it asks for the same address)."""
    require_vendor_page(request.user)
    customer_service, filters = _queue_filters(request)
    rows = queue_requests(filters, request.user, customer_service=customer_service)
    pager = paginate(request, rows.values_list("pk", flat=True), _requests_count)
    # The page's rows only, with their events in one query (their clocks).
    shown = page_rows(pager.page)
    now, labels = timezone.now(), choice_labels()
    export = "customer-service-queue-export" if customer_service else "queue-export"
    context = {
        "rows": [
            {
                "item": r,
                "clocks": clocks_of(r, now),
                "kind": labels["kind"][r.kind],
                "state": labels["state"][r.state],
                "priority": labels["priority"][r.priority],
            }
            for r in shown
        ],
        "detail_prefix": reverse("request-list"),  # + number: one reverse() for all rows
        "pager": pager,
        "filters": filters,
        "clients": Client.objects.order_by("name"),
        "teams": Team.objects.order_by("name"),
        "kinds": Kind.choices,
        "customer_service": customer_service,
        "export_url": reverse(export) + query_without_page(request),
        "now": now,
    }
    template = (
        "support/_queue_list.html" if request.headers.get("HX-Request") else "support/queue.html"
    )
    return render(request, template, context)


@login_required
def queue_export(request: HttpRequest) -> HttpResponse:
    """The queue's filtered rows as CSV, every page, in the queue's order."""
    require_vendor_page(request.user)
    customer_service, filters = _queue_filters(request)
    return _csv(queue_requests(filters, request.user, customer_service=customer_service))


@login_required
def phone_request(request: HttpRequest) -> HttpResponse:
    """REQ-1: record a call; Q refuses without a portal request, with the reason."""
    require_vendor_page(request.user)
    contracts = list(
        Contract.objects.select_related("client", "offer_version").order_by("reference")
    )
    users = (
        get_user_model()
        .objects.filter(membership__client__isnull=False, is_active=True)
        .select_related("membership__client")
    )
    form = PhoneRequestForm(request.POST or None)
    form.fields["contract"].choices = [
        (str(c.pk), f"{c.reference} — {c.client}") for c in contracts
    ]
    form.fields["filer"].choices = [
        (str(u.pk), f"{display_name(u)} ({u.membership.client})") for u in users
    ]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contract = next(c for c in contracts if str(c.pk) == data["contract"])
        filer = users.get(pk=int(data["filer"]))
        portal = None
        if data["portal_request"]:
            portal = Request.objects.filter(number=data["portal_request"].strip()).first()
            if portal is None:
                form.add_error("portal_request", gettext("aucune demande de ce numéro"))
        if not form.errors:
            try:
                item = services.record_phone_request(
                    technician=request.user,
                    contract=contract,
                    filer=filer,
                    portal_request=portal,
                    new=NewRequest(
                        kind="anomaly",
                        title=data["title"],
                        description=data["description"],
                        priority=data["priority"],
                    ),
                )
            except ServiceError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request, gettext("Appel enregistré sur la demande %(n)s.") % {"n": item.number}
                )
                return redirect("request-detail", number=item.number)
    return render(request, "support/phone_request.html", {"form": form})
