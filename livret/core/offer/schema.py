"""The offer schema (SPEC OFF-1): every number and rule of one service booklet, as data.

An offer file is TOML. Its top level names the offer; each section below holds one area of
the booklet (calendars, support, anomalies, availability, maintenance, backups, …) and carries
``source``, the seed section its values come from (SPEC OFF-2), plus an optional ``note`` that
records the reading livret takes where the seed is ambiguous.

Every duration is a table ``{ amount = 8, unit = "business_hours" }`` so its kind is never
implicit (business hours, business days, calendar days, wall-clock hours, months, …).

Cross-references (a formula or calendar named somewhere but never defined) are checked by
:func:`reference_problems`, so that the loader can report each with its own field path.
"""

from __future__ import annotations

import itertools
import re
import zoneinfo
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from livret.core.territory import UnknownTerritoryError, expand_territories

SCHEMA_VERSION = 1


class Model(BaseModel):
    """Base of every offer model: unknown fields are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_source(value: str) -> str:
    if not value.strip():
        raise ValueError("a seed section is required, for example 'Q §14'")
    return value


SeedSection = Annotated[str, AfterValidator(_check_source)]


class Sourced(Model):
    """A section of the booklet: its values come from ``source`` (a seed section)."""

    source: SeedSection
    note: str | None = None


# --------------------------------------------------------------------------- durations


class Unit(StrEnum):
    """The kind of a duration; business units count only inside a named calendar."""

    BUSINESS_HOURS = "business_hours"
    BUSINESS_DAYS = "business_days"
    CALENDAR_DAYS = "calendar_days"
    MINUTES = "minutes"
    HOURS = "hours"
    WEEKS = "weeks"
    MONTHS = "months"
    YEARS = "years"


UNIT_LABELS_FR: dict[Unit, tuple[str, str]] = {
    Unit.BUSINESS_HOURS: ("heure ouvrée", "heures ouvrées"),
    Unit.BUSINESS_DAYS: ("jour ouvré", "jours ouvrés"),
    Unit.CALENDAR_DAYS: ("jour calendaire", "jours calendaires"),
    Unit.MINUTES: ("minute", "minutes"),
    Unit.HOURS: ("heure", "heures"),
    Unit.WEEKS: ("semaine", "semaines"),
    Unit.MONTHS: ("mois", "mois"),
    Unit.YEARS: ("an", "ans"),
}


class Duration(Model):
    """An amount of time of an explicit kind, for example 8 business hours."""

    amount: float = Field(gt=0)
    unit: Unit

    def label_fr(self) -> str:
        """French reading, for example ``8 heures ouvrées``."""
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        singular, plural = UNIT_LABELS_FR[self.unit]
        text_amount = str(amount).replace(".", ",")
        return f"{text_amount} {singular if amount == 1 else plural}"


# --------------------------------------------------------------------------- calendars

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS_FR: dict[str, str] = {
    "mon": "lundi",
    "tue": "mardi",
    "wed": "mercredi",
    "thu": "jeudi",
    "fri": "vendredi",
    "sat": "samedi",
    "sun": "dimanche",
}

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


def parse_clock(value: str) -> int:
    """Minutes after local midnight of an ``HH:MM`` wall-clock time; ``24:00`` is 1440."""
    if not _CLOCK.match(value):
        raise ValueError(f"{value!r} is not a time of day HH:MM (00:00 to 24:00)")
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _check_clock(value: str) -> str:
    parse_clock(value)
    return value


Clock = Annotated[str, AfterValidator(_check_clock)]


def _check_interval(value: tuple[str, str]) -> tuple[str, str]:
    start, end = value
    if parse_clock(end) <= parse_clock(start):
        raise ValueError(f"interval closes at {end} before it opens at {start}")
    return value


Interval = Annotated[tuple[Clock, Clock], AfterValidator(_check_interval)]


def _check_timezone(value: str) -> str:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]


class CalendarSpec(Sourced):
    """Opening intervals per weekday, read in local wall-clock time (SPEC CAL-1..3).

    ``timezone`` is the zone of a metropolitan client; an overseas contract's territory gives
    its own zone where ``follows_territory_zone`` is true (S §5, §6). ``holidays`` says what a
    public holiday of the contract's territory is: ``closed`` (a business calendar) or
    ``open-all-day`` (a maintenance window, open at any time on holidays).
    """

    label: str
    timezone: TimeZoneName = "Europe/Paris"
    follows_territory_zone: bool = True
    weekdays: dict[Weekday, list[Interval]]
    holidays: Literal["closed", "open-all-day"] = "closed"
    extra_closed_days: list[date] = []
    worked_holidays: list[str] = Field(
        default=[], description="holidays worked anyway: an ISO date or a holiday's name"
    )
    placeholder: bool = Field(
        default=False, description="hours the seed does not give; an operator must confirm them"
    )

    @field_validator("weekdays")
    @classmethod
    def _intervals_do_not_overlap(
        cls, value: dict[Weekday, list[tuple[str, str]]]
    ) -> dict[Weekday, list[tuple[str, str]]]:
        for day, intervals in value.items():
            ordered = sorted((parse_clock(a), parse_clock(b)) for a, b in intervals)
            for (_, end), (start, _) in itertools.pairwise(ordered):
                if start < end:
                    raise ValueError(f"{day}: opening intervals overlap")
        return value

    def minutes(self, day: Weekday) -> list[tuple[int, int]]:
        """The opening intervals of a weekday as minutes after local midnight, in order."""
        return sorted((parse_clock(a), parse_clock(b)) for a, b in self.weekdays.get(day, []))


# --------------------------------------------------------------------------- offer sections


class Territories(Sourced):
    """Where the offer is sold: territory codes or the groups ``metropolitan``/``overseas``."""

    sold_in: list[str] = Field(min_length=1)

    @field_validator("sold_in")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            try:
                expand_territories([name])
            except UnknownTerritoryError as error:
                raise ValueError(str(error)) from None
        return value

    def codes(self) -> tuple[str, ...]:
        """Canonical territory codes, groups expanded."""
        return expand_territories(self.sold_in)


class Formula(Sourced):
    """A service level of the offer (E: Connect, Open, Private; others: one ``standard``)."""

    label: str
    description: str = ""
    support: bool = Field(default=True, description="whether support SLA commitments apply")
    priority_line: bool = Field(default=False, description="REQ-9 priority calls (E §12.9)")
    calendars: dict[str, str] = Field(
        default={}, description="calendar roles this formula reads from another calendar"
    )
    dashboard: bool = Field(default=False, description="personalised dashboard (E §12.11)")


Priority = Literal["critical", "high", "moderate"]
PRIORITY_LABELS_FR: dict[str, str] = {
    "critical": "Critique",
    "high": "Élevée",
    "moderate": "Modérée",
}


class PickupTargets(Sourced):
    """Pickup deadline of one formula, either one for all requests or per priority (REQ-4)."""

    default: Duration | None = None
    critical: Duration | None = None
    high: Duration | None = None
    moderate: Duration | None = None

    @model_validator(mode="after")
    def _some_target(self) -> PickupTargets:
        if not any((self.default, self.critical, self.high, self.moderate)):
            raise ValueError("give 'default' or a deadline per priority")
        return self

    def for_priority(self, priority: Priority | None) -> Duration | None:
        """The deadline for a request of that priority (falls back to ``default``)."""
        by_priority = {"critical": self.critical, "high": self.high, "moderate": self.moderate}
        return (by_priority[priority] if priority else None) or self.default


class Compliance(Sourced):
    """REQ-7: share of requests picked up in time, per rolling period from support start."""

    target_percent: float = Field(gt=0, le=100)
    period: Duration


class EligibilityRule(Sourced):
    """REQ-8: a condition for support; a request from an ineligible client is flagged."""

    id: Literal[
        "users-trained",
        "supported-version",
        "remote-assistance",
        "technical-prerequisites",
        "supported-environment",
    ]
    label: str
    latest_major_versions: int | None = Field(
        default=None, gt=0, description="C: one of the N latest major versions"
    )


class RemoteAssistance(Sourced):
    """REQ-10: remote sessions are booked only inside the named calendar's hours."""

    calendar: str = "support"


