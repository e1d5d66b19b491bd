"""Clients (tenants), their contracts and the people who act for them (SPEC OFF-3, ACC-1)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from livret.core.contract import ContractTerms, contract_problems
from livret.core.territory import TERRITORIES
from livret.offers.models import OfferVersion


class Client(models.Model):
    """A client organisation of the vendor: the unit of tenancy."""

    name = models.CharField("nom", max_length=200)
    slug = models.SlugField("identifiant", max_length=64, unique=True)
    active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "client"
        verbose_name_plural = "clients"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


TERRITORY_CHOICES = [(t.code, t.label) for t in TERRITORIES.values()]


class Contract(models.Model):
    """OFF-3: a client bound to one offer version, formula and options."""

    reference = models.CharField("référence", max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="contracts")
    offer_version = models.ForeignKey(
        OfferVersion, on_delete=models.PROTECT, related_name="contracts", verbose_name="offre"
    )
    formula = models.CharField("formule", max_length=40)
    options = models.JSONField("options", default=list, blank=True)
    start_date = models.DateField("date de début")
    support_start_date = models.DateField(
        "début du support",
        null=True,
        blank=True,
        help_text="par défaut la date de début",  # REQ-7
    )
    named_users = models.PositiveIntegerField("utilisateurs nommés", default=1)
    territory = models.CharField(
        "territoire", max_length=16, choices=TERRITORY_CHOICES, default="metropole"
    )
    # REQ-8: support eligibility; a request from an ineligible client is accepted and flagged.
    users_trained = models.BooleanField("utilisateurs formés", default=True)
    remote_assistance = models.BooleanField("téléassistance possible", default=True)
    product_major_version = models.PositiveIntegerField(
        "version majeure installée", null=True, blank=True
    )
    latest_major_version = models.PositiveIntegerField(
        "dernière version majeure publiée", null=True, blank=True
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "contrat"
        verbose_name_plural = "contrats"
        ordering = ["client__name", "reference"]

    def __str__(self) -> str:
        return f"{self.reference} — {self.client} ({self.offer_version.offer_id}/{self.formula})"

    def terms(self) -> ContractTerms:
        """The contract's choices, as the core checks them."""
        return ContractTerms(
            formula=self.formula or None,
            options=tuple(self.options or ()),
            named_users=self.named_users,
            territory=self.territory,
        )

    def clean(self) -> None:
        """Refuse, with the rule, what the pinned offer forbids (OFF-3, CTR-4)."""
        if not isinstance(self.options, list) or not all(isinstance(o, str) for o in self.options):
            raise ValidationError({"options": "les options sont une liste d'identifiants"})
        if self.offer_version_id is None:
            return
        errors: dict[str, list[str]] = {}
        for problem in contract_problems(self.offer_version.offer, self.terms()):
            errors.setdefault(problem.field, []).append(problem.message)
        if errors:
            raise ValidationError(errors)


class Role(models.TextChoices):
    """What a person does on the platform (ACC-1); vendor roles have no client."""

    CLIENT_ADMIN = "client-admin", _("Administrateur client")
    CLIENT_USER = "client-user", _("Utilisateur client")
    TECHNICIAN = "technician", _("Technicien support")
    LEAD = "lead", _("Responsable support")
    OPERATOR = "operator", _("Exploitation")


VENDOR_ROLES = ("technician", "lead", "operator")
CLIENT_ROLE_CHOICES = [c for c in Role.choices if c[0] in ("client-user", "client-admin")]
CLIENT_ROLES = ("client-admin", "client-user")


class Membership(models.Model):
    """Links a login to a client (client roles) or to the vendor (no client)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="membership",
        verbose_name="compte",
    )
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, null=True, blank=True, related_name="members"
    )
    role = models.CharField("rôle", max_length=20, choices=Role.choices)
    must_change_password = models.BooleanField(
        "doit changer son mot de passe",
        default=False,
        help_text="mot de passe initial, à changer à la première connexion",  # ACC-2
    )

    class Meta:
        verbose_name = "rattachement"
        verbose_name_plural = "rattachements"
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(client__isnull=True, role__in=VENDOR_ROLES)
                    | models.Q(client__isnull=False, role__in=CLIENT_ROLES)
                ),
                name="membership_role_matches_client",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    @property
    def is_vendor(self) -> bool:
        """True for the vendor's own staff."""
        return self.client_id is None
