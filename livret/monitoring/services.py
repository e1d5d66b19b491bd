"""Sites, servers, technical documents, preventive visits and impact settings (MON-3..5).

Every change is an atomic function that checks who may make it (vendor staff) and refuses bad
input with a :class:`~livret.errors.ServiceError` naming the field. The numbers come
from ``livret.core.sites`` (MON-4 set-up length, MON-5 visits a year), read from the offer.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from livret.accounts.services import PREFIX_LENGTH
from livret.core.offer.schema import Offer
from livret.core.sites import SiteError, setup_days, visits_per_year
from livret.errors import ServiceError
from livret.monitoring import evaluation, tokens
from livret.monitoring.models import (
    BackupJob,
    Impact,
    ImpactSetting,
    MonitoringAlert,
    PreventiveVisit,
    Server,
    ServerToken,
    Site,
)
from livret.monitoring.triage import rule_defaults
from livret.support import services as support
from livret.tenants.access import display_name, require_vendor
from livret.tenants.models import Contract

log = logging.getLogger("livret.monitoring")

VISITS_SECTION = "Visites préventives"
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$")


def offer_of(site: Site) -> Offer:
    """The offer of the site's (PreventCare) contract."""
    return site.contract.offer_version.offer


# --------------------------------------------------------------------------- MON-4, MON-5


def setup_length(site: Site, servers: int | None = None) -> int | None:
    """MON-4: set-up length in days (None: quoted); SiteError when the site has no server."""
    monitoring = offer_of(site).monitoring
    count = site.servers.count() if servers is None else servers
    if monitoring is None or not monitoring.setup:
        return None
    return setup_days(monitoring.setup, users=site.users_count, servers=count)


def visits_due(site: Site, servers: int | None = None) -> int:
    """MON-5: preventive visits a year for the site (two, plus one per server beyond the first)."""
    monitoring = offer_of(site).monitoring
    if monitoring is None or monitoring.visits is None:
        return 0
    count = site.servers.count() if servers is None else servers
    return visits_per_year(monitoring.visits, servers=count)


def document_sections(site: Site) -> list[tuple[str, str]]:
    """MON-4: the technical document's sections in the offer's order, then any other (visits)."""
    listed = offer_of(site).monitoring
    order = list(listed.technical_document) if listed else []
    document = site.technical_document or {}
    extra = [name for name in document if name not in order]
    return [(name, str(document.get(name, ""))) for name in order + extra]


def editable_sections(site: Site) -> list[str]:
    """The sections a technician writes: the offer's; the visits section is appended only."""
    listed = offer_of(site).monitoring
    return list(listed.technical_document) if listed else []


# --------------------------------------------------------------------------- sites, servers


@transaction.atomic
def create_site(actor: User, *, contract: Contract, name: str, users_count: int) -> Site:
    """A new site of a client under a monitoring contract (MON-4)."""
    require_vendor(actor)
    if contract.offer_version.offer.monitoring is None:
        raise ServiceError(
            "invalid", "ce contrat n'est pas un contrat de télésurveillance", field="contract"
        )
    if not name.strip():
        raise ServiceError("invalid", "le nom du site est obligatoire", field="name")
    if users_count < 1:
        raise ServiceError("invalid", "un site a au moins 1 utilisateur", field="users_count")
    return Site.objects.create(
        client_id=contract.client_id,
        contract=contract,
        name=name.strip()[:200],
        users_count=users_count,
    )


@transaction.atomic
def update_site(actor: User, site: Site, *, name: str, users_count: int) -> Site:
    """Rename the site or change its number of users (MON-4 set-up length follows)."""
    require_vendor(actor)
    if not name.strip():
        raise ServiceError("invalid", "le nom du site est obligatoire", field="name")
    if users_count < 1:
        raise ServiceError("invalid", "un site a au moins 1 utilisateur", field="users_count")
    site.name, site.users_count = name.strip()[:200], users_count
    site.save(update_fields=["name", "users_count"])
    return site


@transaction.atomic
def add_server(
    actor: User,
    site: Site,
    *,
    hostname: str,
    role: str = "",
    os: str = "windows",
    watched_services: list[str] | None = None,
) -> Server:
    """A server of the site under monitoring (MON-1); its agent gets a token separately."""
    require_vendor(actor)
    hostname = hostname.strip()
    if not _HOSTNAME.match(hostname) or len(hostname) > 200:
        raise ServiceError(
            "invalid",
            "nom d'hôte invalide (lettres, chiffres, tirets et points, sans espace)",
            field="hostname",
        )
    if Server.objects.filter(hostname__iexact=hostname).exists():
        raise ServiceError("duplicate", f"le serveur « {hostname} » existe déjà", field="hostname")
    if os not in Server.Os.values:
        raise ServiceError("invalid", f"système inconnu « {os} »", field="os")
    return Server.objects.create(
        site=site,
        hostname=hostname,
        role=role.strip()[:200],
        os=os,
        watched_services=[s.strip() for s in watched_services or [] if s.strip()],
    )


