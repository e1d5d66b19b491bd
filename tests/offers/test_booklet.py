"""SPEC OFF-4: any offer renders back into a readable French booklet (HTML and Markdown).

A reader of the rendered booklet must find every commitment of the seed document it came
from: the tables below list, per preset, the seed's numbers as the booklet spells them.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.template.loader import render_to_string

from livret.core.offer import PRESET_IDS, Offer, load_offer_text, load_preset
from livret.offers.booklet import (
    TO_CONFIRM,
    build_booklet,
    clock_fr,
    opening_hours_fr,
    percent_fr,
    render_booklet,
)
from livret.offers.booklet.french import for_readers

FORMATS = ("html", "md")


# --------------------------------------------------------------------------- presets
def preset_params() -> list[Any]:
    """Every built-in preset id."""
    return list(PRESET_IDS)


# Seed commitments as the booklet spells them (SPEC REQ-4..7, AVL, MNT, BKP, RET, LRN, PCK,
# CTR, MON). Each entry: (what, text a reader must find).
SEED_COMMITMENTS: dict[str, list[tuple[str, str]]] = {
    "quadra-entreprise": [
        ("Q art. 14 pickup, critical", "Demande Critique : sous 4 heures ouvrées"),
        ("Q art. 14 pickup, high", "Demande Élevée : sous 6 heures ouvrées"),
        ("Q art. 14 pickup, moderate", "Demande Modérée : sous 8 heures ouvrées"),
        ("Q art. 14 action plan", "12 heures ouvrées"),
        ("Q art. 14 fix", "6 jours ouvrés"),
        (
            "Q art. 14 support hours",
            "du lundi au jeudi de 9 h à 12 h 30 et de 14 h à 17 h 30 ; "
            "le vendredi de 9 h à 12 h 30 et de 14 h à 17 h",
        ),
        (
            "Q art. 16 customer service",
            "du lundi au jeudi de 9 h à 18 h ; le vendredi de 9 h à 17 h",
        ),
        ("Q art. 6 availability", "au moins 99 %"),
        ("Q art. 6 PRT", "du lundi au vendredi de 7 h à 20 h"),
        ("Q art. 5 window", "du lundi au vendredi de 0 h à 7 h et de 20 h à 24 h"),
        ("Q art. 5 weekend", "le samedi et le dimanche toute la journée"),
        ("Q art. 5 blocking", "pas d'intervention bloquante avant 22 h"),
        ("Q art. 5 notice", "au moins 48 heures à l'avance"),
        ("Q art. 9 retention", "45 jours calendaires"),
        ("Q art. 9 copies", "2 exemplaires conservés dans des lieux différents"),
        ("Q art. 4 history", "3 ans : l'année en cours et les 2 précédentes"),
        ("Q art. 4 documents", "5 Go par client"),
        ("Q art. 15 learning phase", "phase d'apprentissage de 6 mois"),
        ("Q art. 15 exam", "au moins 70 % de bonnes réponses"),
        ("Q art. 15 retake", "7 jours calendaires"),
        ("Q art. 17 pack", "Pack Assistance+"),
        ("Q art. 18 pack", "Pack Service+"),
        ("Q art. 17-18 commitment", "Engagement : 36 mois"),
        ("Q art. 18 credits", "Crédits valables 12 mois"),
        ("Q art. 19 billing", "trimestriellement, terme à échoir"),
        ("Q art. 20 term", "36 mois de facturation"),
        ("Q art. 20 notice", "au moins 6 mois avant la fin de la période en cours"),
        ("Q art. 20 letter", "lettre recommandée avec accusé de réception"),
        ("Q art. 4 territory", "France métropolitaine"),
    ],
    "expert-on-demand": [
        ("E §12.2 pickup Open", "8 heures ouvrées"),
        ("E §12.2 pickup Private", "4 heures ouvrées"),
        ("E §12.2 compliance", "Au moins 75 %"),
        ("E §12.2 period", "12 mois consécutifs"),
        ("E §12.2 support afternoons", "de 14 h 30 à 17 h 30"),
        ("E §12.6 phone afternoons", "de 14 h à 17 h 30"),
        ("E §12.10 extended hours", "du lundi au jeudi de 9 h à 18 h ; le vendredi de 9 h à 17 h"),
        ("E §12.3 action plan", "12 heures ouvrées"),
        ("E §12.3 fix", "6 jours ouvrés"),
        ("E art. 6 availability", "au moins 99,5 %"),
        ("E art. 6 PRT", "du lundi au vendredi de 7 h à 20 h"),
        ("E art. 5 blocking", "pas d'intervention bloquante avant 22 h"),
        ("E art. 5 notice", "au moins 48 heures à l'avance"),
        ("E art. 9 daily", "7 jours calendaires"),
        ("E art. 9 weekly", "4 semaines"),
        ("E art. 9 monthly", "2 mois"),
        ("E art. 4 documents", "5 Go par utilisateur"),
        ("E art. 4 unused dossiers", "6 ans"),
        ("E art. 4 clear flag", "25 décembre"),
        ("E art. 4 shifted closing", "11 mois"),
        ("E art. 4 recovery", "45 jours"),
        ("E art. 3 acceptance environment", "plus de 300 utilisateurs nommés"),
        ("E art. 14 billing", "trimestriellement, terme à échoir"),
        ("E formulas", "Connect"),
        ("E formulas", "Open"),
        ("E formulas", "Private"),
        ("E art. 4 territory", "France métropolitaine"),
    ],
    "preventcare": [
        ("P §3.2.2 disk time", "95 %"),
        ("P §3.2.2 disk time duration", "pendant 20 minutes"),
        ("P §3.2.2 page file", "85 %"),
        ("P §3.2.2 page file duration", "pendant 15 minutes"),
        ("P §3.2.2 committed memory", "90 %"),
        ("P §3.2.2 memory duration", "pendant 10 minutes"),
        ("P §3.2.2 collection", "1 minute"),
        ("P §3.2.2 free disk", "10 %"),
        ("P §3.2.2 daily check", "chaque jour à 3 h"),
        ("P §3.2.2 event log", "toutes les 10 minutes"),
        ("P §3.2.2 latency", "600 ms"),
        ("P §3.2.2 heartbeat", "1 heure"),
        ("P §3.2.3 level 1 diagnosis", "diagnostic de niveau 1 d'au plus 1 heure"),
        ("P §3.2.1 set-up small", "1 jour"),
        ("P §3.2.1 set-up medium", "2 jours"),
        ("P §3.2.1 set-up quoted", "à partir de 50 utilisateurs"),
        ("P §3.2.4 visits", "2 visites préventives par an"),
        ("P art. 5.1 liability", "12 mois"),
        ("P art. 6 cure period", "20 jours calendaires"),
    ],
    "eksae-contact": [
        ("C §3.1.2 pickup", "8 heures ouvrées"),
        ("C §3.1.2 compliance", "Au moins 75 %"),
        ("C §3.1.2 period", "12 mois consécutifs"),
        ("C §3.1.2 versions", "2 dernières versions majeures"),
        ("C §3.1.3 action plan", "12 heures ouvrées"),
        ("C §3.1.3 fix", "6 jours ouvrés"),
        ("C §3.1.3 client validation", "validée par le client sous 3 jours ouvrés"),
        ("C art. 1 criticity", "Bloquante"),
        ("C art. 1 criticity", "Majeure"),
        ("C art. 1 criticity", "Mineure"),
        ("OFF-2 placeholder hours", "du lundi au vendredi de 9 h à 12 h 30 et de 14 h à 17 h 30"),
        ("OFF-2 placeholder marked", TO_CONFIRM),
        ("C art. 1 updates", "mises à jour majeures"),
    ],
    "carrus-saas": [
        ("S §13 pickup", "8 heures ouvrées"),
        ("S §13 compliance", "Au moins 75 %"),
        ("S §14 action plan", "12 heures ouvrées"),
        ("S §14 fix", "6 jours ouvrés"),
        ("S §6 availability", "au moins 99,85 %"),
        ("S §6 PRT", "du lundi au vendredi de 7 h à 20 h"),
        ("S §5 nightly window", "de 0 h à 7 h"),
        ("S §5 Sunday", "le dimanche toute la journée"),
        ("S §5 notice", "au moins 48 heures à l'avance"),
        ("S §7 daily", "30 jours calendaires"),
        ("S §7 monthly", "3 mois"),
        ("S §4 history", "5 ans : l'année en cours et les 4 précédentes"),
        ("S §4 overseas", "La Réunion"),
        ("S §8 option", "PRA"),
        ("S §11 password", "à changer à la première connexion"),
        ("S §17 usage data", "aucune donnée personnelle"),
        ("OFF-2 placeholder marked", TO_CONFIRM),
    ],
}


def commitment_params() -> list[Any]:
    """(preset, format, what, text) for every seed commitment, skipped while a preset is missing."""
    params = []
    for offer_id, rows in SEED_COMMITMENTS.items():
        for what, text in rows:
            for fmt in FORMATS:
                params.append(
                    pytest.param(
                        offer_id,
                        fmt,
                        text,
                        id=f"{offer_id}-{fmt}-{what}",
                    )
                )
    return params


# --------------------------------------------------------------------------- reading helpers

VOID_ELEMENTS = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}


class _Reader(HTMLParser):
    """Collects the visible text and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.chunks: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.h1 = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "a" and attributes.get("href", "").startswith("#"):  # type: ignore[union-attr]
            self.links.append(str(attributes["href"])[1:])
        if tag == "h1":
            self.h1 += 1
        if tag in ("style", "title"):
            self._skip += 1
        if tag not in VOID_ELEMENTS:
            self.stack.append(tag)
        self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_ELEMENTS:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()
        if tag in ("style", "title"):
            self._skip -= 1
        self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def read_html(html: str) -> _Reader:
    """Parse rendered HTML; the reader holds its text, ids, links and nesting errors."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def text_of(rendered: str, fmt: str) -> str:
    """What a person reads: HTML without tags and entities, Markdown without escapes."""
    if fmt == "html":
        text = "".join(read_html(rendered).chunks)
    else:
        text = re.sub(r"\\([\\<|#>+\-*=.)])", r"\1", rendered)
    return " ".join(text.split())


def booklet_text(offer_id: str, fmt: str) -> str:
    """The readable text of a preset's booklet."""
    return text_of(render_booklet(load_preset(offer_id).offer, fmt), fmt)  # type: ignore[arg-type]


