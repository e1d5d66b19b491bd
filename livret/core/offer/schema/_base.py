"""Base of the offer schema: strict frozen models, seed sections, durations (OFF-1, OFF-2)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


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
