"""Read-only offer endpoints: the booklets are public documents."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from livret.offers.models import OfferVersion

router = Router(tags=["offers"])


class OfferSummary(Schema):
    id: str
    name: str
    vendor: str
    kind: str
    version: int
    label: str
    digest: str


class OfferDetail(OfferSummary):
    offer: dict[str, Any]


def _summary(version: OfferVersion) -> dict[str, Any]:
    return {
        "id": version.offer_id,
        "name": version.name,
        "vendor": version.vendor,
        "kind": version.kind,
        "version": version.number,
        "label": version.label,
        "digest": version.digest,
    }


@router.get("/offers", response=list[OfferSummary])
def list_offers(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest version of every offer."""
    seen: set[str] = set()
    out = []
    for version in OfferVersion.objects.order_by("offer_id", "-number").defer("source_text"):
        if version.offer_id not in seen:
            seen.add(version.offer_id)
            out.append(_summary(version))
    return out


@router.get("/offers/{offer_id}", response=OfferDetail)
def get_offer(request: HttpRequest, offer_id: str, version: int | None = None) -> dict[str, Any]:
    """One offer, latest version unless ``version`` is given, with all its data."""
    versions = OfferVersion.objects.filter(offer_id=offer_id)
    found = (versions.filter(number=version) if version else versions.order_by("-number")).first()
    if found is None:
        raise Http404(f"no offer {offer_id!r}" + (f" version {version}" if version else ""))
    return {**_summary(found), "offer": found.offer.model_dump(mode="json")}
