"""MON-3 actions on alerts: triage, folding, resolution, impact changes, calls, escalation.

Triage
------
Each firing alert is triaged once by impact into mails, support requests, phone calls and a
level-1 diagnosis timer. The decisions (which impact, what it calls for, when the timer ends)
are the core's (:mod:`livret.core.triage`); this module reads what they need — the operators'
overrides (:class:`~livret.monitoring.models.ImpactSetting`), the alert, the offer — and does
what they say: acknowledge, mail the client's contacts and the team, open the support request,
create the phone-call task. When the timer runs out, the worker's ``monitoring-escalation`` job
(:func:`livret.monitoring.jobs.escalate_due`) moves the alert to level 2 and
:func:`notify_escalation` tells the request and the level-2 team.

Which contract (reading of P art. 3.2)
--------------------------------------
PreventCare has no support commitment of its own (``formula.support = false``): « le
traitement des Demandes s'effectuera dans les conditions prévues dans le Livret Service Contact
ou Open applicable ». A request opened from an alert therefore goes on the client's support
contract (another contract of the same client whose formula carries support, the oldest
first), so that contract's pickup deadlines apply; a client without one gets it on the
PreventCare contract itself (no deadline). The filer is the client's administrator (its
contact), the request is recorded by the vendor account ``prevent-care`` on the
``monitoring`` channel — like a phone request recorded by a technician (REQ-1). A client with
no active login cannot have a request: the monitoring team is told to call instead.

Folding and idempotence
-----------------------
Triage runs once per alert (``triaged_at``): calling it again does nothing, so a replayed batch
or a re-sent webhook never opens a second request. A new alert for the same server and rule as
an open, triaged one (another series, e.g. another volume) folds into it: the open alert counts
one more occurrence and the new one shares its request. A repeat of the same alert is counted
by its creator (:func:`fold_repeat`).

Everything runs in the caller's transaction; mails go through the mail outbox and are sent
by the worker after commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from livret.core.monitoring_rules import IMPACTS
from livret.core.offer.schema import Offer
from livret.core.triage import (
    decide_impact,
    diagnosis_due,
    instructions_for,
    offer_rule,
    offer_rules,
    request_priority,
    triage_plan,
)
from livret.errors import ServiceError
from livret.mail.services import queue_mail
from livret.monitoring.models import (
    AlertState,
    Impact,
    ImpactSetting,
    MonitoringAlert,
    PhoneCallTask,
)
from livret.support import services as support
from livret.support.models import Request
from livret.support.services import NewRequest
from livret.tenants.access import full_names, require_vendor
from livret.tenants.models import Contract, Membership, Role
from livret.text import without_control_characters

SYSTEM_USERNAME = "prevent-care"


def rule_defaults(offer: Offer) -> dict[str, tuple[str, str]]:
    """Rule id -> (label, default impact) for the offer's rules and its heartbeat (MON-2)."""
    return offer_rules(offer, _("Battement de cœur manquant (serveur ou lien coupé)"))


# --------------------------------------------------------------------------- who is told


