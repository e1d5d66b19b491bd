"""What the ingestion tests share: a monitored server under PreventCare and an agent's POSTs."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.test import Client

from livret.monitoring.models import Server, Site
from livret.tenants.models import Client as Tenant
from livret.tenants.services import create_contract

PARIS = ZoneInfo("Europe/Paris")


def at(text: str) -> datetime:
    """A Paris wall-clock time (``2026-11-24 10:00``) as an aware instant."""
    return datetime.fromisoformat(text).replace(tzinfo=PARIS)


def monitored_server(tenant: Tenant, versions: dict[str, Any], hostname: str) -> Server:
    """A server on a site of ``tenant`` under a PreventCare contract (the preset's rules)."""
    contract = create_contract(
        client=tenant,
        reference=f"P-{hostname}",
        offer_version=versions["preventcare"],
        start_date=date(2026, 1, 5),
    )
    site = Site.objects.create(client=tenant, contract=contract, name=f"Site de {hostname}")
    return Server.objects.create(site=site, hostname=hostname)


def batch(key: str, items: list[dict[str, Any]], sent_at: datetime, **extra: Any) -> dict[str, Any]:
    """A batch body as the agent builds it (a fresh UUID4 batch id unless given)."""
    body: dict[str, Any] = {
        "batch_id": str(uuid.uuid4()),
        "sent_at": sent_at.isoformat(),
        key: items,
    }
    body.update(extra)
    return body


def sample(when: datetime, metric: str, value: float) -> dict[str, Any]:
    return {"time": when.isoformat(), "metric": metric, "value": value}


def post(client: Client, route: str, token: str | None, body: Any, raw: str | None = None) -> Any:
    """POST ``/api/monitoring/<route>`` with the agent's bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        f"/api/monitoring/{route}",
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
