"""Services, probes, incidents, maintenance and update announcements (SPEC AVL-1..4, MNT-1..4).

A *service* is one contract's production environment (or its acceptance environment where the
option exists; only production counts for TD, AVL-2). Downtime comes from probes and from
declared incidents (AVL-4), each with a cause that decides whether it is excluded (AVL-2).
Every change goes through ``livret.status.services``, which appends a :class:`StatusEvent` in
the same transaction: the event log feeds the timelines, the Atom feed and the subscriptions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from livret.tenants.models import Contract


class Environment(models.TextChoices):
    """AVL-2: only production counts for availability."""

    PRODUCTION = "production", _("Production")
    ACCEPTANCE = "acceptance", _("Recette")


class ServiceState(models.TextChoices):
    """What the status page shows for a service, now."""

    OPERATIONAL = "operational", _("Opérationnel")
    DEGRADED = "degraded", _("Perturbé")
    DOWN = "down", _("Indisponible")
    MAINTENANCE = "maintenance", _("En maintenance")
    UNKNOWN = "unknown", _("Inconnu")


class Cause(models.TextChoices):
    """AVL-2: the cause decides whether downtime counts; all but ``service`` are excluded."""

    SERVICE = "service", _("Service (compté)")
    MAINTENANCE = "maintenance", _("Maintenance planifiée")
    URGENT_MAINTENANCE = "urgent-maintenance", _("Maintenance urgente")
    FORCE_MAJEURE = "force-majeure", _("Force majeure")
    CLIENT_EQUIPMENT = "client-equipment", _("Équipement du client")
    OUT_OF_PERIMETER = "out-of-perimeter", _("Hors périmètre (réseau du client)")


class Service(models.Model):
    """AVL-2: a contract's production (or acceptance) environment, watched and measured."""

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="services", verbose_name="contrat"
    )
    environment = models.CharField(
        "environnement", max_length=12, choices=Environment.choices, default=Environment.PRODUCTION
    )
    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant", max_length=80, unique=True)
    public = models.BooleanField(
        "sur la page publique",
        default=False,
        help_text="montré sans connexion, sous son libellé public (jamais le client)",  # MNT-3
    )
    public_label = models.CharField("libellé public", max_length=200, blank=True)
    state = models.CharField(
        "état", max_length=12, choices=ServiceState.choices, default=ServiceState.UNKNOWN
    )
    state_since = models.DateTimeField("depuis", null=True, blank=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "service"
        verbose_name_plural = "services"
        ordering = ["contract__client__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "environment"], name="service_one_per_environment"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def state_css(self) -> str:
        """Badge colour of the state: green, orange or red."""
        return {"operational": "ok", "degraded": "warn", "maintenance": "warn", "down": "bad"}.get(
            self.state, ""
        )


class ProbeKind(models.TextChoices):
    HTTP = "http", _("HTTP(S)")
    TCP = "tcp", _("TCP")


class Probe(models.Model):
    """AVL-4: a check the worker runs against a service at its interval."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="probes")
    kind = models.CharField("type", max_length=8, choices=ProbeKind.choices)
    target = models.CharField(
        "cible", max_length=500, help_text="une URL http(s)://… ou hôte:port pour TCP"
    )
    interval_seconds = models.PositiveIntegerField("intervalle (s)", default=60)
    timeout_seconds = models.FloatField("délai d'attente (s)", default=10.0)
    retries = models.PositiveSmallIntegerField("nouvelles tentatives", default=2)
    enabled = models.BooleanField("active", default=True)
    # The worker's due column: one indexed query finds the probes to run, claimed by CAS.
    next_run_at = models.DateTimeField(null=True, blank=True, verbose_name="prochain passage")
    claimed_until = models.DateTimeField(null=True, blank=True, verbose_name="réservée jusqu'à")
    last_state = models.CharField(
        max_length=8, default="unknown", verbose_name="dernier état"
    )  # up, down, unknown
    last_checked_at = models.DateTimeField(
        null=True, blank=True, verbose_name="dernière vérification"
    )
    last_latency_ms = models.FloatField(null=True, blank=True, verbose_name="dernière latence (ms)")
    last_error = models.TextField(blank=True, verbose_name="dernière erreur")

    class Meta:
        verbose_name = "sonde"
        verbose_name_plural = "sondes"
        indexes = [
            models.Index(
                fields=["next_run_at"],
                name="probe_due",
                condition=models.Q(enabled=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target}"


class ProbeStateChange(models.Model):
    """A probe went up or down: the time, and the error that made it down (AVL-4)."""

    probe = models.ForeignKey(
        Probe, on_delete=models.CASCADE, related_name="changes", verbose_name="sonde"
    )
    at = models.DateTimeField(db_index=True, verbose_name="le")
    state = models.CharField(max_length=8, verbose_name="état")  # up, down
    error = models.TextField(blank=True, verbose_name="erreur")
    latency_ms = models.FloatField(null=True, blank=True, verbose_name="latence (ms)")

    class Meta:
        verbose_name = "changement d'état de sonde"
        verbose_name_plural = "changements d'état de sonde"
        ordering = ["probe_id", "at"]


class IncidentStatus(models.TextChoices):
    """Statuspage's vocabulary; a probe-detected downtime starts as a draft."""

    DRAFT = "draft", _("Brouillon (détecté par sonde)")
    INVESTIGATING = "investigating", _("Analyse en cours")
    IDENTIFIED = "identified", _("Cause identifiée")
    MONITORING = "monitoring", _("Sous surveillance")
    RESOLVED = "resolved", _("Résolu")


class Incident(models.Model):
    """A downtime with its cause and timeline (AVL-2, AVL-4, MNT-3)."""

    title = models.CharField("titre", max_length=200)
    cause = models.CharField("cause", max_length=20, choices=Cause.choices, default=Cause.SERVICE)
    status = models.CharField(
        "statut", max_length=14, choices=IncidentStatus.choices, default=IncidentStatus.DRAFT
    )
    services = models.ManyToManyField(Service, related_name="incidents")
    started_at = models.DateTimeField("début")
    ended_at = models.DateTimeField("fin", null=True, blank=True)
    public = models.BooleanField("publié", default=True)
    detected_by = models.ForeignKey(
        Probe,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name="détecté par la sonde",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="créé par",
    )
    created_at = models.DateTimeField("créé le")
    updated_at = models.DateTimeField("mis à jour le")

    class Meta:
        verbose_name = "incident"
        verbose_name_plural = "incidents"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["started_at", "ended_at"], name="incident_period")]

    def __str__(self) -> str:
        return self.title

    @property
    def ongoing(self) -> bool:
        return self.ended_at is None