def values_of(data: Any, key: str) -> list[str]:
    """Every string stored under ``key`` anywhere in a dumped offer."""
    found: list[str] = []
    if isinstance(data, dict):
        for name, value in data.items():
            if name == key and isinstance(value, str):
                found.append(value)
            else:
                found.extend(values_of(value, key))
    elif isinstance(data, list):
        for value in data:
            found.extend(values_of(value, key))
    return found


# --------------------------------------------------------------------------- seed commitments


@pytest.mark.parametrize(("offer_id", "fmt", "text"), commitment_params())
def test_it_shows_every_seed_commitment(offer_id: str, fmt: str, text: str) -> None:
    assert text in booklet_text(offer_id, fmt)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("offer_id", preset_params())
def test_it_cites_every_source_and_note(offer_id: str, fmt: str) -> None:
    offer = load_preset(offer_id).offer
    text = booklet_text(offer_id, fmt)
    dumped = offer.model_dump(mode="json")
    # As readers see them: without the SPEC rule IDs some presets' notes cite (issue 12).
    for source in map(for_readers, values_of(dumped, "source")):
        assert source in text, f"source {source!r} not cited"
    for note in map(for_readers, values_of(dumped, "note")):
        assert " ".join(note.split()) in text, f"note {note!r} not shown"
    assert "SPEC" not in text
    articles = build_booklet(offer).articles
    assert text.count("Source :") >= len(articles)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("offer_id", preset_params())