class OutOfScopeWork(Model):
    """REQ-3: work outside support, offered as a billable service, never dropped."""

    id: str
    label: str


class Support(Sourced):
    """How requests are filed and the pickup commitments (REQ-1..4, REQ-7..10)."""

    calendar: str = "support"
    channels: list[Literal["portal", "phone", "email"]] = ["portal", "phone"]
    phone_calendar: str | None = None
    phone_requires_portal_request: bool = False
    acknowledgement: bool = True
    filing_guidance: list[str] = []
    pickup: dict[str, PickupTargets] = Field(default={}, description="pickup deadline per formula")
    compliance: Compliance | None = None
    eligibility: list[EligibilityRule] = []
    remote_assistance: RemoteAssistance | None = None
    out_of_scope: list[OutOfScopeWork] = []


class Criticity(Model):
    """One of the three anomaly classes defined in every seed's article 1 (REQ-5)."""

    label: str
    definition: str


class AnomalyDeadline(Sourced):
    """A deliverable due within a duration after qualification, for some criticities."""

    criticities: list[Literal[1, 2, 3]] = Field(min_length=1)
    within: Duration


class Anomalies(Sourced):
    """Criticities and the deadlines that run from qualification (REQ-5, REQ-6, REQ-6b)."""

    calendar: str = "support"
    formulas: list[str] | None = Field(
        default=None, description="formulas these deadlines apply to; none listed means all"
    )
    criticities: dict[Literal["1", "2", "3"], Criticity]
    action_plan: AnomalyDeadline | None = None
    fix: AnomalyDeadline | None = None
    client_validation: Duration | None = None
    pause_while_waiting_for_client: bool = True