@transaction.atomic
def update_section(actor: User, site: Site, section: str, text: str) -> Site:
    """Write one section of the technical document (MON-4); the visits section is appended
    only by :func:`record_visit`."""
    require_vendor(actor)
    if section not in editable_sections(site):
        raise ServiceError("invalid", f"section inconnue « {section} »", field="section")
    site = Site.objects.select_for_update().get(pk=site.pk)
    document = dict(site.technical_document or {})
    document[section] = text.strip()
    site.technical_document = document
    site.save(update_fields=["technical_document"])
    return site


# --------------------------------------------------------------------------- visits (MON-5)


def _spread(start: date, end: date, count: int) -> list[date]:
    """``count`` days spread evenly from ``start`` to ``end`` (each in the middle of its share)."""
    span = (end - start).days + 1
    return [start + timedelta(days=int((i + 0.5) * span / count)) for i in range(count)]


@transaction.atomic
def plan_visits(site: Site, year: int, *, actor: User | None = None) -> list[PreventiveVisit]:
    """MON-5: plan the year's visits, spread over the contract's part of the year on business
    days of the monitoring calendar. Visits already planned stay; only missing ones are added.
    """
    if actor is not None:
        require_vendor(actor)
    if not 2000 <= year <= 2100:
        raise ServiceError("invalid", "année invalide", field="year")
    try:
        wanted = visits_due(site)
    except SiteError as error:
        raise ServiceError("invalid", str(error), field="servers") from None
    start = max(date(year, 1, 1), site.contract.start_date)
    end = date(year, 12, 31)
    if start > end:
        raise ServiceError("invalid", f"le contrat commence après l'année {year}", field="year")
    site = Site.objects.select_for_update().get(pk=site.pk)
    existing = site.visits.filter(year=year).count()
    if existing >= wanted:
        return []
    monitoring = offer_of(site).monitoring
    calendar = support.support_calendar(
        site.contract, monitoring.calendar if monitoring else "support"
    )
    planned = []
    for day in _spread(start, end, wanted)[existing:]:
        while not calendar.is_business_day(day) and day < end:
            day += timedelta(days=1)
        while not calendar.is_business_day(day) and day > start:
            day -= timedelta(days=1)
        planned.append(PreventiveVisit.objects.create(site=site, year=year, planned_for=day))
    return planned


@transaction.atomic
def record_visit(
    actor: User, visit: PreventiveVisit, done_on: date, report: str, *, now: datetime | None = None
) -> PreventiveVisit:
    """MON-5: a visit is done; its report is appended to the site's technical document under
    « Visites préventives », with the date and the technician."""
    require_vendor(actor)
    now = now or timezone.now()
    if not report.strip():
        raise ServiceError("invalid", "le compte rendu est obligatoire", field="report")
    if done_on > timezone.localdate(now):
        raise ServiceError("invalid", "la date de visite est dans le futur", field="done_on")
    if done_on.year != visit.year:
        raise ServiceError(
            "invalid", f"la visite est celle de l'année {visit.year}", field="done_on"
        )
    visit = (
        PreventiveVisit.objects.select_for_update(of=("self",))
        .select_related("site")
        .get(pk=visit.pk)
    )
    if visit.done_on is not None:
        raise ServiceError("already-done", "cette visite a déjà son compte rendu", field="visit")
    visit.done_on, visit.technician, visit.report = done_on, actor, report.strip()
    visit.report_added_at = now
    visit.save()
    site = Site.objects.select_for_update().get(pk=visit.site_id)
    document = dict(site.technical_document or {})
    author = display_name(actor)
    entry = f"Visite du {done_on:%d/%m/%Y} — {author}\n{visit.report}"
    previous = str(document.get(VISITS_SECTION, "")).strip()
    document[VISITS_SECTION] = f"{previous}\n\n{entry}" if previous else entry
    site.technical_document = document
    site.save(update_fields=["technical_document"])
    return visit


# --------------------------------------------------------------------------- impacts (MON-3)


def known_rules() -> dict[str, tuple[str, str]]:
    """Rule id -> (label, default impact) over the monitoring offers of existing sites, then
    the other rules alerts were raised for (backups, Alertmanager's own rules: their impact is
    given by their source, so the default is empty)."""
    rules: dict[str, tuple[str, str]] = {}
    versions = Contract.objects.filter(sites__isnull=False).select_related("offer_version")
    for contract in versions.distinct():
        for rule, value in rule_defaults(contract.offer_version.offer).items():
            rules.setdefault(rule, value)
    seen = MonitoringAlert.objects.values_list("rule", flat=True).distinct().order_by("rule")
    for rule in seen:
        rules.setdefault(rule, (rule, ""))
    return rules


