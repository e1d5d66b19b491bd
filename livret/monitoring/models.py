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
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="sites", verbose_name="contrat"
    )
    name = models.CharField("nom", max_length=200)
    users_count = models.PositiveIntegerField("nombre d'utilisateurs", default=1)
    # MON-4: the technical document, one entry per section the offer lists
    # (offer.monitoring.technical_document), e.g. {"Sécurité": "…", "Sauvegarde": "…"}.
    technical_document = models.JSONField("document technique", default=dict, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "site"
        verbose_name_plural = "sites"
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
    engine_state = models.JSONField(
        default=dict, blank=True, verbose_name="état du moteur de règles"
    )
    # The worker's due column for scheduled checks and missing heartbeats.
    next_check_at = models.DateTimeField(
        null=True, blank=True, verbose_name="prochaine vérification"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "serveur"
        verbose_name_plural = "serveurs"
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

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="tokens", verbose_name="serveur"
    )
    key_hash = models.CharField(max_length=64, unique=True, verbose_name="empreinte de la clé")
    prefix = models.CharField(max_length=8, verbose_name="préfixe")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="créé le")
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name="dernier usage le")
    revoked = models.BooleanField(default=False, verbose_name="révoqué")

    class Meta:
        verbose_name = "jeton d'agent"
        verbose_name_plural = "jetons d'agent"


class IngestedBatch(models.Model):
    """A batch an agent sent, kept so that a re-sent batch is never stored twice."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="batches", verbose_name="serveur"
    )
    batch_id = models.CharField(max_length=64, verbose_name="identifiant du lot")
    kind = models.CharField(max_length=10, verbose_name="type")  # samples, events, backups
    count = models.PositiveIntegerField(verbose_name="nombre")
    received_at = models.DateTimeField(verbose_name="reçu le")
    clock_skew_seconds = models.FloatField(default=0.0, verbose_name="décalage d'horloge (s)")

    class Meta:
        verbose_name = "lot reçu"
        verbose_name_plural = "lots reçus"
        constraints = [
            models.UniqueConstraint(fields=["server", "batch_id"], name="batch_once_per_server")
        ]


class Sample(models.Model):
    """One reading of a metric (``cpu_percent``, ``disk_free_percent:C:`` …) at a time."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="samples", verbose_name="serveur"
    )
    time = models.DateTimeField(verbose_name="instant")
    metric = models.CharField(max_length=120, verbose_name="mesure")
    value = models.FloatField(verbose_name="valeur")

    class Meta:
        verbose_name = "échantillon"
        verbose_name_plural = "échantillons"
        indexes = [models.Index(fields=["server", "metric", "time"], name="sample_series")]


class MonitoringEvent(models.Model):
    """MON-1: a hardware event or an event-log error reported by an agent."""

    class Kind(models.TextChoices):
        HARDWARE = "hardware", _("Matériel")
        EVENT_LOG = "event-log", _("Journal d'événements")

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="events", verbose_name="serveur"
    )
    time = models.DateTimeField(db_index=True, verbose_name="instant")
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name="type")
    source = models.CharField(max_length=100)
    severity = models.CharField(max_length=10, verbose_name="gravité")
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = "événement de surveillance"
        verbose_name_plural = "événements de surveillance"


class BackupJob(models.Model):
    """MON-2: a backup job whose result is expected every day by a local time."""

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="backup_jobs", verbose_name="serveur"
    )
    name = models.CharField("tâche", max_length=100)
    due_time = models.TimeField("résultat attendu avant (heure locale)")
    timezone = models.CharField(
        max_length=64, default="Europe/Paris", verbose_name="fuseau horaire"
    )
    # The worker's due column: next instant at which a missing result raises an alert.
    next_due_at = models.DateTimeField(null=True, blank=True, verbose_name="prochaine échéance")

    class Meta:
        verbose_name = "tâche de sauvegarde"
        verbose_name_plural = "tâches de sauvegarde"
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

    server = models.ForeignKey(
        Server, on_delete=models.CASCADE, related_name="backup_results", verbose_name="serveur"
    )
    job = models.CharField(max_length=100, verbose_name="tâche")
    status = models.CharField(max_length=12, choices=Status.choices, verbose_name="résultat")
    started_at = models.DateTimeField(null=True, blank=True, verbose_name="commencée le")
    finished_at = models.DateTimeField(verbose_name="terminée le")
    message = models.TextField(blank=True)
    received_at = models.DateTimeField(verbose_name="reçu le")

    class Meta:
        verbose_name = "résultat de sauvegarde"
        verbose_name_plural = "résultats de sauvegarde"


