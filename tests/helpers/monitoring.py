"""Monitoring for tests: PreventCare sites and servers, firing alerts, an agent's POSTs."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.test import Client as HttpClient

from livret.monitoring.models import AlertState, MonitoringAlert, Server, Site
from livret.tenants.models import Client, Contract
from livret.tenants.services import create_contract

# --------------------------------------------------------------------------- sites and alerts


@dataclass
class Monitored:
    """A PreventCare contract of client A, its site and its servers."""

    contract: Contract
    site: Site
    servers: list[Server]


def preventcare_site(
    versions: Any,
    client: Client,
    *,
    reference: str = "P-A",
    hostnames: tuple[str, ...] = ("srv-compta-01",),
    users: int = 5,
    start: date = date(2026, 1, 5),
) -> Monitored:
    """A PreventCare contract, a site and servers for ``client``."""
    contract = create_contract(
        client=client,
        reference=reference,
        offer_version=versions["preventcare"],
        start_date=start,
        named_users=users,
    )
    site = Site.objects.create(
        client=client, contract=contract, name=f"Siège {client.name}", users_count=users
    )
    servers = [Server.objects.create(site=site, hostname=h) for h in hostnames]
    return Monitored(contract, site, servers)


def firing_alert(
    server: Server, rule: str, at: datetime, *, impact: str = "", series: str = ""
) -> MonitoringAlert:
    """A firing alert as the ingestion stores it before calling the triage."""
    return MonitoringAlert.objects.create(
        server=server,
        rule=rule,
        series=series,
        state=AlertState.FIRING,
        impact=impact,
        summary=f"{rule} on {server.hostname}",
        pending_at=at,
        firing_at=at,
        last_occurrence_at=at,
        created_at=at,
    )


# --------------------------------------------------------------------------- ingestion


def monitored_server(tenant: Client, versions: dict[str, Any], hostname: str) -> Server:
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
    """One sample of a batch, as the agent sends it."""
    return {"time": when.isoformat(), "metric": metric, "value": value}


def post(
    client: HttpClient, route: str, token: str | None, body: Any, raw: str | None = None
) -> Any:
    """POST ``/api/monitoring/<route>`` with the agent's bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        f"/api/monitoring/{route}",
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
