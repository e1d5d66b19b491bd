"""The offer itself: its perimeter, its sections, and the check of its cross-references."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from livret.core.offer.schema._base import Model, Sourced
from livret.core.offer.schema._calendars import CalendarSpec
from livret.core.offer.schema._contract import Billing, OptionSpec, Pack, Termination
from livret.core.offer.schema._monitoring import Monitoring
from livret.core.offer.schema._service import (
    Accounts,
    Availability,
    Backups,
    Documents,
    Dossiers,
    History,
    Maintenance,
    Updates,
)
from livret.core.offer.schema._support import (
    Anomalies,
    CustomerService,
    Knowledge,
    Learning,
    Reports,
    Support,
)
from livret.core.territory import UnknownTerritoryError, expand_territories

SCHEMA_VERSION = 1


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
