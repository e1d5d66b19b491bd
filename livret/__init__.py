"""livret: a software vendor's service booklet, run as code and measured."""

import os

__version__ = "0.1.0"


def setup_django() -> None:
    """Configure Django with livret's settings (unless DJANGO_SETTINGS_MODULE names others)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
    import django

    django.setup()
