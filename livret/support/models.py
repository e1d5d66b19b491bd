"""Support requests, their append-only audit trail, attachments, alerts and API tokens.

Their mails go through the outbox of ``livret.mail`` (``thread`` = the request's number).

SPEC REQ-1..11. Deadlines are stored columns (``pickup_due_at``, …, ``next_alert_at``) computed
by ``livret.core.sla`` from the event history, so the worker finds due work with one indexed
query. State changes happen only in ``livret.support.services``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from livret.tenants.models import Client, Contract


class Kind(models.TextChoices):
    """REQ-3: what a request is about."""

    ANOMALY = "anomaly", _("Anomalie / incident")
    USAGE = "usage-question", _("Question d'utilisation")
    CUSTOMER_SERVICE = "customer-service", _("Service client")
    OUT_OF_SCOPE = "out-of-scope", _("Prestation hors périmètre")


class Channel(models.TextChoices):
    """REQ-1: how the request reached the vendor."""

    PORTAL = "portal", _("Portail")
    API = "api", _("API")
    PHONE = "phone", _("Téléphone")
    EMAIL = "email", _("E-mail")
    MONITORING = "monitoring", _("Télésurveillance")


class State(models.TextChoices):
    """Where a request stands in its lifecycle."""

    REGISTERED = "registered", _("Enregistrée")
    TAKEN_IN_CHARGE = "taken-in-charge", _("Prise en charge")
    QUALIFIED = "qualified", _("Qualifiée")
    ACTION_PLAN_DELIVERED = "action-plan-delivered", _("Plan d'action fourni")
    AWAITING_VALIDATION = "awaiting-validation", _("En attente de validation client")
    WAITING_FOR_CLIENT = "waiting-for-client", _("En attente du client")
    REOPENED = "reopened", _("Rouverte")
    CLOSED = "closed", _("Clôturée")
    CANCELLED = "cancelled", _("Annulée")


OPEN_STATES = [value for value in State.values if value not in ("closed", "cancelled")]


class Priority(models.TextChoices):
    """Q art. 14: the priority the filer gives (it sets Q's pickup deadline)."""

    CRITICAL = "critical", _("Critique")
    HIGH = "high", _("Élevée")
    MODERATE = "moderate", _("Modérée")


class Criticity(models.IntegerChoices):
    """REQ-5: the class of a reproduced anomaly."""

    BLOCKING = 1, _("1 — Bloquante")
    MAJOR = 2, _("2 — Majeure")
    MINOR = 3, _("3 — Mineure")


class Team(models.Model):
    """A support team: it receives the requests on its offers and is led by one person.

    A team with no offer listed takes the requests that no other team claims.
    """

    name = models.CharField("nom", max_length=100, unique=True)
    slug = models.SlugField("identifiant", max_length=64, unique=True)
    offers = models.JSONField(
        "offres traitées",
        default=list,
        blank=True,
        help_text="identifiants des offres (ex. quadra-entreprise) ; vide : toutes les autres",
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_teams",
        verbose_name="responsable",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name="membres"
    )

    class Meta:
        verbose_name = "équipe"
        verbose_name_plural = "équipes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """A ready-made text a technician inserts in a message; the request page fills in
    ``{client}``, ``{nom}``, ``{numero}`` and ``{echeance}`` (``livret.support.composer``)."""

    team = models.ForeignKey(
        Team,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name="équipe",
        help_text="vide : proposée à toutes les équipes",
    )
    title = models.CharField("titre", max_length=100)
    body = models.TextField("texte")

    class Meta:
        verbose_name = "réponse type"
        verbose_name_plural = "réponses types"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class Request(models.Model):
    """A support or customer-service request ("Demande")."""

    number = models.CharField("numéro", max_length=32, unique=True, null=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="requests")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="requests", verbose_name="contrat"
    )
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    channel = models.CharField("canal", max_length=12, choices=Channel.choices)
    state = models.CharField("état", max_length=24, choices=State.choices, default=State.REGISTERED)
    state_before_wait = models.CharField(
        max_length=24, blank=True, verbose_name="état avant l'attente"
    )
    title = models.CharField("objet", max_length=200)
    description = models.TextField("description")
    context = models.TextField("contexte", blank=True)
    error_messages = models.TextField("messages d'erreur", blank=True)
    menu_path = models.CharField("enchaînement des menus", max_length=500, blank=True)
    priority = models.CharField(
        "priorité", max_length=10, choices=Priority.choices, default=Priority.MODERATE
    )
    criticity = models.PositiveSmallIntegerField(
        "criticité", choices=Criticity.choices, null=True, blank=True
    )
    not_an_anomaly = models.BooleanField("qualifiée hors anomalie", default=False)
    filer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="filed_requests",
        verbose_name="déposée par",
    )
    filer_email = models.EmailField("e-mail du demandeur", blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
        verbose_name="technicien",
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name="équipe",
    )
    priority_line = models.BooleanField("ligne prioritaire", default=False)  # REQ-9
    eligibility_issues = models.JSONField("réserves d'éligibilité", default=list)  # REQ-8
    billable = models.BooleanField("facturable", default=False)  # REQ-3

    registered_at = models.DateTimeField("enregistrée le", db_index=True)
    picked_up_at = models.DateTimeField("prise en charge le", null=True, blank=True)
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True)
    # Deadlines computed by livret.core.sla from the events (never edited by hand).
    pickup_due_at = models.DateTimeField(
        null=True, blank=True, verbose_name="prise en charge due le"
    )
    action_plan_due_at = models.DateTimeField(
        null=True, blank=True, verbose_name="plan d'action dû le"
    )
    action_plan_delivered_at = models.DateTimeField(
        null=True, blank=True, verbose_name="plan d'action fourni le"
    )
    fix_due_at = models.DateTimeField(null=True, blank=True, verbose_name="correction due le")
    fix_delivered_at = models.DateTimeField(
        null=True, blank=True, verbose_name="correction livrée le"
    )
    validation_due_at = models.DateTimeField(
        null=True, blank=True, verbose_name="validation due le"
    )
    next_deadline_at = models.DateTimeField(
        null=True, blank=True, verbose_name="prochaine échéance"
    )
    next_alert_at = models.DateTimeField(null=True, blank=True, verbose_name="prochaine alerte")
    breached = models.JSONField("délais dépassés", default=list)
    # When the worker told the staff of this new request (None: not yet; see support.jobs).
    staff_told_at = models.DateTimeField("personnel prévenu le", null=True, blank=True)
    # Head of the audit chain: a deleted last event shows as a mismatch (REQ-11).
    event_count = models.PositiveIntegerField(default=0, verbose_name="nombre d'événements")
    last_event_hash = models.CharField(max_length=64, blank=True, verbose_name="dernière empreinte")

    class Meta:
        verbose_name = "demande"
        verbose_name_plural = "demandes"
        ordering = ["-registered_at"]
        indexes = [
            # The worker's breach scan: next alert due, open requests only.
            models.Index(
                fields=["next_alert_at"],
                name="request_next_alert",
                condition=models.Q(next_alert_at__isnull=False),
            ),
            # The worker's new-request scan: requests whose staff were not told yet.
            models.Index(
                fields=["registered_at"],
                name="request_staff_untold",
                condition=models.Q(staff_told_at__isnull=True),
            ),
            models.Index(fields=["client", "state"], name="request_client_state"),
            models.Index(fields=["state", "next_deadline_at"], name="request_queue"),
            # The queues' count and page order read this index only, never the rows: every
            # column they sort or filter on (livret.support.lists, queue_order). Without it a
            # page of 20,000 open requests costs a table lookup per request (issue 12).
            models.Index(
                fields=[
                    "state",
                    "kind",
                    "priority_line",
                    "next_deadline_at",
                    "registered_at",
                    "assignee",
                    "team",
                    "client",
                    "criticity",
                    "next_alert_at",
                ],
                name="request_queue_rows",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} — {self.title}"

    @property
    def is_open(self) -> bool:
        """Not closed nor cancelled."""
        return self.state in OPEN_STATES


def queue_order(requests: models.QuerySet[Request]) -> models.QuerySet[Request]:
    """REQ-9 (``livret.core.sla.queue_key`` in SQL): open requests first; priority lines first
    come, first served; then the nearest deadline; closed and cancelled ones last."""
    return requests.annotate(
        _closed=models.Case(
            models.When(state__in=[State.CLOSED, State.CANCELLED], then=models.Value(1)),
            default=models.Value(0),
            output_field=models.IntegerField(),
        ),
        _first_come=models.Case(
            models.When(priority_line=True, then=models.F("registered_at")),
            default=None,
            output_field=models.DateTimeField(),
        ),
    ).order_by(
        "_closed",
        "-priority_line",
        models.F("_first_come").asc(nulls_last=True),
        models.F("next_deadline_at").asc(nulls_last=True),
        "registered_at",
        "pk",
    )


class RequestEvent(models.Model):
    """REQ-11: one entry of a request's append-only, hash-chained audit trail."""

    request = models.ForeignKey(
        Request, on_delete=models.PROTECT, related_name="events", verbose_name="demande"
    )
    seq = models.PositiveIntegerField(verbose_name="rang")
    at = models.DateTimeField(verbose_name="le")
    kind = models.CharField(max_length=40, verbose_name="type")
    # PROTECT: the actor's id is hashed (REQ-11); a person who acted is deactivated, not deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name="auteur",
    )
    actor_label = models.CharField(max_length=200, verbose_name="nom de l'auteur")
    data = models.JSONField(default=dict, verbose_name="données")
    visible_to_client = models.BooleanField(default=True, verbose_name="visible du client")
    prev_hash = models.CharField(max_length=64, verbose_name="empreinte précédente")
    hash = models.CharField(max_length=64, verbose_name="empreinte")
    # The formula ``hash`` was computed with (livret.core.audit.hashed_content); rows written
    # before version 2 keep 1 and are verified with it.
    hash_version = models.PositiveSmallIntegerField(
        default=2, verbose_name="version de l'empreinte"
    )

    class Meta:
        verbose_name = "événement"
        verbose_name_plural = "événements"
        ordering = ["request_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["request", "seq"], name="request_event_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.seq} {self.kind}"


