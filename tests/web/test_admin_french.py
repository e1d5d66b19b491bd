"""The admin speaks French (issue 12): every app, model and field of livret has a French label,
plurals are spelled right, and walking the admin as a superuser shows no English model name and no
SPEC rule ID."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.utils.text import camel_case_to_spaces

pytestmark = pytest.mark.django_db

SPEC_ID = re.compile(r"\b(?:OFF|CAL|REQ|AVL|MNT|BKP|RET|ACC|CTR|PCK|LRN|KB|OBL|RPT|MON)-\d")
# Field names that are already French words: their default label is the right one.
FRENCH_ALREADY = {
    "client",
    "notification",
    "clients",
    "options",
    "description",
    "service",
    "services",
    "message",
    "notes",
    "impact",
    "source",
    "cause",
    "incident",
    "maintenance",
    "public",
    "position",
    "site",
    "occurrences",
}


class Labels(HTMLParser):
    """The labels a page shows: headings, captions, column and row headers, field labels,
    the breadcrumbs (not the data in the rows, which may well say "SQL Server")."""

    TAGS = {"h1", "h2", "h3", "caption", "th", "label", "legend", "title"}

    VOID = {"br", "hr", "img", "input", "link", "meta", "col", "source", "wbr"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.open: list[bool] = []  # for each open element: is it (inside) a label?
        self.parts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            inside = bool(self.open and self.open[-1])
            self.open.append(inside or tag in self.TAGS or ("class", "breadcrumbs") in attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1]:
            self.parts.append(data)

    def __str__(self) -> str:
        return " ".join(self.parts)


def livret_models() -> list:  # type: ignore[type-arg]
    return [
        m for a in apps.get_app_configs() if a.name.startswith("livret.") for m in a.get_models()
    ]


def english_name(model) -> str:  # type: ignore[no-untyped-def]
    """The label Django makes up from a class name (``OutgoingMail`` -> "outgoing mail")."""
    return camel_case_to_spaces(model.__name__)


def test_every_app_and_model_has_a_french_label_and_plural() -> None:
    problems = []
    for config in apps.get_app_configs():
        if config.name.startswith("livret.") and "verbose_name" not in type(config).__dict__:
            problems.append(f"app {config.label}: no verbose_name")
    for model in livret_models():
        attrs = model._meta.original_attrs
        if "verbose_name" not in attrs or "verbose_name_plural" not in attrs:
            problems.append(f"{model.__name__}: verbose_name and verbose_name_plural required")
        elif model._meta.verbose_name == english_name(model) and model.__name__.lower() not in (
            FRENCH_ALREADY
        ):
            problems.append(f"{model.__name__}: English label {model._meta.verbose_name!r}")
    assert not problems, "\n".join(problems)


def test_every_field_has_a_french_label() -> None:
    problems = [
        f"{model.__name__}.{field.name}"
        for model in livret_models()
        for field in model._meta.get_fields()
        if getattr(field, "concrete", False)
        and not field.auto_created
        and field.verbose_name == field.name.replace("_", " ")
        and field.name not in FRENCH_ALREADY
    ]
    assert not problems, f"fields labelled by their English name: {problems}"


@pytest.mark.parametrize(
    ("model", "plural"),
    [
        ("support.Attachment", "pièces jointes"),
        ("status.UpdateAnnouncement", "annonces de mise à jour"),
        ("statuspage.Subscription", "abonnements à la page de statut"),
        ("monitoring.PreventiveVisit", "visites préventives"),
        ("mail.OutgoingMail", "courriels sortants"),
        ("ops.WorkerHeartbeat", "processus d'arrière-plan"),
    ],
)
def test_plurals_are_spelled_right(model: str, plural: str) -> None:
    assert apps.get_model(model)._meta.verbose_name_plural == plural


def test_the_admin_reads_french_to_a_superuser(demo) -> None:
    browser = Client()
    browser.force_login(demo.lead)  # the demo's lead is the superuser
    english = {english_name(m) for m in livret_models() if m._meta.verbose_name != english_name(m)}
    problems = []
    pages = ["/admin/"]
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        pages.append(f"/admin/{info[0]}/{info[1]}/")
        first = model.objects.order_by("pk").first()
        if first is not None:
            pages.append(f"/admin/{info[0]}/{info[1]}/{first.pk}/change/")
    for path in pages:
        response = browser.get(path)
        assert response.status_code == 200, (path, response.status_code)
        text = str(Labels(response.content.decode()))
        problems += [
            f"{path}: {name!r}" for name in english if re.search(rf"\b{name}s?\b", text.lower())
        ]
        problems += [f"{path}: SPEC ID {m.group()!r}" for m in SPEC_ID.finditer(text)]
    assert not problems, "\n".join(problems)