@transaction.atomic
def set_impact(
    actor: User,
    rule: str,
    impact: str,
    server: Server | None = None,
    *,
    now: datetime | None = None,
) -> ImpactSetting | None:
    """MON-3: override a rule's default impact, on one server or on all; an empty impact
    removes the override (back to the rule's default). Applies to alerts triaged from now on."""
    require_vendor(actor)
    if not rule.strip():
        raise ServiceError("invalid", "choisissez une règle", field="rule")
    if impact and impact not in Impact.values:
        raise ServiceError("invalid", f"impact inconnu « {impact} »", field="impact")
    settings = ImpactSetting.objects.filter(rule=rule, server=server)
    if not impact:
        settings.delete()
        return None
    setting, _ = ImpactSetting.objects.update_or_create(
        rule=rule,
        server=server,
        defaults={"impact": impact, "changed_by": actor, "changed_at": now or timezone.now()},
    )
    return setting


# --------------------------------------------------------------------------- backup jobs (MON-2)

BACKUP_JOB_NAME_MAX = 100  # BackupJob.name and the API's ``results.N.job``
_HH_MM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _now() -> datetime:
    """The current instant (``add_backup_job``'s ``timezone`` argument hides the module)."""
    return timezone.now()


def _due_time(value: time | str) -> time:
    """A due time given as a ``time`` or as ``HH:MM`` text."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    match = _HH_MM.match(str(value).strip())
    try:
        if match is None:
            raise ValueError(value)
        return time(int(match[1]), int(match[2]))
    except ValueError:
        raise ServiceError(
            "invalid", f"heure invalide « {value} » (attendu HH:MM)", field="due_time"
        ) from None


def _zone(name: str) -> str:
    """An IANA time zone name (``Europe/Paris``, ``America/Martinique``), checked."""
    name = name.strip()
    try:
        if not name or len(name) > 64:
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ServiceError(
            "invalid",
            f"fuseau horaire inconnu « {name} » (par exemple Europe/Paris)",
            field="timezone",
        ) from None
    return name


@transaction.atomic
def add_backup_job(
    actor: User,
    server: Server,
    name: str,
    due_time: time | str,
    timezone: str = "Europe/Paris",
    *,
    now: datetime | None = None,
) -> BackupJob:
    """MON-2: declare a backup job of ``server`` whose result is expected every day before
    ``due_time`` (local time in ``timezone``); a result not received by then raises a
    ``backup-missing`` alert (worker job ``monitoring-backups``). ``name`` is the job name the
    results carry (``results.N.job`` of the API), unique on the server."""
    require_vendor(actor)
    name = name.strip()
    if not name:
        raise ServiceError("invalid", "le nom de la tâche est obligatoire", field="name")
    if len(name) > BACKUP_JOB_NAME_MAX or not name.isprintable():
        raise ServiceError(
            "invalid",
            f"nom de tâche invalide (au plus {BACKUP_JOB_NAME_MAX} caractères imprimables)",
            field="name",
        )
    when, zone = _due_time(due_time), _zone(timezone)
    server = Server.objects.select_for_update().get(pk=server.pk)
    if server.backup_jobs.filter(name__iexact=name).exists():
        raise ServiceError(
            "duplicate",
            f"le serveur {server.hostname} a déjà une tâche « {name} »",
            field="name",
        )
    job = BackupJob(server=server, name=name, due_time=when, timezone=zone)
    job.next_due_at = evaluation.next_backup_due(job, now or _now())
    job.save()
    return job


@transaction.atomic
def remove_backup_job(actor: User, job: BackupJob, *, now: datetime | None = None) -> None:
    """MON-2: stop expecting a backup job's results. Its open ``backup-missing`` alert is
    resolved (no result will ever come to resolve it); its results stay in the history."""
    require_vendor(actor)
    job = BackupJob.objects.select_related("server").select_for_update(of=("self",)).get(pk=job.pk)
    evaluation.resolve_open(job.server, evaluation.BACKUP_MISSING, job.name, now or timezone.now())
    job.delete()


# --------------------------------------------------------------------------- agent tokens


def create_agent_token(actor: User, server: Server) -> str:
    """A new agent token for ``server`` (``livret.monitoring.tokens``); the returned string
    is its only copy: show it once."""
    require_vendor(actor)
    token = tokens.create_server_token(server)
    log.info(
        "agent token %s… created for %s by %s",
        token[:PREFIX_LENGTH],
        server.hostname,
        actor.get_username(),
    )
    return token


@transaction.atomic
def revoke_agent_token(actor: User, token: ServerToken) -> ServerToken:
    """Revoke one agent token at once: its agent gets 401 from its next batch on."""
    require_vendor(actor)
    token = ServerToken.objects.select_for_update().select_related("server").get(pk=token.pk)
    if token.revoked:
        raise ServiceError("already-revoked", "ce jeton est déjà révoqué", field="token")
    token.revoked = True
    token.save(update_fields=["revoked"])
    log.info(
        "agent token %s… of %s revoked by %s",
        token.prefix,
        token.server.hostname,
        actor.get_username(),
    )
    return token