def _attachment_key() -> str:
    return uuid.uuid4().hex


class Attachment(models.Model):
    """REQ-2: a file joined to a request, stored outside the web root."""

    request = models.ForeignKey(
        Request, on_delete=models.PROTECT, related_name="attachments", verbose_name="demande"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="déposée par"
    )
    filename = models.CharField("nom", max_length=255)
    content_type = models.CharField("type (d'après le contenu)", max_length=100)
    size = models.PositiveBigIntegerField("taille")
    sha256 = models.CharField(max_length=64, verbose_name="empreinte SHA-256")
    storage_key = models.CharField(
        max_length=64, unique=True, default=_attachment_key, verbose_name="clé de stockage"
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="ajoutée le")

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.filename


class CommentKind(models.TextChoices):
    """What a free message is; the other messages of the thread come from the trail's events."""

    REPLY = "reply", _("Message")
    PHONE_CALL = "phone-call", _("Note d'appel téléphonique")


class Comment(models.Model):
    """A message on a request; internal notes are never shown to the client."""

    request = models.ForeignKey(
        Request, on_delete=models.PROTECT, related_name="comments", verbose_name="demande"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="auteur"
    )
    kind = models.CharField(
        "type", max_length=12, choices=CommentKind.choices, default=CommentKind.REPLY
    )
    body = models.TextField(verbose_name="texte")
    internal = models.BooleanField(default=False, verbose_name="note interne")
    created_at = models.DateTimeField(verbose_name="écrit le")

    class Meta:
        verbose_name = "message"
        verbose_name_plural = "messages"
        ordering = ["created_at"]


