"""Failed logins, counted to slow down password guessing, and the users' API tokens."""

from django.conf import settings
from django.db import models


class LoginFailure(models.Model):
    """One failed login attempt for a username from an address."""

    username = models.CharField(max_length=150, db_index=True, verbose_name="identifiant saisi")
    ip = models.GenericIPAddressField(null=True, blank=True, verbose_name="adresse IP")
    at = models.DateTimeField(db_index=True, verbose_name="le")

    class Meta:
        verbose_name = "échec de connexion"
        verbose_name_plural = "échecs de connexion"


class ApiToken(models.Model):
    """A token for the REST API; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name="compte",
    )
    name = models.CharField(max_length=100, verbose_name="nom")
    key_hash = models.CharField(max_length=64, unique=True, verbose_name="empreinte de la clé")
    prefix = models.CharField(max_length=8, verbose_name="préfixe")
    created_at = models.DateTimeField(auto_now_add=True, verbose_name="créé le")
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name="dernier usage le")
    revoked = models.BooleanField(default=False, verbose_name="révoqué")

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
