"""Ingestion API for monitoring agents (issue 7, SPEC MON-1, MON-2), mounted at /api/monitoring/.

The contract, shared with the agent (``livret.agent``, docs/agent.md):

* ``Authorization: Bearer <server token>``: the token IS the server — the body never names
  one, so an agent can only write its own server. An unknown or revoked token, a user's API
  token, or no token answers 401 ``{"code": "unauthorized"}`` before the body is read.
* A malformed body answers 400 ``{"code": "invalid", "message", "field"}`` naming the first
  bad field (``samples.3.value``); nothing of the batch is stored. Besides types: at most
  5,000 items a batch; every time within a year before and a day after ``sent_at`` (the
  agent's own clock stamps both), and every instant between 1970 and 9000; no NUL character
  in a string; a body within Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``. Times may carry
  fractions of a second (the agent sends milliseconds) and values are not capped
  (``disk_queue_percent`` is a queue length × 100).
* 200 ``{"accepted", "duplicate", "clock_skew_seconds", "clock_flagged"}``; a batch already
  stored answers ``duplicate: true`` with ``accepted: 0`` and stores nothing again.

The body is validated here rather than by django-ninja's parameter parsing so that a bad
value answers 400 with the ``field`` key the agents read (ninja's own answer is a 422).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.security.http import HttpAuthBase
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from livret.api.errors import ApiError, Error
from livret.errors import ServiceError
from livret.monitoring import ingest
from livret.monitoring.models import Server
from livret.monitoring.tokens import server_for_token

router = Router(tags=["monitoring"])

MAX_ITEMS = 5000  # samples, events or results in one batch
# A time of the batch may be this far before sent_at (the agent's backlog) or after it.
MAX_AGE = timedelta(days=366)
MAX_AHEAD = timedelta(days=1)


class ServerBearer(HttpAuthBase):
    """``Authorization: Bearer <server token>``; anything else is 401 ``unauthorized``."""

    openapi_scheme = "bearer"

    def __call__(self, request: HttpRequest) -> Server:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        server = server_for_token(token.strip()) if scheme.lower() == "bearer" else None
        if server is None:
            raise ApiError(401, "unauthorized", "unknown or revoked server token")
        return server


# --------------------------------------------------------------------------- the bodies

# Beyond these an instant is no clock's reading, and shifting it by a year or by the clock
# skew would leave the dates Python and the databases can hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def plausible_instant(value: datetime) -> datetime:
    """``value`` when a clock could read it (1970 to 9000); ValueError otherwise."""
    if not EARLIEST <= value < LATEST:
        raise ValueError("not a plausible clock reading (before 1970 or after 9000)")
    return value


def no_nul(value: str) -> str:
    """``value`` without NUL characters, which PostgreSQL text cannot hold: refused as bad
    input rather than failed on as a 500."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


When = Annotated[
    AwareDatetime,
    Field(strict=True, description="ISO 8601 with an offset"),
    AfterValidator(plausible_instant),
]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Text = Annotated[str, AfterValidator(no_nul)]