def system_user() -> Any:
    """The vendor account that records what the monitoring does (``prevent-care``)."""
    users = get_user_model()
    user = users.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = users.objects.create_user(
            SYSTEM_USERNAME, email="", first_name="Prevent", last_name="Care"
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not Membership.objects.filter(user=user).exists():
        Membership.objects.create(user=user, client=None, role=Role.OPERATOR)
    return user


def client_contacts(client_id: int) -> list[Any]:
    """The client's active logins, administrators first (the people told of alerts)."""
    members = list(
        get_user_model()
        .objects.filter(membership__client_id=client_id, is_active=True)
        .order_by("membership__role", "pk")  # "client-admin" sorts before "client-user"
    )
    admins = [u for u in members if u.membership.role == Role.CLIENT_ADMIN]
    return admins or members


def _addresses(configured: list[str], roles: tuple[str, ...]) -> list[str]:
    """The configured addresses, else the active vendor staff with ``roles``."""
    if configured:
        return configured
    staff = get_user_model().objects.filter(
        membership__client__isnull=True, membership__role__in=roles, is_active=True
    )
    return sorted({u.email for u in staff if u.email})


def team_addresses() -> list[str]:
    """LIVRET_MONITORING_TEAM, else the technicians and operators (level 1)."""
    return _addresses(settings.MONITORING_TEAM, ("technician", "operator"))


def level2_addresses() -> list[str]:
    """LIVRET_MONITORING_LEVEL2, else the support leads (level 2, MON-3)."""
    return _addresses(settings.MONITORING_LEVEL2, ("lead",))


def _queue(
    alert: MonitoringAlert,
    to: list[str],
    subject: str,
    body: str,
    reason: str,
    request: Request | None = None,
) -> None:
    """Queue a mail in the outbox (sent by the worker after commit), threaded by the request,
    greeting its readers by name and signed by the vendor of the site's contract."""
    to = [a for a in to if a]
    if not to:
        return
    thread = request.number if request is not None else None
    queue_mail(
        to,
        f"[Prevent Care] {subject}"[:255],
        body,
        reason=reason,
        thread=thread,
        names=full_names(to),
        vendor=alert.server.site.contract.offer_version.vendor,
    )


def _board_url() -> str:
    return f"{settings.SITE_URL}/exploitation/surveillance/"


def _portal_url(alert: MonitoringAlert) -> str:
    return f"{settings.SITE_URL}/portail/surveillance/sites/{alert.server.site_id}/"


def _describe(alert: MonitoringAlert) -> str:
    when = timezone.localtime(alert.firing_at or alert.created_at)
    what = alert.summary or alert.rule
    series = f" ({alert.series})" if alert.series else ""
    text = f"{what}{series} — serveur {alert.server.hostname}, depuis le {when:%d/%m/%Y %H:%M}"
    return without_control_characters(text, multiline=True)  # machine text (issue 13)


# --------------------------------------------------------------------------- triage


def support_contract(alert: MonitoringAlert) -> Contract:
    """Where a request from this alert goes (see the module's reading of P art. 3.2)."""
    site = alert.server.site
    contracts = (
        Contract.objects.filter(client_id=site.client_id)
        .exclude(pk=site.contract_id)
        .select_related("offer_version")
        .order_by("start_date", "pk")
    )
    for contract in contracts:
        offer = contract.offer_version.offer
        formula = offer.formulas.get(contract.formula)
        if offer.support is not None and formula is not None and formula.support:
            return contract
    return site.contract


def _locked(alert: MonitoringAlert) -> MonitoringAlert:
    return (
        MonitoringAlert.objects.select_for_update(of=("self",))
        .select_related("server__site__client", "server__site__contract__offer_version", "request")
        .get(pk=alert.pk)
    )


def _impact(alert: MonitoringAlert, offer: Offer) -> tuple[str, Any]:
    """The alert's impact and who set it (None: the source or the offer). An override of the
    offer's rule applies to the alerts of its family (``backup`` to ``backup-failed``); one of
    the alert's own rule id wins over it."""
    family = offer_rule(alert.rule)
    overrides = {
        (s.server_id, s.rule): s
        for s in ImpactSetting.objects.filter(rule__in={alert.rule, family}).filter(
            Q(server_id=alert.server_id) | Q(server__isnull=True)
        )
    }

    def override(server_id: int | None) -> ImpactSetting | None:
        return overrides.get((server_id, alert.rule)) or overrides.get((server_id, family))

    on_server, everywhere = override(alert.server_id), override(None)
    defaults = rule_defaults(offer)
    default = (defaults.get(alert.rule) or defaults.get(family) or ("", None))[1]
    impact = decide_impact(
        on_server.impact if on_server else None,
        everywhere.impact if everywhere else None,
        alert.impact or None,
        default,
    )
    chosen = on_server or everywhere
    return impact, (chosen.changed_by if chosen and chosen.impact == impact else None)


@transaction.atomic
def triage_alert(alert: MonitoringAlert, now: datetime) -> None:
    """MON-3: decide the alert's impact and do what it calls for, once (idempotent).

    Called when an alert becomes firing (engine ingestion, Alertmanager receiver).
    """
    alert = _locked(alert)
    if alert.triaged_at is not None:
        return
    alert.triaged_at = now
    sibling = (
        MonitoringAlert.objects.select_for_update()
        .filter(server_id=alert.server_id, rule=alert.rule, resolved_at__isnull=True)
        .exclude(triaged_at__isnull=True)
        .exclude(pk=alert.pk)
        .order_by("firing_at", "pk")
        .first()
    )
    if sibling is not None:
        _fold(sibling, alert, now)
        return
    offer = alert.server.site.contract.offer_version.offer
    alert.impact, alert.impact_overridden_by = _impact(alert, offer)
    _act(alert, offer, now, timer_from=alert.firing_at or now)
    alert.save()


def _fold(open_alert: MonitoringAlert, new: MonitoringAlert, now: datetime) -> None:
    """MON-3: a new alert of the same server and rule joins the open one; no second request."""
    open_alert.occurrences += 1
    open_alert.last_occurrence_at = new.firing_at or now
    open_alert.save(update_fields=["occurrences", "last_occurrence_at"])
    new.request = open_alert.request
    new.impact = open_alert.impact
    new.level = open_alert.level
    new.save()
    if open_alert.request is not None:
        _internal_note(
            open_alert.request,
            _("Nouvelle occurrence rattachée à l'alerte : %(what)s (occurrence n° %(n)d).")
            % {"what": _describe(new), "n": open_alert.occurrences},
            now,
        )


def fold_repeat(alert: MonitoringAlert, at: datetime) -> MonitoringAlert:
    """Count one more occurrence of an open alert (a re-sent or re-fired alert, MON-3)."""
    MonitoringAlert.objects.filter(pk=alert.pk).update(
        occurrences=F("occurrences") + 1, last_occurrence_at=at
    )
    alert.refresh_from_db()
    return alert


def _act(alert: MonitoringAlert, offer: Offer, now: datetime, *, timer_from: datetime) -> None:
    """Do what the alert's impact calls for that is not done yet (the caller saves)."""
    plan = triage_plan(offer, alert.impact)
    described = _describe(alert)
    contacts = client_contacts(alert.server.site.client_id)
    to_client = [u.email for u in contacts if u.email]
    if "acknowledge" in plan.actions and alert.acknowledged_at is None:
        alert.acknowledged_at = now
    if "mail-or-call" in plan.actions:
        instructions = instructions_for(alert.rule)
        _queue(
            alert,
            to_client,
            _("Alerte de surveillance : %(what)s") % {"what": alert.summary or alert.rule},
            _(
                "La télésurveillance Prevent Care a relevé : %(what)s.\n\n"
                "Ce que vous pouvez faire : %(instructions)s\n\n"
                "Notre équipe suit l'alerte et vous appellera si nécessaire.\n%(url)s\n"
            )
            % {"what": described, "instructions": instructions, "url": _portal_url(alert)},
            "monitoring-minor",
        )
        _queue(
            alert,
            team_addresses(),
            _("Alerte mineure : %(what)s") % {"what": described},
            _("Le client a reçu les consignes par mail ; appelez-le si nécessaire.\n%(url)s\n")
            % {"url": _board_url()},
            "monitoring-minor",
        )
    if "open-request" in plan.actions and alert.request is None:
        alert.request = _open_request(alert, contacts, now)
        if alert.request is None:
            _queue(
                alert,
                team_addresses(),
                _("Demande non ouverte : %(what)s") % {"what": described},
                _(
                    "Le client n'a aucun compte actif : aucune demande n'a pu être ouverte. "
                    "Appelez-le.\n%(url)s\n"
                )
                % {"url": _board_url()},
                "monitoring-no-request",
            )
    if "mail-client" in plan.actions and alert.request is not None:
        _queue(
            alert,
            to_client,
            _("Alerte significative : %(what)s") % {"what": alert.summary or alert.rule},
            _(
                "La télésurveillance Prevent Care a relevé : %(what)s.\n"
                "Nous avons ouvert la demande %(number)s et la traitons.\n%(url)s\n"
            )
            % {
                "what": described,
                "number": alert.request.number,
                "url": f"{settings.SITE_URL}/demandes/{alert.request.number}/",
            },
            "monitoring-significant",
            alert.request,
        )
    if "phone-call" in plan.actions and not alert.calls.exists():
        PhoneCallTask.objects.create(alert=alert, created_at=now)
        alert.diagnosis_due_at = diagnosis_due(  # MON-3: level 1, at most 1 h
            plan, timer_from, alert.diagnosis_due_at, escalated=alert.escalated_at is not None
        )
        due = (
            timezone.localtime(alert.diagnosis_due_at).strftime("%H:%M")
            if alert.diagnosis_due_at
            else "—"
        )
        _queue(
            alert,
            team_addresses(),
            _("ALERTE MAJEURE : %(what)s") % {"what": described},
            _(
                "Appelez le client (%(client)s) et établissez le diagnostic de niveau 1 avant "
                "%(due)s ; passé ce délai l'alerte passe au niveau 2.\n%(url)s\n"
            )
            % {"client": alert.server.site.client.name, "due": due, "url": _board_url()},
            "monitoring-major",
            alert.request,
        )


def _open_request(alert: MonitoringAlert, contacts: list[Any], now: datetime) -> Request | None:
    """Open the support request of a significant or major alert (REQ-1, channel monitoring)."""
    if not contacts:
        return None
    filer = contacts[0]
    rule_label = rule_defaults(alert.server.site.contract.offer_version.offer).get(
        alert.rule, (alert.rule, None)
    )[0]
    title = f"Télésurveillance — {alert.server.hostname} : {alert.summary or rule_label}"
    title = without_control_characters(title, multiline=False)  # machine text (issue 13)
    new = NewRequest(
        kind="anomaly",
        title=title[:200],
        description=_(
            "Alerte %(impact)s relevée par la télésurveillance Prevent Care.\n\n"
            "Serveur : %(server)s (site %(site)s)\nRègle : %(rule)s\nDepuis le : %(at)s"
        )
        % {
            "impact": Impact(alert.impact).label,
            "server": alert.server.hostname,
            "site": alert.server.site.name,
            "rule": rule_label,
            "at": f"{timezone.localtime(alert.firing_at or now):%d/%m/%Y %H:%M}",
        },
        error_messages=without_control_characters(alert.summary, multiline=True),
        priority=request_priority(alert.impact),
    )
    return support.file_request(
        filer=filer,
        contract=support_contract(alert),
        new=new,
        channel="monitoring",
        at=now,
        recorded_by=system_user(),
    )


def _internal_note(request: Request, text: str, now: datetime) -> None:
    support.comment(request, system_user(), text, internal=True, at=now)


# --------------------------------------------------------------------------- after triage


@transaction.atomic
def resolve_alert(alert: MonitoringAlert, resolved_at: datetime) -> MonitoringAlert:
    """The alert is over: resolved, with a note on its request (which stays open)."""
    alert = _locked(alert)
    if alert.resolved_at is not None:
        return alert
    alert.state = AlertState.RESOLVED
    alert.resolved_at = resolved_at
    alert.save(update_fields=["state", "resolved_at"])
    if alert.request is not None and alert.request.is_open:
        support.comment(
            alert.request,
            system_user(),
            _("L'alerte est résolue depuis le %(at)s : %(what)s. La demande reste ouverte.")
            % {"at": f"{timezone.localtime(resolved_at):%d/%m/%Y %H:%M}", "what": _describe(alert)},
            at=max(resolved_at, alert.request.registered_at),
        )
    return alert


@transaction.atomic
def set_alert_impact(actor: User, alert: MonitoringAlert, impact: str, now: datetime) -> None:
    """An operator changes one alert's impact (MON-3); a higher impact adds its actions, a lower
    one undoes nothing already done."""
    require_vendor(actor)
    if impact not in IMPACTS:
        raise ServiceError("invalid", f"impact inconnu « {impact} »", field="impact")
    alert = _locked(alert)
    previous = alert.impact
    if previous == impact and alert.triaged_at is not None:
        return  # nothing changes: no mail is sent again
    alert.impact, alert.impact_overridden_by = impact, actor
    if alert.triaged_at is None:
        alert.triaged_at = now
    if alert.resolved_at is None:
        _act(alert, alert.server.site.contract.offer_version.offer, now, timer_from=now)
    alert.save()
    if alert.request is not None and previous != impact:
        _internal_note(
            alert.request,
            _("Impact de l'alerte changé de « %(old)s » à « %(new)s ».")
            % {
                "old": Impact(previous).label if previous in IMPACTS else previous,
                "new": Impact(impact).label,
            },
            now,
        )


@transaction.atomic
def acknowledge(actor: User, alert: MonitoringAlert, now: datetime) -> None:
    """A technician has seen the alert."""
    require_vendor(actor)
    MonitoringAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, acknowledged_by=actor
    )