class CustomerService(Sourced):
    """Q §16: account, administrative, contract and complaint requests, without SLA."""

    calendar: str = "customer-service"
    topics: list[str] = []


Cause = Literal[
    "maintenance", "urgent-maintenance", "force-majeure", "client-equipment", "out-of-perimeter"
]


class Availability(Sourced):
    """AVL-1..3: TD over the reference period (PRT), per calendar month, against a target."""

    target_percent: float = Field(gt=0, le=100)
    calendar: str = "availability"
    period: Literal["month"] = "month"
    excluded_causes: list[Cause] = []
    production_only: bool = True


class Maintenance(Sourced):
    """MNT-1, MNT-2: the planned-maintenance window, notice, and blocking work."""

    calendar: str = "maintenance"
    notice: Duration
    blocking_not_before: Clock | None = Field(
        default=None, description="on weekdays, no blocking work before this time (Q, E)"
    )
    urgent_any_time: bool = True
    status_page: bool = True


class BackupTier(Model):
    """A backup cycle and how long each of its copies is kept (BKP-2)."""

    name: str
    every: Literal["day", "week", "month"]
    day_of_month: int | None = Field(default=None, ge=1, le=28)
    keep: Duration


class DocumentBackup(Model):
    """Q/E: the shared document space, backed up daily, restorable to its last backup."""

    every: Literal["day"] = "day"
    restore: Literal["last-backup"] = "last-backup"


class Backups(Sourced):
    """BKP-1..3: daily cycles, copies in distinct places, retention tiers."""

    copies: int = Field(default=2, ge=1)
    distinct_sites: bool = True
    tiers: list[BackupTier] = Field(min_length=1)
    documents: DocumentBackup | None = None
    restore_on_request: bool = True


class History(Sourced):
    """RET-1: movements kept for N years (the current one and N-1 previous)."""

    years: int = Field(gt=0)
    purged_by: Literal["client", "vendor"] = "client"
    tax_data_kept: bool = True