class SlaAlert(models.Model):
    """A 75 % warning or a breach alert, sent once per request, clock run and level."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="alerts", verbose_name="demande"
    )
    clock = models.CharField(max_length=20, verbose_name="délai")
    level = models.CharField(max_length=10, verbose_name="niveau")
    clock_started_at = models.DateTimeField(
        null=True, help_text="the run of the clock warned", verbose_name="délai démarré le"
    )
    crossed_at = models.DateTimeField(verbose_name="seuil franchi le")
    created_at = models.DateTimeField(verbose_name="créée le")

    class Meta:
        verbose_name = "alerte de délai"
        verbose_name_plural = "alertes de délai"
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clock", "level", "clock_started_at"], name="sla_alert_once"
            ),
        ]


class RemoteSession(models.Model):
    """REQ-10: a remote-assistance session, inside the support calendar's hours."""

    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="sessions", verbose_name="demande"
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name="technicien"
    )
    starts_at = models.DateTimeField(verbose_name="début")
    ends_at = models.DateTimeField(verbose_name="fin")

    class Meta:
        verbose_name = "séance de téléassistance"
        verbose_name_plural = "séances de téléassistance"


class BillableProposal(models.Model):
    """REQ-3: out-of-scope work turned into a paid service offer, never silently dropped."""

    request = models.OneToOneField(
        Request, on_delete=models.CASCADE, related_name="proposal", verbose_name="demande"
    )
    service = models.CharField(max_length=40, verbose_name="prestation")
    description = models.TextField()
    amount_eur = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, verbose_name="montant (€)"
    )
    credits = models.PositiveIntegerField(null=True, blank=True, verbose_name="crédits")
    created_at = models.DateTimeField(verbose_name="proposée le")

    class Meta:
        verbose_name = "proposition de prestation payante"
        verbose_name_plural = "propositions de prestation payante"


