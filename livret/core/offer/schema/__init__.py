"""The offer schema (SPEC OFF-1): every number and rule of one service booklet, as data.

An offer file is TOML. Its top level names the offer; each section below holds one area of
the booklet (calendars, support, anomalies, availability, maintenance, backups, …) and carries
``source``, the seed section its values come from (SPEC OFF-2), plus an optional ``note`` that
records the reading livret takes where the seed is ambiguous.

Every duration is a table ``{ amount = 8, unit = "business_hours" }`` so its kind is never
implicit (business hours, business days, calendar days, wall-clock hours, months, …).

Cross-references (a formula or calendar named somewhere but never defined) are checked by
:func:`reference_problems`, so that the loader can report each with its own field path.

Modules: ``_base`` (models, seed sections, durations), ``_calendars``, the sections by
part of the booklet (``_support``, ``_service``, ``_contract``, ``_monitoring``) and ``_offer``
(the offer, its perimeter and :func:`reference_problems`).
"""

from livret.core.offer.schema._base import (
    UNIT_LABELS_FR,
    Duration,
    Model,
    SeedSection,
    Sourced,
    Unit,
)
from livret.core.offer.schema._calendars import (
    WEEKDAY_LABELS_FR,
    WEEKDAYS,
    CalendarSpec,
    Clock,
    Interval,
    TimeZoneName,
    Weekday,
    parse_clock,
)
from livret.core.offer.schema._contract import Billing, OptionSpec, Pack, Termination
from livret.core.offer.schema._monitoring import (
    Heartbeat,
    Monitoring,
    MonitoringRule,
    SetupTier,
    TriageLevel,
    Visits,
)
from livret.core.offer.schema._offer import (
    SCHEMA_VERSION,
    Formula,
    Offer,
    OfferKind,
    Path,
    Reading,
    Territories,
    reference_problems,
)
from livret.core.offer.schema._service import (
    AccountKind,
    Accounts,
    Availability,
    Backups,
    BackupTier,
    Cause,
    DocumentBackup,
    Documents,
    Dossiers,
    History,
    Maintenance,
    Updates,
)
from livret.core.offer.schema._support import (
    PRIORITY_LABELS_FR,
    Anomalies,
    AnomalyDeadline,
    Compliance,
    Criticity,
    CustomerService,
    EligibilityRule,
    Knowledge,
    Learning,
    OutOfScopeWork,
    PickupTargets,
    Priority,
    RemoteAssistance,
    Reports,
    Support,
)

__all__ = [
    "PRIORITY_LABELS_FR",
    "SCHEMA_VERSION",
    "UNIT_LABELS_FR",
    "WEEKDAYS",
    "WEEKDAY_LABELS_FR",
    "AccountKind",
    "Accounts",
    "Anomalies",
    "AnomalyDeadline",
    "Availability",
    "BackupTier",
    "Backups",
    "Billing",
    "CalendarSpec",
    "Cause",
    "Clock",
    "Compliance",
    "Criticity",
    "CustomerService",
    "DocumentBackup",
    "Documents",
    "Dossiers",
    "Duration",
    "EligibilityRule",
    "Formula",
    "Heartbeat",
    "History",
    "Interval",
    "Knowledge",
    "Learning",
    "Maintenance",
    "Model",
    "Monitoring",
    "MonitoringRule",
    "Offer",
    "OfferKind",
    "OptionSpec",
    "OutOfScopeWork",
    "Pack",
    "Path",
    "PickupTargets",
    "Priority",
    "Reading",
    "RemoteAssistance",
    "Reports",
    "SeedSection",
    "SetupTier",
    "Sourced",
    "Support",
    "Termination",
    "Territories",
    "TimeZoneName",
    "TriageLevel",
    "Unit",
    "Updates",
    "Visits",
    "Weekday",
    "parse_clock",
    "reference_problems",
]
