"""Offer versions imported from booklet files (SPEC OFF-1, OFF-5).

A version stores the exact file text and its digest. Versions are never edited: importing a
changed file creates the next version number, and contracts keep the version they pinned
until they are migrated (``livret.tenants.services.migrate_contract``).
"""

from __future__ import annotations

from functools import cached_property

from django.db import models

from livret.core.offer import Offer, load_offer_text


class OfferVersion(models.Model):
    """One immutable version of one offer."""

    offer_id = models.SlugField("identifiant de l'offre", max_length=64)
    number = models.PositiveIntegerField("version")
    label = models.CharField("libellé de version du livret", max_length=40)
    name = models.CharField("nom", max_length=200)
    vendor = models.CharField("éditeur", max_length=200)
    kind = models.CharField("type", max_length=20)
    digest = models.CharField("empreinte SHA-256", max_length=64)
    source_text = models.TextField("fichier TOML")
    source_name = models.CharField("importé depuis", max_length=500)
    builtin = models.BooleanField("préréglage intégré", default=False)
    imported_at = models.DateTimeField("importé le", auto_now_add=True)

    class Meta:
        verbose_name = "version d'offre"
        verbose_name_plural = "versions d'offres"
        ordering = ["offer_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["offer_id", "number"], name="offer_version_number"),
            models.UniqueConstraint(fields=["offer_id", "digest"], name="offer_version_digest"),
        ]

    def __str__(self) -> str:
        return f"{self.offer_id} v{self.number} ({self.label})"

    def save(self, *args: object, **kwargs: object) -> None:
        # OFF-5: a stored version never changes; a changed file is imported as a new one.
        if self.pk is not None:
            raise ValueError(f"offer version {self} is immutable: import the file as a new version")
        super().save(*args, **kwargs)

    @cached_property
    def offer(self) -> Offer:
        """The validated offer, parsed once per process (a version's text never changes)."""
        offer = _PARSED.get(self.digest)
        if offer is None:
            offer = load_offer_text(self.source_text, f"{self.offer_id}@v{self.number}").offer
            _PARSED[self.digest] = offer
        return offer


# Parsed offers by digest: versions are immutable (OFF-5), so the cache never goes stale.
_PARSED: dict[str, Offer] = {}
