"""Sites, servers, what their agents send, and the alerts that come of it (SPEC MON-1..5).

An agent authenticates with a token of its own server (:class:`ServerToken`). Each batch it
sends is stored at most once (:class:`IngestedBatch`). The rule engine of
``livret.core.monitoring`` decides when an alert is pending, firing or resolved; its state per
server is kept in ``Server.engine_state`` so any worker or web process can continue it.
Alerts are triaged by impact (MON-3) into support requests, phone calls and escalations.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from livret.tenants.models import Client, Contract


class Impact(models.TextChoices):
    """MON-3: what an alert means for the client, and so what the team does."""

    NONE = "none", _("Aucun impact")
    MINOR_MODERATE = "minor-moderate", _("Mineur / modéré")
    SIGNIFICANT = "significant", _("Significatif")
    MAJOR_EXTENDED = "major-extended", _("Majeur / étendu")


class Site(models.Model):
    """MON-4: a client site under PreventCare, with its technical document."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="sites")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="sites")
    name = models.CharField("nom", max_length=200)
    users_count = models.PositiveIntegerField("nombre d'utilisateurs", default=1)
    # MON-4: the technical document, one entry per section the offer lists
    # (offer.monitoring.technical_document), e.g. {"Sécurité": "…", "Sauvegarde": "…"}.
    technical_document = models.JSONField("document technique", default=dict, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "site"
        ordering = ["client__name", "name"]

    def __str__(self) -> str:
        return f"{self.client} — {self.name}"


class Server(models.Model):
    """A monitored server (physical or virtual) of a site (MON-1)."""

    class Os(models.TextChoices):
        WINDOWS = "windows", "Windows"
        LINUX = "linux", "Linux"

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="servers")
    hostname = models.CharField("nom d'hôte", max_length=200, unique=True)
    role = models.CharField("rôle", max_length=200, blank=True)
    os = models.CharField("système", max_length=10, choices=Os.choices, default=Os.WINDOWS)
    monitored = models.BooleanField("sous surveillance", default=True)
    watched_services = models.JSONField("services surveillés", default=list, blank=True)
    last_seen_at = models.DateTimeField("dernier envoi", null=True, blank=True)
    last_heartbeat_at = models.DateTimeField("dernier battement", null=True, blank=True)
    # Agent clock more than 5 minutes off: flagged, samples stored in the server's time.
    clock_skew_seconds = models.FloatField("décalage d'horloge (s)", null=True, blank=True)
    clock_flagged = models.BooleanField("horloge décalée", default=False)
    # JSON snapshot of livret.core.monitoring.RuleEngine for this server.
    engine_state = models.JSONField(default=dict, blank=True)
    # The worker's due column for scheduled checks and missing heartbeats.
    next_check_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "serveur"
        ordering = ["hostname"]
        indexes = [
            models.Index(
                fields=["next_check_at"],
                name="server_next_check",
                condition=models.Q(monitored=True),
            )
        ]

    def __str__(self) -> str:
        return self.hostname


class ServerToken(models.Model):
    """An agent's token for one server; only its SHA-256 is stored."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)


class IngestedBatch(models.Model):
    """A batch an agent sent, kept so that a re-sent batch is never stored twice."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="batches")
    batch_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=10)  # samples, events, backups
    count = models.PositiveIntegerField()
    received_at = models.DateTimeField()
    clock_skew_seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "batch_id"], name="batch_once_per_server")
        ]


