"""Alertmanager webhook receiver (payload version 4), mounted at /api/monitoring/alertmanager.

Prometheus evaluates the rules of ``contrib/prometheus/``; Alertmanager posts each group of
alerts here (``webhook_configs``), authenticated by the bearer token of a vendor account
(``http_config.authorization.credentials``). Each alert feeds the same MON-3 triage as the
agents' alerts (``livret.monitoring.triage``):

* the server is the ``instance`` label's host (``srv-compta-01:9182`` → ``srv-compta-01``),
  matched against ``Server.hostname`` without regard to case, then by its short name; an
  alert for an unknown instance is reported in the answer as skipped, not refused;
* the rule is the ``rule`` label (the livret rule id), else a known ``alertname``, else the
  ``alertname`` itself; the impact is the ``severity`` label when it is one of the four MON-3
  levels (operators' overrides still win, see the triage);
* a firing alert opens an alert for that server and rule, or folds into the open one (a new
  ``fingerprint`` or start counts one more occurrence; the same alert sent again changes
  nothing); a resolved alert resolves the open alert of the same fingerprint at ``endsAt``.

Whether an alert fires is read from its ``status``; Alertmanager also writes ``endsAt`` as
``0001-01-01T00:00:00Z`` for firing alerts. Fields this receiver does not know
(``notification_reason``, ``routeLabels``…) are ignored, as Alertmanager adds fields within
version 4. Each alert is stored in its own transaction, so one bad alert never loses the others.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from ninja import Router
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic import ValidationError as PydanticError

from livret.api.auth import BearerToken
from livret.api.errors import ERRORS, Error
from livret.errors import NotAllowed, ServiceError
from livret.monitoring.api import Text, plausible_instant
from livret.monitoring.models import AlertState, Impact, MonitoringAlert, Server
from livret.monitoring.triage import fold_repeat, resolve_alert, triage_alert
from livret.tenants.access import is_vendor

router = Router(tags=["monitoring"])

SUPPORTED_VERSION = "4"
# Alert names of contrib/prometheus/ (which also set the ``rule`` label) and common ones.
ALERTNAMES = {
    "PreventCareProcessorBusy": "cpu",
    "PreventCareCommittedMemory": "memory-committed",
    "PreventCarePageFile": "pagefile",
    "PreventCareDiskBusy": "disk-busy",
    "PreventCareDiskQueue": "disk-queue",
    "PreventCareDiskFreeSpace": "disk-free",
    "PreventCareHeartbeatMissing": "heartbeat",
    "CpuHigh": "cpu",
    "InstanceDown": "heartbeat",
}


def _end(value: datetime) -> datetime | None:
    """Alertmanager's zero time (year 1: "not ended") as None; else a plausible instant."""
    return None if value.year == 1 else plausible_instant(value)


class WebhookAlert(BaseModel):
    """One alert of the payload (unknown fields ignored)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[Text, Text]
    annotations: dict[Text, Text] = {}
    startsAt: Annotated[datetime, AfterValidator(plausible_instant)]
    endsAt: Annotated[datetime, AfterValidator(_end)] | None = None
    fingerprint: Text = ""


class Webhook(BaseModel):
    """Alertmanager's webhook body, version 4 (unknown fields ignored)."""

    model_config = ConfigDict(extra="ignore")

    version: str
    status: str = ""
    receiver: str = ""
    alerts: list[WebhookAlert]