class IncidentUpdate(models.Model):
    """One entry of an incident's public timeline."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField(verbose_name="le")
    status = models.CharField(max_length=14, choices=IncidentStatus.choices, verbose_name="état")
    message = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="auteur",
    )

    class Meta:
        verbose_name = "point d'étape d'incident"
        verbose_name_plural = "points d'étape d'incident"
        ordering = ["incident_id", "at", "pk"]


class MaintenanceKind(models.TextChoices):
    PLANNED = "planned", _("Planifiée")
    URGENT = "urgent", _("Urgente")


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Planifiée")
    IN_PROGRESS = "in-progress", _("En cours")
    COMPLETED = "completed", _("Terminée")
    CANCELLED = "cancelled", _("Annulée")


class Maintenance(models.Model):
    """MNT-1, MNT-2: a maintenance checked against the window and the notice when planned."""

    title = models.CharField("titre", max_length=200)
    description = models.TextField("description", blank=True)
    kind = models.CharField(
        "type", max_length=8, choices=MaintenanceKind.choices, default=MaintenanceKind.PLANNED
    )
    blocking = models.BooleanField("bloquante", default=False)
    services = models.ManyToManyField(Service, related_name="maintenances")
    announced_at = models.DateTimeField("annoncée le")
    starts_at = models.DateTimeField("début")
    ends_at = models.DateTimeField("fin")
    status = models.CharField(
        "statut",
        max_length=12,
        choices=MaintenanceStatus.choices,
        default=MaintenanceStatus.SCHEDULED,
    )
    # What really happened (AVL-2: the excluded interval is the work done, not the plan).
    started_at = models.DateTimeField("commencée le", null=True, blank=True)
    completed_at = models.DateTimeField("terminée le", null=True, blank=True)
    public = models.BooleanField("publiée", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="créée par",
    )
    created_at = models.DateTimeField("créée le")

    class Meta:
        verbose_name = "maintenance"
        verbose_name_plural = "maintenances"
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="maintenance_period")]

    def __str__(self) -> str:
        return self.title


class UpdateKind(models.TextChoices):
    """MNT-4: the kinds of update a booklet names (C: major vs minor)."""

    NEW_VERSION = "new-version", _("Nouvelle version")
    PATCH = "patch", _("Patch")
    MAJOR = "major", _("Mise à jour majeure")
    MINOR = "minor", _("Mise à jour mineure")


class UpdateAnnouncement(models.Model):
    """MNT-4: a new version announced with its date, or a patch (no notice needed)."""

    offer_id = models.CharField("offre", max_length=64, db_index=True)
    kind = models.CharField("type", max_length=12, choices=UpdateKind.choices)
    version_label = models.CharField("version", max_length=40)
    planned_for = models.DateTimeField("date prévue")
    needs_implementation_services = models.BooleanField(
        "nécessite des prestations de mise en œuvre", default=False
    )
    needs_training = models.BooleanField("nécessite une formation", default=False)
    regulatory = models.BooleanField("patch réglementaire", default=False)
    changes_required_knowledge = models.BooleanField(
        "change ce que les utilisateurs doivent savoir",
        default=False,  # MNT-5
    )
    notes = models.TextField("notes", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="créée par",
    )
    created_at = models.DateTimeField("annoncée le")

    class Meta:
        verbose_name = "annonce de mise à jour"
        verbose_name_plural = "annonces de mise à jour"
        ordering = ["-planned_for"]

    def __str__(self) -> str:
        return f"{self.offer_id} {self.version_label}"


class AgreedUpdateDate(models.Model):
    """MNT-4, E option personalised update: the date agreed with one client."""

    announcement = models.ForeignKey(
        UpdateAnnouncement,
        on_delete=models.CASCADE,
        related_name="agreed_dates",
        verbose_name="annonce",
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="update_dates", verbose_name="contrat"
    )
    agreed_for = models.DateTimeField("date convenue")
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name="convenue par",
    )
    agreed_at = models.DateTimeField(verbose_name="convenue le")

    class Meta:
        verbose_name = "date de mise à jour convenue"
        verbose_name_plural = "dates de mise à jour convenues"
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "contract"], name="agreed_update_once_per_contract"
            )
        ]


class StatusEvent(models.Model):
    """Append-only log of what the status page announces (the feed and subscriptions read it).

    Written in the same transaction as the change by ``livret.status.services``. ``kind`` is one
    of ``incident.created``, ``incident.updated``, ``incident.resolved``, ``maintenance.planned``,
    ``maintenance.started``, ``maintenance.completed``, ``maintenance.cancelled``,
    ``update.announced``, ``update.agreed``, ``service.state``. ``incident.updated`` also
    records a change of cause (``data["cause"]`` and ``data["previous_cause"]``).
    """

    at = models.DateTimeField(db_index=True, verbose_name="le")
    kind = models.CharField(max_length=40, verbose_name="type")
    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    maintenance = models.ForeignKey(
        Maintenance, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    announcement = models.ForeignKey(
        UpdateAnnouncement,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name="annonce",
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    # Tenancy of the event: public ones go on the public page; the others only to the clients
    # whose services are concerned (``clients``: list of client ids).
    public = models.BooleanField(default=False)
    clients = models.JSONField(default=list)
    title = models.CharField(max_length=300, verbose_name="titre")
    body = models.TextField(blank=True, verbose_name="texte")
    data = models.JSONField(default=dict, verbose_name="données")

    class Meta:
        verbose_name = "événement de statut"
        verbose_name_plural = "événements de statut"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.title}"