class Sample(models.Model):
    """One reading of a metric (``cpu_percent``, ``disk_free_percent:C:`` …) at a time."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="samples")
    time = models.DateTimeField()
    metric = models.CharField(max_length=120)
    value = models.FloatField()

    class Meta:
        indexes = [models.Index(fields=["server", "metric", "time"], name="sample_series")]


class MonitoringEvent(models.Model):
    """MON-1: a hardware event or an event-log error reported by an agent."""

    class Kind(models.TextChoices):
        HARDWARE = "hardware", _("Matériel")
        EVENT_LOG = "event-log", _("Journal d'événements")

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="events")
    time = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=100)
    severity = models.CharField(max_length=10)
    message = models.TextField(blank=True)


class BackupJob(models.Model):
    """MON-2: a backup job whose result is expected every day by a local time."""

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="backup_jobs")
    name = models.CharField("tâche", max_length=100)
    due_time = models.TimeField("résultat attendu avant (heure locale)")
    timezone = models.CharField(max_length=64, default="Europe/Paris")
    # The worker's due column: next instant at which a missing result raises an alert.
    next_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["server", "name"], name="backup_job_name_per_server")
        ]


class BackupResult(models.Model):
    """MON-1, MON-2: a backup job's result (succeeded, failed, incomplete, cancelled)."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Réussie")
        FAILED = "failed", _("Échouée")
        INCOMPLETE = "incomplete", _("Incomplète")
        CANCELLED = "cancelled", _("Annulée")

    server = models.ForeignKey(Server, on_delete=models.CASCADE, related_name="backup_results")
    job = models.CharField(max_length=100)
    status = models.CharField(max_length=12, choices=Status.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField()
    message = models.TextField(blank=True)
    received_at = models.DateTimeField()


class ImpactSetting(models.Model):
    """MON-3: an operator's override of a rule's default impact (for one server, or all)."""

    rule = models.CharField("règle", max_length=60)
    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, null=True, blank=True, related_name="impact_settings"
    )
    impact = models.CharField("impact", max_length=16, choices=Impact.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "server"], name="impact_setting_once"),
        ]


class AlertState(models.TextChoices):
    PENDING = "pending", _("En attente")
    FIRING = "firing", _("Déclenchée")
    RESOLVED = "resolved", _("Résolue")


class MonitoringAlert(models.Model):
    """An alert for a server and a rule (and series, e.g. a volume), from the engine or
    Alertmanager; a repeat for the same server and rule folds into the open one (MON-3)."""

    server = models.ForeignKey(Server, on_delete=models.PROTECT, related_name="alerts")
    rule = models.CharField("règle", max_length=60)
    series = models.CharField("série", max_length=120, blank=True)
    source = models.CharField(max_length=16, default="engine")  # engine, alertmanager
    fingerprint = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=10, choices=AlertState.choices)
    impact = models.CharField("impact", max_length=16, choices=Impact.choices)
    impact_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.CharField(max_length=300, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    pending_at = models.DateTimeField(null=True, blank=True)
    firing_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    occurrences = models.PositiveIntegerField("occurrences", default=1)
    last_occurrence_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    request = models.ForeignKey(
        "support.Request",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monitoring_alerts",
    )
    # MON-3 major/extended: level-1 diagnosis of at most 1 hour, then level 2.
    level = models.PositiveSmallIntegerField("niveau", default=1)
    diagnosis_due_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Set once the MON-3 triage ran: triaging again is a no-op (livret.monitoring.triage).
    triaged_at = models.DateTimeField("triée le", null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "alerte"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["server", "rule", "series"],
                condition=models.Q(resolved_at__isnull=True),
                name="one_open_alert_per_server_rule",
            )
        ]
        indexes = [
            models.Index(
                fields=["diagnosis_due_at"],
                name="alert_diagnosis_due",
                condition=models.Q(diagnosis_due_at__isnull=False, escalated_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.server} {self.rule} {self.series}".strip()


class PhoneCallTask(models.Model):
    """MON-3 major/extended: call the client; done when a technician records the call."""

    alert = models.ForeignKey(MonitoringAlert, on_delete=models.CASCADE, related_name="calls")
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    notes = models.TextField(blank=True)


class PreventiveVisit(models.Model):
    """MON-5: a preventive visit of a site, at most one day, with its report."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="visits")
    year = models.PositiveIntegerField("année")
    planned_for = models.DateField("prévue le")
    done_on = models.DateField("faite le", null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    report = models.TextField("compte rendu", blank=True)
    report_added_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "visite préventive"
        ordering = ["planned_for"]