class _Item(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SampleIn(_Item):
    """One reading: ``cpu_percent``, ``disk_free_percent:C:``, ``heartbeat`` … (MON-1)."""

    time: When
    metric: Text = Field(min_length=1, max_length=120, pattern=r"^[a-z][a-z0-9_]*(:\S.*)?$")
    value: Number  # not capped: disk_queue_percent is the queue length × 100 (a queue of 3: 300)


class EventIn(_Item):
    """A hardware event or an event-log entry (MON-1)."""

    time: When
    kind: Literal["hardware", "event-log"]
    source: Text = Field(min_length=1, max_length=100)
    severity: Literal["warning", "error", "critical"]
    message: Text = ""


class BackupIn(_Item):
    """A backup job's result (MON-1, MON-2)."""

    job: Text = Field(min_length=1, max_length=100)
    status: Literal["succeeded", "failed", "incomplete", "cancelled"]
    started_at: When | None = None
    finished_at: When
    message: Text = ""


class _Batch(_Item):
    batch_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    sent_at: When

    def _check_times(self, name: str, items: list[Any], fields: tuple[str, ...]) -> None:
        """Times within a year before ``sent_at`` and a day after it (same clock)."""
        low, high = self.sent_at - MAX_AGE, self.sent_at + MAX_AHEAD
        for index, item in enumerate(items):
            for field in fields:
                value = getattr(item, field)
                if value is not None and not low <= value <= high:
                    raise _BadField(
                        f"{name}.{index}.{field}",
                        "more than a year before or a day after sent_at",
                    )


class SamplesBatch(_Batch):
    samples: list[SampleIn] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _times(self) -> SamplesBatch:
        self._check_times("samples", self.samples, ("time",))
        return self


class EventsBatch(_Batch):
    events: list[EventIn] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _times(self) -> EventsBatch:
        self._check_times("events", self.events, ("time",))
        return self


class BackupsBatch(_Batch):
    results: list[BackupIn] = Field(max_length=MAX_ITEMS)

    @model_validator(mode="after")
    def _times(self) -> BackupsBatch:
        self._check_times("results", self.results, ("started_at", "finished_at"))
        return self


class Accepted(Schema):
    accepted: int
    duplicate: bool
    clock_skew_seconds: float
    clock_flagged: bool


class Invalid(Schema):
    code: str
    message: str
    field: str


class _BadField(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


B = TypeVar("B", bound=_Batch)


def _invalid(field: str, message: str) -> ServiceError:
    """The 400 ``invalid`` answer naming ``field`` (its message starts with the field)."""
    return ServiceError("invalid", f"{field}: {message}", field=field)


def _parse(request: HttpRequest, model: type[B]) -> B:
    """The validated body; a ServiceError (400) naming the first bad field otherwise."""
    try:
        raw = request.body
    except RequestDataTooBig:
        raise _invalid("body", "the request body is too large") from None
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        first = error.errors()[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, _BadField):
            raise _invalid(cause.field, cause.message) from None
        if first["type"] == "json_invalid":
            raise _invalid("body", "not valid JSON") from None
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise _invalid(field, first["msg"]) from None


def _body(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI request body of a route that validates its body itself."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    return {
        "requestBody": {"content": {"application/json": {"schema": _inline(schema, definitions)}}},
    }


def _inline(node: Any, definitions: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return _inline(definitions[ref.rsplit("/", 1)[-1]], definitions)
        return {key: _inline(value, definitions) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, definitions) for value in node]
    return node


# 401: no or a wrong server token; 500 and 503 as on every route (``livret.api.errors``).
RESPONSES: dict[int | frozenset[int], Any] = {
    200: Accepted,
    400: Invalid,
    frozenset({401, 500, 503}): Error,
}


def _answer(result: ingest.IngestResult) -> dict[str, Any]:
    return {
        "accepted": result.accepted,
        "duplicate": result.duplicate,
        "clock_skew_seconds": result.clock_skew_seconds,
        "clock_flagged": result.clock_flagged,
    }


def _route(
    request: HttpRequest,
    model: type[B],
    store: Callable[[Server, B], ingest.IngestResult],
) -> dict[str, Any]:
    return _answer(store(request.auth, _parse(request, model)))


@router.post("/samples", auth=ServerBearer(), response=RESPONSES, openapi_extra=_body(SamplesBatch))
def post_samples(request: HttpRequest) -> dict[str, Any]:
    """Store a batch of samples (at most 5,000) and evaluate the MON-2 rules on it."""
    return _route(
        request,
        SamplesBatch,
        lambda server, b: ingest.ingest_samples(
            server, b.batch_id, b.sent_at, list(b.samples), timezone.now()
        ),
    )


@router.post("/events", auth=ServerBearer(), response=RESPONSES, openapi_extra=_body(EventsBatch))
def post_events(request: HttpRequest) -> dict[str, Any]:
    """Store a batch of hardware events and event-log entries (MON-1)."""
    return _route(
        request,
        EventsBatch,
        lambda server, b: ingest.ingest_events(
            server, b.batch_id, b.sent_at, list(b.events), timezone.now()
        ),
    )


@router.post("/backups", auth=ServerBearer(), response=RESPONSES, openapi_extra=_body(BackupsBatch))
def post_backups(request: HttpRequest) -> dict[str, Any]:
    """Store a batch of backup job results (MON-1, MON-2)."""
    return _route(
        request,
        BackupsBatch,
        lambda server, b: ingest.ingest_backups(
            server, b.batch_id, b.sent_at, list(b.results), timezone.now()
        ),
    )
