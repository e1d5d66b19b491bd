"""Read-only offer endpoints: the booklets are public documents."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from livret.offers.models import OfferVersion

router = Router(tags=["offers"])
# What these public routes may answer besides 200 (the JSON errors of ``livret.api.errors``,
# which sits above this app: its ERRORS and Error cannot be imported here).
_ERRORS = frozenset({404, 422, 500, 503})


class OfferError(Schema):
    """A refused call (``livret.api.errors``)."""

    code: str
    message: str


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


@router.get("/offers", response={200: list[OfferSummary], _ERRORS: OfferError})
def list_offers(request: HttpRequest) -> list[dict[str, Any]]:
    """The latest version of every offer."""
    seen: set[str] = set()
    out = []
    for version in OfferVersion.objects.order_by("offer_id", "-number").defer("source_text"):
        if version.offer_id not in seen:
            seen.add(version.offer_id)
            out.append(_summary(version))
    return out


@router.get("/offers/{offer_id}", response={200: OfferDetail, _ERRORS: OfferError})
def get_offer(
    request: HttpRequest, offer_id: str, version: int | None = Query(None, ge=1, le=2**31 - 1)
) -> dict[str, Any]:
    """One offer, latest version unless ``version`` is given, with all its data."""
    versions = OfferVersion.objects.filter(offer_id=offer_id)
    found = (versions.filter(number=version) if version else versions.order_by("-number")).first()
    if found is None:
        raise Http404(f"no offer {offer_id!r}" + (f" version {version}" if version else ""))
    return {**_summary(found), "offer": found.offer.model_dump(mode="json")}