def test_it_shows_readings_under_their_own_article(offer_id: str, fmt: str) -> None:
    offer = load_preset(offer_id).offer
    text = booklet_text(offer_id, fmt)
    if not offer.readings:
        pytest.skip("this preset takes no reading")
    assert "Lectures retenues" in text
    for reading in offer.readings:
        assert reading.topic in text
        assert " ".join(for_readers(reading.text).split()) in text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("offer_id", preset_params())
def test_it_marks_placeholder_calendars_for_the_operator(offer_id: str, fmt: str) -> None:
    offer = load_preset(offer_id).offer
    support = offer.calendars.get("support")
    if support is None:
        pytest.skip("this preset has no support calendar")
    before = booklet_text(offer_id, fmt)
    placeholder = offer.model_copy(
        update={
            "calendars": {
                **offer.calendars,
                "support": support.model_copy(update={"placeholder": True}),
            }
        }
    )
    after = text_of(render_booklet(placeholder, fmt), fmt)  # type: ignore[arg-type]
    assert (TO_CONFIRM in before) == any(c.placeholder for c in offer.calendars.values())
    assert TO_CONFIRM in after


# --------------------------------------------------------------------------- HTML document


@pytest.mark.parametrize("offer_id", preset_params())
def test_it_renders_a_well_formed_standalone_html_document(offer_id: str) -> None:
    html = render_booklet(load_preset(offer_id).offer, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="fr">' in html
    assert not re.search(r'(src|href)="(?!#)', html), "no external assets"
    assert "<link" not in html and "@import" not in html and "url(" not in html
    reader = read_html(html)
    assert reader.errors == []
    assert reader.stack == []
    assert reader.h1 == 1
    assert reader.links, "a table of contents"
    assert set(reader.links) <= set(reader.ids), "every contents link has its article"
    assert len(reader.ids) == len(set(reader.ids)), "ids are unique"


@pytest.mark.parametrize("offer_id", preset_params())
def test_it_gives_the_body_alone_for_the_site_layout(offer_id: str) -> None:
    booklet = build_booklet(load_preset(offer_id).offer)
    body = render_to_string("offers/booklet_body.html", {"booklet": booklet})
    assert "<html" not in body and "<body" not in body and "<style" not in body
    reader = read_html(body)
    assert reader.errors == [] and reader.stack == []
    assert booklet.title in text_of(body, "html")


@pytest.mark.parametrize("offer_id", preset_params())
def test_it_escapes_offer_text_in_html(offer_id: str) -> None:
    offer = load_preset(offer_id).offer
    hostile = offer.model_copy(update={"name": "<script>x</script>", "vendor": "A & <b>B</b>"})
    html = render_booklet(hostile, "html")
    assert "<script>" not in html
    assert "<b>B</b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert read_html(html).errors == []
    assert "<script>x</script>" in text_of(html, "html")


@pytest.mark.parametrize("offer_id", preset_params())
def test_it_keeps_offer_text_as_text_in_markdown(offer_id: str) -> None:
    offer = load_preset(offer_id).offer
    hostile = offer.model_copy(update={"name": "<script>x</script> | # titre"})
    md = render_booklet(hostile, "md")
    without_anchors = re.sub(r'<a id="art-[a-z-]+"></a>', "", md)
    raw_html = re.findall(r"(?<!\\)<", without_anchors)
    assert raw_html == [], "only the article anchors are HTML"
    assert "\\<script>x\\</script>" in md


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("offer_id", preset_params())
def test_it_shows_the_version_label(offer_id: str, fmt: str) -> None:
    offer = load_preset(offer_id).offer
    assert f"Version {offer.version}" in booklet_text(offer_id, fmt)
    custom = render_booklet(offer, fmt, version_label="Version signée le 1er mars 2026")  # type: ignore[arg-type]
    assert "Version signée le 1er mars 2026" in text_of(custom, fmt)


def test_it_refuses_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="pdf"):
        render_booklet(load_preset("quadra-entreprise").offer, "pdf")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- optional sections

