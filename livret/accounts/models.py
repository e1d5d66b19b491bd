"""Failed logins, counted to slow down password guessing."""

from django.db import models


class LoginFailure(models.Model):
    """One failed login attempt for a username from an address."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(db_index=True)
