"""Start Django with livret's settings, for the command, benchmarks and test scripts."""

import os


def setup_django() -> None:
    """Configure Django with livret's settings (unless DJANGO_SETTINGS_MODULE names others)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livret.settings")
    import django

    django.setup()