class Dossiers(Sourced):
    """RET-2 (E §4): active, inactive and unused dossiers, the keep flag and its billing."""

    active_within: Duration
    unused_after: Duration
    keep_flag_default_for_unused: bool = True
    auto_flag_year: int = Field(gt=0, description="year without activity when the flag is set")
    auto_flag_quarter: int = Field(ge=1, le=4)
    clear_until: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD of that year")
    billing: Literal["monthly-per-dossier"] = "monthly-per-dossier"
    billing_stops_after: Duration
    billing_stop_cutoff_day: int = Field(ge=1, le=31)
    shifted_closing_extra_free_months: int = Field(ge=0)
    deleted_on_removal: list[str] = []
    kept_on_removal: list[str] = []
    recovery_window: Duration


class Documents(Sourced):
    """RET-3: the shared document space, its quota and its accepted formats."""

    quota_gb: float = Field(gt=0)
    quota_per: Literal["client", "user"]
    formats: list[Literal["word", "excel", "powerpoint", "pdf", "image"]] = Field(min_length=1)
    checked_by_content: bool = True
    folders: list[Literal["private", "shared"]] = ["private", "shared"]


class AccountKind(Model):
    """ACC-1: a kind of account and who creates it."""

    id: str
    label: str
    purpose: str
    created_by: Literal["vendor", "client"]
    on_client_instructions: bool = False
    initial_password_by_vendor: bool = False
    change_password_at_first_login: bool = False


class Accounts(Sourced):
    """ACC-1..3: account kinds, rights assigned by the client, deactivation at once."""

    kinds: list[AccountKind] = Field(min_length=1)
    rights_assigned_by: Literal["client", "vendor"] = "client"
    client_deactivates_stolen_accounts: bool = True


class Learning(Sourced):
    """LRN-1..5: learning phase, certification exam, usage questions, content levels."""

    learning_phase: Duration | None = None
    pass_percent: float | None = Field(default=None, gt=0, le=100)
    retake_wait: Duration | None = None
    certificate: Literal["nominative"] | None = None
    invalidated_by_major_update: bool = False
    free_usage_questions_for: list[Literal["certified", "learning-phase"]] = []
    paid_usage_help_after_phase: bool = False
    content_levels: dict[str, list[str]] = Field(
        default={}, description="per formula, the inclusive content levels it opens"
    )
    m365_content: dict[str, list[str]] = Field(default={}, description="per formula")


class Pack(Sourced):
    """PCK-1..3: an optional pack (Assistance+, Service+)."""

    label: str
    description: str = ""
    commitment: Duration
    tacit_renewal: Duration | None = None
    appointments_per_year: Literal["as-bought"] | None = None
    extra_billed_after: Duration | None = None
    credits_validity: Duration | None = None
    unit_credits_for_holders_only: bool = False
    payable_in: list[Literal["euros", "credits"]] = []


class Billing(Sourced):
    """CTR-1..3: subscription billing and term."""

    every: Literal["quarter", "month", "year"] = "quarter"
    in_advance: bool = True
    first_invoice: Literal["access-codes-sent", "contract-start"] = "access-codes-sent"
    repriced_on_overage: list[Literal["named-users", "dossiers", "storage", "agents"]] = []
    term: Duration | None = None
    renewal: Duration | None = None
    non_renewal_notice: Duration | None = None
    notice_form: Literal["registered-letter"] | None = None


class Termination(Sourced):
    """CTR-5 (P): liability cap and termination after formal notice."""

    liability_cap_over: Duration | None = None
    cure_period: Duration | None = None
    immediate_if_unsupported_version: bool = False


class OptionSpec(Sourced):
    """OFF-3: a contract option, with the conditions the offer puts on it."""

    label: str
    description: str = ""
    requires: list[str] = []
    named_users_more_than: int | None = Field(default=None, ge=0)
    formulas: list[str] | None = None
    limits: dict[str, int] = {}


class Updates(Sourced):
    """MNT-4, MNT-5: kinds of update and what clients are told in advance."""

    kinds: list[Literal["new-version", "patch", "major", "minor"]] = Field(min_length=1)
    dates_announced: bool = True
    patches_without_notice: bool = True
    implementation_services_announced: bool = True
    agreed_date_option: str | None = Field(
        default=None, description="option id letting the client agree the date (E)"
    )
    regulatory_patches_excepted: bool = False