class IdempotencyKey(models.Model):
    """An ``Idempotency-Key`` of ``POST /api/requests``: the same key from the same user files
    one request and replays its first answer for 24 hours (``livret.support.idempotency``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name="compte"
    )
    key = models.CharField(max_length=200, verbose_name="clé")
    fingerprint = models.CharField(
        max_length=64,
        help_text="SHA-256 of the request body",
        verbose_name="empreinte de la requête",
    )
    request = models.ForeignKey(
        Request, on_delete=models.CASCADE, related_name="+", verbose_name="demande"
    )
    answer = models.JSONField(
        help_text="the first answer's body, replayed as it was", verbose_name="réponse"
    )
    created_at = models.DateTimeField(db_index=True, verbose_name="créée le")

    class Meta:
        verbose_name = "clé d'idempotence"
        verbose_name_plural = "clés d'idempotence"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")
        ]


class SearchDocument(models.Model):
    """The words a request is found by (``livret.support.search``, decision 0012).

    ``public``: its number, title, description, context, error messages and every message its
    client may read; ``internal``: the vendor's internal notes, which only the vendor searches.
    Stored as the database's index reads them (folded for PostgreSQL's ``french``
    configuration, folded and stemmed for SQLite's FTS5); the index itself is database-specific
    (migration 0009: GIN over generated ``tsvector`` columns, or an FTS5 table kept by triggers).
    """

    request = models.OneToOneField(
        Request,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
        verbose_name="demande",
    )
    # The request's client, copied: a client's search reads its own documents only, through
    # this column's index (the request's client never changes).
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    public = models.TextField(blank=True)
    internal = models.TextField("notes internes", blank=True)

    class Meta:
        verbose_name = "texte de recherche"
        verbose_name_plural = "textes de recherche"

    def __str__(self) -> str:
        return str(self.request_id)