def _parse(body: bytes) -> Webhook:
    """The payload; a ServiceError (400) naming the field that is wrong otherwise."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ServiceError("bad-json", "the request body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise ServiceError("invalid", "body: a JSON object is expected", field="body")
    version = data.get("version")
    if version != SUPPORTED_VERSION:
        raise ServiceError(
            "unsupported-version",
            f'version: payload version {version!r} is not supported (expected "4")',
            field="version",
        )
    try:
        return Webhook.model_validate(data)
    except PydanticError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ServiceError("invalid", f"{field}: {first['msg']}", field=field) from None


def host_of(instance: str) -> str:
    """The host part of an ``instance`` label: ``srv:9182`` → ``srv``, ``[::1]:9182`` → ``::1``."""
    instance = instance.strip()
    if instance.startswith("["):
        return instance[1 : instance.find("]")] if "]" in instance else instance[1:]
    if instance.count(":") == 1:
        return instance.split(":", 1)[0]
    return instance


def find_server(instance: str) -> Server | None:
    """The monitored server of an ``instance`` label: exact host, else its short name."""
    host = host_of(instance)
    if not host:
        return None
    servers = Server.objects.select_related("site")
    found = servers.filter(hostname__iexact=host).first()
    if found is None and "." in host:
        found = servers.filter(hostname__iexact=host.split(".", 1)[0]).first()
    return found


def rule_of(labels: dict[str, str]) -> str:
    """The livret rule id: ``rule`` label, else a known ``alertname``, else the alertname."""
    if labels.get("rule"):
        return labels["rule"][:60]
    name = labels.get("alertname", "")
    return ALERTNAMES.get(name, name)[:60]


def _firing(server: Server, rule: str, item: WebhookAlert, now: datetime) -> dict[str, Any]:
    """Open, fold or leave as is the alert of this server and rule, then triage it."""
    severity = item.labels.get("severity", "")
    summary = (item.annotations.get("summary") or item.labels.get("alertname", rule))[:300]
    with transaction.atomic():
        alert = (
            MonitoringAlert.objects.select_for_update()
            .filter(server=server, rule=rule, series="", resolved_at__isnull=True)
            .first()
        )
        if alert is None:
            alert = MonitoringAlert.objects.create(
                server=server,
                rule=rule,
                source="alertmanager",
                fingerprint=item.fingerprint[:64],
                state=AlertState.FIRING,
                impact=severity if severity in Impact.values else "",
                summary=summary,
                pending_at=item.startsAt,
                firing_at=item.startsAt,
                last_occurrence_at=item.startsAt,
                created_at=now,
            )
            result = "opened"
        elif alert.state == AlertState.PENDING:
            alert.state, alert.firing_at = AlertState.FIRING, item.startsAt
            alert.save(update_fields=["state", "firing_at"])
            result = "opened"
        elif item.fingerprint == alert.fingerprint and item.startsAt == alert.firing_at:
            result = "unchanged"  # the same alert sent again (repeat_interval, group change)
        else:
            alert = fold_repeat(alert, item.startsAt)  # MON-3: folds into the open alert
            result = "folded"
        triage_alert(alert, now)
        alert.refresh_from_db()
    return {
        "result": result,
        "alert": alert.pk,
        "impact": alert.impact,
        "occurrences": alert.occurrences,
        "request": alert.request.number if alert.request else None,
    }


def _resolved(server: Server, rule: str, item: WebhookAlert, now: datetime) -> dict[str, Any]:
    alert = MonitoringAlert.objects.filter(
        server=server, rule=rule, resolved_at__isnull=True, fingerprint=item.fingerprint[:64]
    ).first()
    if alert is None:
        return {"result": "skipped", "reason": "no open alert with this fingerprint"}
    ends = item.endsAt or now
    alert = resolve_alert(alert, ends)
    return {"result": "resolved", "alert": alert.pk}


@router.post(
    "/alertmanager",
    auth=[BearerToken()],
    summary="Alertmanager webhook (payload version 4)",
    response={200: dict[str, Any], ERRORS: Error},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def alertmanager_webhook(request: HttpRequest) -> JsonResponse:
    """Feed Alertmanager's alerts into the MON-3 triage; answer what became of each one."""
    if not is_vendor(request.auth):
        raise NotAllowed(
            "forbidden", "only a vendor account's token may post alerts", field="authorization"
        )
    parsed = _parse(request.body)
    now = timezone.now()
    processed: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for item in parsed.alerts:
        instance = item.labels.get("instance", "")
        key = {"fingerprint": item.fingerprint, "instance": instance}
        server = find_server(instance)
        rule = rule_of(item.labels)
        if server is None:
            skipped.append({**key, "reason": "unknown instance"})
            continue
        if not rule:
            skipped.append({**key, "reason": "no rule nor alertname label"})
            continue
        if item.status == "firing":
            outcome = _firing(server, rule, item, now)
        else:
            outcome = _resolved(server, rule, item, now)
        entry = {**key, "server": server.hostname, "rule": rule, **outcome}
        (skipped if outcome["result"] == "skipped" else processed).append(entry)
    return JsonResponse(
        {"received": len(parsed.alerts), "processed": processed, "skipped": skipped}
    )
