"""Sections on helping the client: support, anomalies, customer service, learning, tools."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from livret.core.offer.schema._base import Duration, Model, Sourced

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