class MonitoringRule(Model):
    """MON-2: a condition on a metric that must hold for a duration before alerting."""

    id: str
    label: str
    metric: str
    above: float | None = None
    below: float | None = None
    duration: Duration | None = None
    schedule: Clock | None = Field(default=None, description="daily check at this local time")
    every: Duration | None = None
    repeat: Duration | None = Field(
        default=None, description="re-alert a firing alert at this interval until it resolves"
    )
    impact: Literal["none", "minor-moderate", "significant", "major-extended"] = "minor-moderate"

    @model_validator(mode="after")
    def _one_threshold(self) -> MonitoringRule:
        if self.above is not None and self.below is not None:
            raise ValueError("give either 'above' or 'below', not both")
        return self


class Heartbeat(Model):
    """MON-2: a heartbeat is expected every ``every``; missing after ``every`` + ``grace``."""

    every: Duration
    grace: Duration
    impact: Literal["major-extended"] = "major-extended"


class TriageLevel(Model):
    """MON-3: what the monitoring team does for an alert of this impact."""

    id: Literal["none", "minor-moderate", "significant", "major-extended"]
    label: str
    actions: list[
        Literal["acknowledge", "mail-or-call", "open-request", "mail-client", "phone-call"]
    ]
    level1_diagnosis_max: Duration | None = None


class SetupTier(Model):
    """MON-4: set-up length by site size; no ``days`` means quoted per contract."""

    min_users: int = Field(ge=0)
    max_users: int | None = None
    max_servers: int | None = None
    days: int | None = Field(default=None, gt=0)


class Visits(Model):
    """MON-5: preventive visits per year, plus one per server beyond the first."""

    per_year: int = Field(ge=0)
    per_extra_server: int = Field(ge=0)
    max_length: Duration


class Monitoring(Sourced):
    """MON-1..5 (P): sensors, rules, heartbeat, triage, set-up and visits."""

    calendar: str = "support"
    collection_interval: Duration
    sensors: list[str] = []
    rules: list[MonitoringRule] = []
    heartbeat: Heartbeat
    triage: list[TriageLevel] = []
    setup: list[SetupTier] = []
    technical_document: list[str] = []
    visits: Visits | None = None


class Knowledge(Sourced):
    """KB-1, KB-2: knowledge base, assistant, tutorials, open 24/7."""

    faq: bool = True
    assistant: bool = False
    tutorials: bool = False
    web_assistance: bool = False
    always_open: bool = True


class Reports(Sourced):
    """RPT-1, RPT-2: client dashboards and usage data."""

    dashboard: bool = True
    formulas: list[str] | None = None
    usage_statistics: bool = False
    knowledge_articles_consulted: bool = False
    usage_data_without_personal_data: bool = False


class Reading(Sourced):
    """A reading livret takes where the seed is ambiguous or silent (SPEC OFF-2)."""

    topic: str
    text: str


OfferKind = Literal["saas", "support", "monitoring"]