class ImpactSetting(models.Model):
    """MON-3: an operator's override of a rule's default impact (for one server, or all)."""

    rule = models.CharField("règle", max_length=60)
    server = models.ForeignKey(
        Server,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="impact_settings",
        verbose_name="serveur",
    )
    impact = models.CharField("impact", max_length=16, choices=Impact.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="modifié par",
    )
    changed_at = models.DateTimeField(verbose_name="modifié le")

    class Meta:
        verbose_name = "réglage d'impact"
        verbose_name_plural = "réglages d'impact"
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

    server = models.ForeignKey(
        Server, on_delete=models.PROTECT, related_name="alerts", verbose_name="serveur"
    )
    rule = models.CharField("règle", max_length=60)
    series = models.CharField("série", max_length=120, blank=True)
    source = models.CharField(max_length=16, default="engine")  # engine, alertmanager
    fingerprint = models.CharField(max_length=64, blank=True, verbose_name="empreinte")
    state = models.CharField(max_length=10, choices=AlertState.choices, verbose_name="état")
    impact = models.CharField("impact", max_length=16, choices=Impact.choices)
    impact_overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="impact fixé par",
    )
    summary = models.CharField(max_length=300, blank=True, verbose_name="résumé")
    last_value = models.FloatField(null=True, blank=True, verbose_name="dernière valeur")
    pending_at = models.DateTimeField(null=True, blank=True, verbose_name="en attente depuis")
    firing_at = models.DateTimeField(null=True, blank=True, verbose_name="déclenchée le")
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name="résolue le")
    occurrences = models.PositiveIntegerField("occurrences", default=1)
    last_occurrence_at = models.DateTimeField(
        null=True, blank=True, verbose_name="dernière occurrence"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True, verbose_name="prise en compte le")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="prise en compte par",
    )
    request = models.ForeignKey(
        "support.Request",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="monitoring_alerts",
        verbose_name="demande",
    )
    # MON-3 major/extended: level-1 diagnosis of at most 1 hour, then level 2.
    level = models.PositiveSmallIntegerField("niveau", default=1)
    diagnosis_due_at = models.DateTimeField(null=True, blank=True, verbose_name="diagnostic dû le")
    escalated_at = models.DateTimeField(null=True, blank=True, verbose_name="escaladée le")
    # Set once the MON-3 triage ran: triaging again is a no-op (livret.monitoring.triage).
    triaged_at = models.DateTimeField("triée le", null=True, blank=True)
    created_at = models.DateTimeField(verbose_name="créée le")

    class Meta:
        verbose_name = "alerte"
        verbose_name_plural = "alertes"
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

    alert = models.ForeignKey(
        MonitoringAlert, on_delete=models.CASCADE, related_name="calls", verbose_name="alerte"
    )
    created_at = models.DateTimeField(verbose_name="créé le")
    done_at = models.DateTimeField(null=True, blank=True, verbose_name="fait le")
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="fait par",
    )
    notes = models.TextField(blank=True)

    class Meta:
        verbose_name = "appel à passer"
        verbose_name_plural = "appels à passer"


class PreventiveVisit(models.Model):
    """MON-5: a preventive visit of a site, at most one day, with its report."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="visits")
    year = models.PositiveIntegerField("année")
    planned_for = models.DateField("prévue le")
    done_on = models.DateField("faite le", null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="technicien",
    )
    report = models.TextField("compte rendu", blank=True)
    report_added_at = models.DateTimeField(
        null=True, blank=True, verbose_name="compte rendu ajouté le"
    )

    class Meta:
        verbose_name = "visite préventive"
        verbose_name_plural = "visites préventives"
        ordering = ["planned_for"]