@transaction.atomic
def record_call(actor: User, call: PhoneCallTask, notes: str, now: datetime) -> None:
    """MON-3 major: the client was called; what was said goes on the request (internal)."""
    require_vendor(actor)
    if not notes.strip():
        raise ServiceError("invalid", "résumez l'appel", field="notes")
    call = (
        PhoneCallTask.objects.select_for_update(of=("self",))
        .select_related("alert__request")
        .get(pk=call.pk)
    )
    if call.done_at is not None:
        raise ServiceError("already-done", "cet appel est déjà enregistré", field="notes")
    call.done_at, call.done_by, call.notes = now, actor, notes.strip()
    call.save()
    if call.alert.request is not None:
        support.comment(
            call.alert.request,
            actor,
            _("Appel du client : %(n)s") % {"n": call.notes},
            internal=True,
            at=now,
        )


@transaction.atomic
def diagnosis_done(actor: User, alert: MonitoringAlert, text: str, now: datetime) -> None:
    """MON-3 major: the level-1 diagnosis is established in time; the timer stops."""
    require_vendor(actor)
    if not text.strip():
        raise ServiceError("invalid", "décrivez le diagnostic", field="text")
    alert = _locked(alert)
    if alert.escalated_at is not None or alert.diagnosis_due_at is None:
        raise ServiceError(
            "no-timer", "cette alerte n'a pas de diagnostic de niveau 1 en cours", field="text"
        )
    alert.diagnosis_due_at = None
    alert.save(update_fields=["diagnosis_due_at"])
    if alert.request is not None:
        support.comment(
            alert.request,
            actor,
            _("Diagnostic de niveau 1 : %(t)s") % {"t": text.strip()},
            internal=True,
            at=now,
        )


# --------------------------------------------------------------------------- escalation


def notify_escalation(alert: MonitoringAlert, now: datetime) -> None:
    """MON-3: the note and the level-2 mail of an alert just escalated (the caller claimed it,
    ``livret.monitoring.jobs``)."""
    described = _describe(alert)
    if alert.request is not None:
        _internal_note(
            alert.request,
            _("Diagnostic de niveau 1 non établi en 1 heure : alerte escaladée au niveau 2."),
            now,
        )
    _queue(
        alert,
        level2_addresses(),
        _("Escalade niveau 2 : %(what)s") % {"what": described},
        _(
            "Le diagnostic de niveau 1 n'a pas été établi dans l'heure (client %(client)s). "
            "L'alerte vous est confiée.\n%(url)s\n"
        )
        % {"client": alert.server.site.client.name, "url": _board_url()},
        "monitoring-escalation",
        alert.request,
    )