class Offer(Model):
    """One service booklet as data (SPEC OFF-1)."""

    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=64)
    version: str = Field(min_length=1, max_length=40, description="the booklet's own label")
    name: str
    vendor: str
    kind: OfferKind
    language: Literal["fr", "en"] = "fr"
    seed: str | None = Field(default=None, description="the original document")
    summary: str = ""

    territories: Territories
    formulas: dict[str, Formula] = Field(min_length=1)
    default_formula: str | None = None
    calendars: dict[str, CalendarSpec] = {}

    support: Support | None = None
    anomalies: Anomalies | None = None
    customer_service: CustomerService | None = None
    availability: Availability | None = None
    maintenance: Maintenance | None = None
    backups: Backups | None = None
    history: History | None = None
    dossiers: Dossiers | None = None
    documents: Documents | None = None
    accounts: Accounts | None = None
    learning: Learning | None = None
    packs: dict[str, Pack] = {}
    billing: Billing | None = None
    termination: Termination | None = None
    options: dict[str, OptionSpec] = {}
    updates: Updates | None = None
    monitoring: Monitoring | None = None
    knowledge: Knowledge | None = None
    reports: Reports | None = None
    readings: list[Reading] = []

    def formula(self, name: str | None) -> tuple[str, Formula]:
        """The formula of that name, or the default one; KeyError names the choices."""
        key = name or self.default_formula or next(iter(self.formulas))
        if key not in self.formulas:
            raise KeyError(
                f"offer {self.id} has no formula {key!r} (known: {', '.join(self.formulas)})"
            )
        return key, self.formulas[key]

    def calendar_name(self, role: str, formula: str | None = None) -> str:
        """The calendar a role reads for a formula (E Private: extended support hours)."""
        _, chosen = self.formula(formula)
        return chosen.calendars.get(role, role)

    def calendar(self, role: str, formula: str | None = None) -> CalendarSpec:
        """The calendar spec for a role and formula; KeyError names the known calendars."""
        name = self.calendar_name(role, formula)
        if name not in self.calendars:
            known = ", ".join(self.calendars)
            raise KeyError(f"offer {self.id} has no calendar {name!r} (known: {known})")
        return self.calendars[name]


Path = tuple[str | int, ...]


def reference_problems(offer: Offer) -> list[tuple[Path, str]]:
    """Names used but never defined: calendars, formulas, options. Empty when all resolve."""
    problems: list[tuple[Path, str]] = []
    formulas = set(offer.formulas)
    calendars = set(offer.calendars)

    def formula(path: Path, name: str) -> None:
        if name not in formulas:
            known = ", ".join(sorted(formulas))
            problems.append((path, f"formula {name!r} is not defined (defined: {known})"))

    def calendar(path: Path, name: str) -> None:
        if name not in calendars:
            known = ", ".join(sorted(calendars)) or "none"
            problems.append((path, f"calendar {name!r} is not defined (defined: {known})"))

    if offer.default_formula is not None:
        formula(("default_formula",), offer.default_formula)
    for key, spec in offer.formulas.items():
        for role, target in spec.calendars.items():
            calendar(("formulas", key, "calendars", role), target)
    if offer.support:
        calendar(("support", "calendar"), offer.support.calendar)
        if offer.support.phone_calendar:
            calendar(("support", "phone_calendar"), offer.support.phone_calendar)
        for key in offer.support.pickup:
            formula(("support", "pickup", key), key)
        if offer.support.remote_assistance:
            calendar(
                ("support", "remote_assistance", "calendar"),
                offer.support.remote_assistance.calendar,
            )
    if offer.anomalies:
        calendar(("anomalies", "calendar"), offer.anomalies.calendar)
        for index, key in enumerate(offer.anomalies.formulas or []):
            formula(("anomalies", "formulas", index), key)
    if offer.customer_service:
        calendar(("customer_service", "calendar"), offer.customer_service.calendar)
    if offer.availability:
        calendar(("availability", "calendar"), offer.availability.calendar)
    if offer.maintenance:
        calendar(("maintenance", "calendar"), offer.maintenance.calendar)
    if offer.monitoring:
        calendar(("monitoring", "calendar"), offer.monitoring.calendar)
    if offer.learning:
        for key in offer.learning.content_levels:
            formula(("learning", "content_levels", key), key)
        for key in offer.learning.m365_content:
            formula(("learning", "m365_content", key), key)
    if offer.reports:
        for index, key in enumerate(offer.reports.formulas or []):
            formula(("reports", "formulas", index), key)
    for option_id, option in offer.options.items():
        for index, key in enumerate(option.formulas or []):
            formula(("options", option_id, "formulas", index), key)
        for index, other in enumerate(option.requires):
            if other not in offer.options:
                problems.append(
                    (("options", option_id, "requires", index), f"option {other!r} is not defined")
                )
    agreed = offer.updates.agreed_date_option if offer.updates else None
    if agreed and agreed not in offer.options:
        problems.append((("updates", "agreed_date_option"), f"option {agreed!r} is not defined"))
    return problems