MINIMAL = {
    "id": "minimal",
    "version": "1",
    "name": "Offre minimale",
    "vendor": "Éditeur",
    "kind": "support",
    "territories": {"sold_in": ["metropole"], "source": "M §1"},
    "formulas": {"standard": {"label": "Standard", "source": "M §2"}},
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_renders_an_offer_with_every_optional_section_absent(fmt: str) -> None:
    offer = Offer.model_validate(MINIMAL)
    rendered = render_booklet(offer, fmt)  # type: ignore[arg-type]
    text = text_of(rendered, fmt)
    assert "Offre minimale" in text
    assert "Source : M §1" in text and "Source : M §2" in text
    assert [a.title for a in build_booklet(offer).articles] == ["Territoires", "Formules"]


# Every optional section present, with the shapes of the E, P, C and S seeds, so that the
# renderer is exercised before all the presets exist.
FULL_OFFER = """
id = "full"
version = "test"
name = "Offre complète"
vendor = "Éditeur"
kind = "saas"
seed = "full.txt"
default_formula = "open"

[territories]
sold_in = ["metropolitan", "974"]
source = "F §4"

[formulas.connect]
label = "Connect"
support = false
source = "F §1"

[formulas.open]
label = "Open"
source = "F §1"

[formulas.private]
label = "Private"
priority_line = true
dashboard = true
calendars = { support = "extended" }
source = "F §12.9"

[calendars.support]
label = "Support"
source = "F §12.2"
placeholder = true
extra_closed_days = [2026-12-24]
worked_holidays = ["Lundi de Pentecôte"]
weekdays.mon = [["09:00", "12:30"], ["14:00", "17:30"]]
weekdays.tue = [["09:00", "12:30"], ["14:00", "17:30"]]
weekdays.wed = [["09:00", "12:30"], ["14:00", "17:30"]]
weekdays.thu = [["09:00", "12:30"], ["14:00", "17:30"]]
weekdays.fri = [["09:00", "12:30"], ["14:00", "17:30"]]

[calendars.extended]
label = "Horaires étendus"
source = "F §12.10"
weekdays.mon = [["09:00", "18:00"]]
weekdays.tue = [["09:00", "18:00"]]
weekdays.wed = [["09:00", "18:00"]]
weekdays.thu = [["09:00", "18:00"]]
weekdays.fri = [["09:00", "17:00"]]

[calendars.availability]
label = "PRT"
source = "F §6"
weekdays.mon = [["07:00", "20:00"]]
weekdays.tue = [["07:00", "20:00"]]
weekdays.wed = [["07:00", "20:00"]]
weekdays.thu = [["07:00", "20:00"]]
weekdays.fri = [["07:00", "20:00"]]

[calendars.maintenance]
label = "Fenêtre"
source = "F §5"
holidays = "open-all-day"
weekdays.mon = [["00:00", "07:00"]]
weekdays.tue = [["00:00", "07:00"]]
weekdays.wed = [["00:00", "07:00"]]
weekdays.thu = [["00:00", "07:00"]]
weekdays.fri = [["00:00", "07:00"]]
weekdays.sat = [["00:00", "07:00"]]
weekdays.sun = [["00:00", "24:00"]]

[support]
source = "F §13"
channels = ["portal", "phone", "email"]
remote_assistance = { source = "F §12.7" }

[support.pickup.open]
source = "F §12.2 Open"
default = { amount = 8, unit = "business_hours" }

[support.pickup.private]
source = "F §12.2 Private"
default = { amount = 4, unit = "business_hours" }

[support.compliance]
source = "F §12.2 taux"
target_percent = 75
period = { amount = 12, unit = "months" }

[[support.eligibility]]
id = "supported-version"
label = "Une version maintenue"
latest_major_versions = 2
source = "F §3.1.2"

[anomalies]
source = "F §14"
formulas = ["open", "private"]
client_validation = { amount = 3, unit = "business_days" }

[anomalies.criticities.1]
label = "Bloquante"
definition = "Rend impossible l'utilisation."

[anomalies.criticities.2]
label = "Majeure"
definition = "Rend inopérante une fonctionnalité."

[anomalies.criticities.3]
label = "Mineure"
definition = "Le reste."

[anomalies.action_plan]
source = "F §14 plan"
criticities = [1]
within = { amount = 12, unit = "business_hours" }

[anomalies.fix]
source = "F §14 fix"
criticities = [2]
within = { amount = 6, unit = "business_days" }

[availability]
source = "F §6 TD"
target_percent = 99.85
excluded_causes = ["maintenance", "force-majeure"]

[maintenance]
source = "F §5 MNT"
notice = { amount = 48, unit = "hours" }

[backups]
source = "F §7"

[[backups.tiers]]
name = "Quotidienne"
every = "day"
keep = { amount = 30, unit = "calendar_days" }

[[backups.tiers]]
name = "Mensuelle"
every = "month"
day_of_month = 1
keep = { amount = 3, unit = "months" }

[history]
source = "F §4 hist"
years = 5

[dossiers]
source = "F §4 dossiers"
active_within = { amount = 12, unit = "months" }
unused_after = { amount = 6, unit = "years" }
auto_flag_year = 5
auto_flag_quarter = 4
clear_until = "12-25"
billing_stops_after = { amount = 1, unit = "months" }
billing_stop_cutoff_day = 25
shifted_closing_extra_free_months = 11
deleted_on_removal = ["la base comptable", "les données du Portail et de la Box"]
kept_on_removal = ["le DP du cabinet et la GED"]
recovery_window = { amount = 45, unit = "calendar_days" }

[documents]
source = "F §4 docs"
quota_gb = 5
quota_per = "user"
formats = ["pdf", "image"]

[accounts]
source = "F §11"

[[accounts.kinds]]
id = "admin"
label = "Compte administrateur"
purpose = "Administration"
created_by = "vendor"
initial_password_by_vendor = true
change_password_at_first_login = true

[learning]
source = "F §13.1"
content_levels = { connect = ["connect"], open = ["connect", "open"] }
m365_content = { connect = ["standard"], open = ["standard", "premium"] }

[billing]
source = "F §14 billing"
every = "month"
in_advance = false
first_invoice = "contract-start"

[termination]
source = "F §6 résiliation"
liability_cap_over = { amount = 12, unit = "months" }
cure_period = { amount = 20, unit = "calendar_days" }
immediate_if_unsupported_version = true

[options.personalised-updates]
source = "F §3 maj"
label = "Mise à jour personnalisée"
formulas = ["private"]

[options.acceptance]
source = "F §3 recette"
label = "Environnement de recette"
requires = ["personalised-updates"]
named_users_more_than = 300
limits = { environments = 1, named_users = 10, dossiers = 50, refreshes_per_year = 2 }

[updates]
source = "F §10"
kinds = ["major", "minor"]
agreed_date_option = "personalised-updates"
regulatory_patches_excepted = true

[monitoring]
source = "F §3.2"
collection_interval = { amount = 1, unit = "minutes" }
sensors = ["Batterie", "RAID"]
technical_document = ["Contacts", "Serveurs"]

[[monitoring.rules]]
id = "disk-time"
label = "Temps disque"
metric = "disk_time_percent"
above = 95
duration = { amount = 20, unit = "minutes" }

[[monitoring.rules]]
id = "free-disk"
label = "Espace disque libre"
metric = "disk_free_percent"
below = 10
schedule = "03:00"
impact = "significant"

[[monitoring.rules]]
id = "latency"
label = "Latence multi-site"
metric = "latency_ms"
above = 600
every = { amount = 1, unit = "hours" }

[monitoring.heartbeat]
every = { amount = 1, unit = "hours" }
grace = { amount = 5, unit = "minutes" }

[[monitoring.triage]]
id = "major-extended"
label = "Majeur, étendu"
actions = ["open-request", "phone-call"]
level1_diagnosis_max = { amount = 1, unit = "hours" }

[[monitoring.setup]]
min_users = 1
max_users = 9
max_servers = 2
days = 1

[[monitoring.setup]]
min_users = 50

[monitoring.visits]
per_year = 2
per_extra_server = 1
max_length = { amount = 1, unit = "calendar_days" }

[knowledge]
source = "F §15"
assistant = true

[reports]
source = "F §12.11"
formulas = ["private"]
knowledge_articles_consulted = true
usage_statistics = true
usage_data_without_personal_data = true

[[readings]]
topic = "Après-midi du support"
source = "F §12.2 vs §12.6"
text = "Le support ouvre à 14 h 30, le téléphone à 14 h."
"""

FULL_EXPECTED = [
    "Cette formule ne comporte pas de délai de prise en charge",
    "Toute demande : sous 8 heures ouvrées",
    "Toute demande : sous 4 heures ouvrées",
    "par écrit sur le portail, par téléphone ou par courriel",
    "Private — Horaires étendus : du lundi au jeudi de 9 h à 18 h ; le vendredi de 9 h à 17 h",
    "Appels prioritaires",
    TO_CONFIRM,
    "24 décembre 2026",
    "Lundi de Pentecôte",
    "Au moins 75 % des demandes",
    "12 mois consécutifs",
    "l'une des 2 dernières versions majeures",
    "Ces délais s'appliquent aux formules Open et Private",
    "criticité 1 (Bloquante)",
    "criticité 3 (Mineure)",
    "validée par le client sous 3 jours ouvrés",
    "au moins 99,85 %",
    "du lundi au samedi de 0 h à 7 h ; le dimanche toute la journée",
    "au moins 48 heures à l'avance",
    "le 1er de chaque mois",
    "30 jours calendaires",
    "5 ans : l'année en cours et les 4 précédentes",
    "moins de 12 mois",
    "au moins 6 ans",
    "4e trimestre de la 5e année",
    "jusqu'au 25 décembre",
    "avant le 25 du mois",
    "11 mois de gratuité",
    "Supprimé : la base comptable et les données du Portail et de la Box",
    "45 jours calendaires",
    "5 Go par utilisateur, aux fichiers PDF et images",
    "à changer à la première connexion",
    "Open : Connect et Open",
    "Open : Standards et Premium",
    "facturé mensuellement, terme échu",
    "à la date de début du contrat",
    "12 mois précédant l'événement",
    "20 jours calendaires après réception d'une mise en demeure",
    "Réservée aux clients ayant plus de 300 utilisateurs nommés",
    "Nécessite l'option « Mise à jour personnalisée »",
    "Limite : 10 utilisateurs nommés au maximum",
    "Limite : 50 dossiers au maximum",
    "Limite : 2 rafraîchissements des données par an",
    "Disponible avec la formule Private",
    "mises à jour majeures",
    "Avec l'option « Mise à jour personnalisée », la date d'installation est définie avec "
    "le client (sauf patchs réglementaires)",
    "au-delà de 95 %",
    "pendant 20 minutes",
    "en dessous de 10 %",
    "chaque jour à 3 h",
    "au-delà de 600 ms",
    "toutes les heures",
    "au-delà de 1 heure plus 5 minutes de grâce",
    "diagnostic de niveau 1 d'au plus 1 heure",
    "de 1 à 9 utilisateurs, 2 serveurs au plus",
    "à partir de 50 utilisateurs",
    "2 visites préventives par an sur site, plus 1 par serveur au-delà du premier",
    "Batterie",
    "Assistant conversationnel",
    "Réservé à la formule Private",
    "aucune donnée personnelle",
    "La Réunion",
    "Indian/Reunion",
    "Lectures retenues",
    "Le support ouvre à 14 h 30, le téléphone à 14 h.",
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("expected", FULL_EXPECTED)
def test_it_renders_every_optional_section_when_present(fmt: str, expected: str) -> None:
    offer = load_offer_text(FULL_OFFER, "full.toml").offer
    assert expected in text_of(render_booklet(offer, fmt), fmt)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_it_cites_every_source_of_a_full_offer(fmt: str) -> None:
    offer = load_offer_text(FULL_OFFER, "full.toml").offer
    text = text_of(render_booklet(offer, fmt), fmt)  # type: ignore[arg-type]
    for source in values_of(offer.model_dump(mode="json"), "source"):
        assert source in text, source


def test_it_renders_a_full_offer_as_well_formed_html() -> None:
    offer = load_offer_text(FULL_OFFER, "full.toml").offer
    reader = read_html(render_booklet(offer, "html"))
    assert reader.errors == [] and reader.stack == []
    assert set(reader.links) <= set(reader.ids)


# --------------------------------------------------------------------------- French formatting


@pytest.mark.parametrize(
    ("value", "expected"),
    [(99.5, "99,5 %"), (99.0, "99 %"), (99.85, "99,85 %"), (75, "75 %"), (0.5, "0,5 %")],
)
def test_it_writes_percentages_the_french_way(value: float, expected: str) -> None:
    assert percent_fr(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("09:00", "9 h"),
        ("12:30", "12 h 30"),
        ("00:00", "0 h"),
        ("24:00", "24 h"),
        ("14:05", "14 h 05"),
    ],
)
def test_it_writes_times_the_french_way(value: str, expected: str) -> None:
    assert clock_fr(value) == expected


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        (
            {
                **{
                    d: [["09:00", "12:30"], ["14:00", "17:30"]]
                    for d in ("mon", "tue", "wed", "thu")
                },
                "fri": [["09:00", "12:30"], ["14:00", "17:00"]],
            },
            "du lundi au jeudi de 9 h à 12 h 30 et de 14 h à 17 h 30 ; "
            "le vendredi de 9 h à 12 h 30 et de 14 h à 17 h",
        ),
        (
            {d: [["07:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
            "du lundi au vendredi de 7 h à 20 h",
        ),
        (
            {"sat": [["00:00", "24:00"]], "sun": [["00:00", "24:00"]]},
            "le samedi et le dimanche toute la journée",
        ),
        (
            {"mon": [["09:00", "12:00"]], "wed": [["09:00", "12:00"]]},
            "le lundi de 9 h à 12 h ; le mercredi de 9 h à 12 h",
        ),
        ({}, "aucune plage d'ouverture"),
    ],
)
def test_it_groups_identical_weekdays_in_opening_hours(
    weekdays: dict[str, list[list[str]]], expected: str
) -> None:
    from livret.core.offer.schema import CalendarSpec

    calendar = CalendarSpec.model_validate({"label": "x", "source": "T", "weekdays": weekdays})
    assert opening_hours_fr(calendar) == expected
