"""The booklet of an offer: its articles in order, numbered (SPEC OFF-4)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from livret.core.offer.schema import Offer
from livret.offers.booklet.contract import (
    billing_article,
    options_article,
    packs_article,
    readings_article,
    termination_article,
)
from livret.offers.booklet.french import for_readers
from livret.offers.booklet.labels import KIND_LABELS_FR
from livret.offers.booklet.model import Article, Block, Booklet, Draft
from livret.offers.booklet.monitoring import monitoring_article
from livret.offers.booklet.perimeter import calendars_article, formulas_article, territories_article
from livret.offers.booklet.service import (
    accounts_article,
    availability_article,
    backups_article,
    documents_article,
    dossiers_article,
    history_article,
    maintenance_article,
    updates_article,
)
from livret.offers.booklet.support import (
    anomalies_article,
    customer_service_article,
    knowledge_article,
    learning_article,
    reports_article,
    support_article,
)

# The order of the articles, close to the seeds': perimeter, service, support, money, tools.
ARTICLES: tuple[Callable[[Offer], Draft | None], ...] = (
    territories_article,
    formulas_article,
    calendars_article,
    availability_article,
    maintenance_article,
    backups_article,
    history_article,
    dossiers_article,
    documents_article,
    updates_article,
    accounts_article,
    support_article,
    anomalies_article,
    customer_service_article,
    monitoring_article,
    knowledge_article,
    reports_article,
    learning_article,
    packs_article,
    options_article,
    billing_article,
    termination_article,
    readings_article,
)


def build_booklet(offer: Offer, *, version_label: str | None = None) -> Booklet:
    """The booklet view-model of an offer (SPEC OFF-4); absent sections give no article."""
    drafts = [draft for build in ARTICLES if (draft := build(offer)) is not None]
    articles = tuple(
        Article(
            anchor=f"art-{draft.anchor}",
            number=number,
            title=draft.title,
            source=for_readers(draft.source),
            note=for_readers(draft.note or ""),
            blocks=tuple(_clean(b) for b in draft.blocks),
        )
        for number, draft in enumerate(drafts, start=1)
    )
    return Booklet(
        title=f"Livret de services — {offer.name}",
        name=offer.name,
        vendor=offer.vendor,
        version_label=version_label if version_label is not None else f"Version {offer.version}",
        kind=KIND_LABELS_FR.get(offer.kind, offer.kind),
        summary=offer.summary,
        articles=articles,
    )


def _clean(block: Block) -> Block:
    return replace(
        block,
        source=for_readers(block.source),
        note=for_readers(block.note),
        paragraphs=tuple(for_readers(p) for p in block.paragraphs if p),
    )
