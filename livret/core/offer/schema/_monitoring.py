"""The server-monitoring section (PreventCare, MON-1..5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from livret.core.offer.schema._base import Duration, Model, Sourced
from livret.core.offer.schema._calendars import Clock


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
