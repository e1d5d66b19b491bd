"""Building blocks of the monitoring tests (triage, Alertmanager, sites, visits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from livret.monitoring.models import AlertState, MonitoringAlert, Server, Site
from livret.tenants.models import Client, Contract
from livret.tenants.services import create_contract


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
