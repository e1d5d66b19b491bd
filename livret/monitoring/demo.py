"""PreventCare demo data: a monitored site of Boulangerie Martin (MON-1..5), idempotent.

Called by ``livret.demo.load_demo`` after its clients, logins and requests: the site, two
servers, a filled technical document, the 2026 visits (the first one reported), one firing
significant alert, triaged into a request on the client's Quadra support contract, and the
nightly backup job of srv-martin-01 (MON-2) with last night's succeeded result.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from livret.monitoring import services, triage
from livret.monitoring.models import (
    AlertState,
    BackupJob,
    BackupResult,
    MonitoringAlert,
    Server,
    Site,
)
from livret.tenants.models import Contract

CONTRACT = "P-2026-001"
SITE = "Fournil et magasin"
# MON-2: as the document's « Sauvegarde » section says (Veeam, 22:00, result before 06:00).
BACKUP_SERVER, BACKUP_JOB, BACKUP_DUE = "srv-martin-01", "nightly", time(6, 0)
DOCUMENT = {
    "Interlocuteurs Client et Cegid": "Client : M. Martin (gérant), 01 23 45 67 89.\n"
    "Cegid : cellule Prevent Care, technicien référent L. Girard.",
    "Serveurs sous surveillance (implantation physique, nommage, nom de domaine, rôle)": (
        "srv-martin-01 : baie du bureau, domaine MARTIN.local, contrôleur de domaine et "
        "fichiers.\nsrv-martin-02 : même baie, SQL Server et Cegid Quadra."
    ),
    "Réseau (plan d'adressage IP, postes clients, matériels de routage, accès internet)": (
        "192.168.10.0/24 ; 11 postes ; routeur fibre 1 Gb/s, IP fixe 203.0.113.17."
    ),
    "Partages et scripts": "\\\\srv-martin-01\\commun, \\\\srv-martin-01\\compta ; script de "
    "connexion login.cmd.",
    "Sécurité": "Pare-feu Stormshield SN210, relai SMTP autorisé vers Prevent Care.",
    "Sauvegarde": "Veeam, tâche nightly à 22:00, résultat attendu avant 06:00 ; disque USB "
    "alterné chaque semaine.",
    "Antivirus": "Bitdefender GravityZone, console cloud.",
    "Messagerie": "Microsoft 365, aucun serveur de messagerie local.",
    "Politique de gestion des mises à jour Windows": "WSUS sur srv-martin-01, installation le "
    "mercredi à 21:00.",
    "Outils de téléassistance": "TeamViewer Host sur les deux serveurs et les postes.",
    "Autres périphériques (impression, onduleurs)": "Onduleur APC 1500 VA (arrêt propre "
    "configuré), copieur Canon en réseau.",
    "Configuration Prevent Care": "Agent livret sur les deux serveurs, battement toutes les "
    "heures.",
}


@transaction.atomic
def load_monitoring_demo() -> list[str]:
    """Create the monitoring demo once; return the lines to print."""
    contract = Contract.objects.filter(reference=CONTRACT).select_related("client").first()
    if contract is None:
        return [f"monitoring demo skipped: no contract {CONTRACT}"]
    site = Site.objects.filter(contract=contract, name=SITE).first()
    if site is None:
        _create(contract)
        site = Site.objects.get(contract=contract, name=SITE)
    _backup_job(site)
    return [
        f"monitoring: site « {site.name} » of {contract.client} "
        f"({site.servers.count()} servers) — /exploitation/surveillance/ and "
        "/portail/surveillance/",
    ]


def _create(contract: Contract) -> None:
    tech = get_user_model().objects.get(username="technicien")
    now = timezone.now()
    site = services.create_site(tech, contract=contract, name=SITE, users_count=12)
    services.add_server(
        tech,
        site,
        hostname="srv-martin-01",
        role="Contrôleur de domaine, fichiers",
        watched_services=["NTDS", "DNS", "LanmanServer"],
    )
    sql = services.add_server(
        tech,
        site,
        hostname="srv-martin-02",
        role="SQL Server, Cegid Quadra",
        watched_services=["MSSQLSERVER", "CegidQuadraServer"],
    )
    for section, text in DOCUMENT.items():
        services.update_section(tech, site, section, text)
    visits = services.plan_visits(site, 2026)
    today = timezone.localdate(now)
    if visits and visits[0].planned_for <= today:
        services.record_visit(
            tech,
            visits[0],
            visits[0].planned_for,
            "Contrôle des journaux et des sauvegardes : RAS. Espace disque D: à surveiller "
            "(14 % libre).",
            now=now,
        )
    firing = now - timedelta(hours=2)
    alert = MonitoringAlert.objects.create(
        server=sql,
        rule="disk-free",
        series="D:",
        state=AlertState.FIRING,
        impact="significant",
        summary="Moins de 10 % d'espace libre sur le disque D: (contrôle de 3 h)",
        last_value=7.5,
        pending_at=firing,
        firing_at=firing,
        last_occurrence_at=firing,
        created_at=firing,
    )
    triage.triage_alert(alert, now)


def _backup_job(site: Site) -> None:
    """The nightly backup job of srv-martin-01 and last night's result, once (MON-2)."""
    server = Server.objects.filter(site=site, hostname=BACKUP_SERVER).first()
    if server is None or BackupJob.objects.filter(server=server, name=BACKUP_JOB).exists():
        return
    tech = get_user_model().objects.get(username="technicien")
    services.add_backup_job(tech, server, BACKUP_JOB, BACKUP_DUE, "Europe/Paris")
    now = timezone.localtime()
    # The latest 22:00 run that has finished (it lasts 1 h 10 min).
    started = datetime.combine(now.date(), time(22, 0), tzinfo=now.tzinfo)
    while started + timedelta(hours=1, minutes=10) > now:
        started -= timedelta(days=1)
    finished = started + timedelta(hours=1, minutes=10)
    BackupResult.objects.create(
        server=server,
        job=BACKUP_JOB,
        status=BackupResult.Status.SUCCEEDED,
        started_at=started,
        finished_at=finished,
        message="Veeam : 2 machines, 184 Go traités",
        received_at=finished,
    )
