"""The bodies, queries and answers of the support API (``livret.support.api``), as schemas.

Inputs refuse NUL characters (PostgreSQL text cannot hold them) and over-long text before any
service runs; a mismatch is a 422 naming the field (``livret.api.errors``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AwareDatetime, Field, field_validator

from livret.support.models import Kind, Priority, State

MAX_ID = 2**63 - 1  # larger ids cannot exist; refusing them keeps the database driver quiet
_MAX_TEXT = 100_000
Text = Annotated[str, Field(max_length=_MAX_TEXT)]
# A text the service refuses when blank: the schema says at least one character.
RequiredText = Annotated[str, Field(min_length=1, max_length=_MAX_TEXT)]


class _Input(Schema):
    """A request body or query; text never holds NUL characters (PostgreSQL refuses them)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("NUL characters are not allowed")
        return value


class NewRequestIn(_Input):
    contract_id: int = Field(ge=1, le=MAX_ID)
    kind: Kind
    title: str = Field(min_length=1, max_length=200)
    description: RequiredText
    context: Text = ""
    error_messages: Text = ""
    menu_path: str = Field("", max_length=500)
    priority: Priority = Priority("moderate")


class QualifyIn(_Input):
    criticity: Literal[1, 2, 3] | None = Field(
        description="1 Bloquante, 2 Majeure, 3 Mineure; null: not an anomaly"
    )


class TextIn(_Input):
    text: RequiredText


class FixIn(_Input):
    text: RequiredText
    workaround: bool = False


class QuestionIn(_Input):
    question: RequiredText


class ReasonIn(_Input):
    reason: RequiredText


class OptionalReasonIn(_Input):
    reason: Text = ""


class PriorityIn(_Input):
    priority: Priority


class RemoteSessionIn(_Input):
    starts_at: AwareDatetime
    minutes: int


class ProposalIn(_Input):
    service: str = Field(min_length=1, max_length=40)
    description: RequiredText
    amount_eur: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    credits: int | None = Field(None, ge=0, le=2**31 - 1)


class CommentIn(_Input):
    body: RequiredText
    internal: bool = False


class RequestFilters(_Input):
    state: State | None = None
    kind: Kind | None = None
    client: str | None = Field(None, max_length=64, description="client slug (vendor staff)")
    mine: bool = Field(False, description="vendor: assigned to me; client: filed by me")
    breached: bool | None = None
    q: str | None = Field(
        None,
        max_length=200,
        description=(
            "full-text search in French (docs/user-guide.md): every word must appear (any "
            'form: "factures" finds "facturer", accents optional), "a phrase" in order, '
            "-word excluded; over the number, title, description, context, error messages and "
            "messages (vendor staff: internal notes too)"
        ),
    )
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=10**9)


class RequestSummary(Schema):
    number: str
    title: str
    kind: str
    channel: str
    state: str
    state_label: str
    priority: str
    criticity: int | None
    client: str
    contract_id: int
    contract: str
    filer: str
    assignee: str | None
    priority_line: bool
    billable: bool
    registered_at: datetime
    picked_up_at: datetime | None
    closed_at: datetime | None
    next_deadline_at: datetime | None
    breached: list[str] = Field(description="clocks past due (as of the last change)")


class RequestPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RequestSummary]


class Deadlines(Schema):
    pickup: datetime | None
    action_plan: datetime | None
    fix: datetime | None
    validation: datetime | None


class ClockOut(Schema):
    clock: str
    allowed: str
    started_at: datetime
    due_at: datetime
    running: bool
    paused_since: datetime | None
    stopped_at: datetime | None
    met: bool | None
    business_seconds_left: int | None = Field(
        description="running clocks: business time until due (negative once breached)"
    )


class EventOut(Schema):
    seq: int
    at: datetime
    kind: str
    actor: str
    data: dict[str, Any]
    visible_to_client: bool
    prev_hash: str
    hash: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    created_at: datetime
    url: str


class CommentOut(Schema):
    id: int
    author: str
    body: str
    internal: bool
    created_at: datetime


class ProposalOut(Schema):
    service: str
    description: str
    amount_eur: Decimal | None
    credits: int | None
    created_at: datetime


class RemoteSessionOut(Schema):
    id: int
    technician: str
    starts_at: datetime
    ends_at: datetime


class RequestDetail(RequestSummary):
    description: str
    context: str
    error_messages: str
    menu_path: str
    not_an_anomaly: bool
    eligibility_issues: list[dict[str, Any]]
    deadlines: Deadlines
    clocks: list[ClockOut]
    attachments: list[AttachmentOut]
    proposal: ProposalOut | None
    remote_sessions: list[RemoteSessionOut]
    events: list[EventOut]
