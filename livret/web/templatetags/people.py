"""``{{ user|person }}``: a person as pages name them (full name, never the login)."""

from typing import Any

from django import template

from livret.tenants.access import can_use_admin, display_name

register = template.Library()


@register.filter
def person(user: Any) -> str:
    """The person's full name (else e-mail address); an empty string for nobody."""
    return display_name(user) if user is not None else ""


@register.filter
def uses_admin(user: Any) -> bool:
    """Whether the menu shows the admin link to this person (:func:`can_use_admin`)."""
    return can_use_admin(user)
