"""The offers' pages: the booklets rendered from the stored versions (OFF-4, OFF-5), and the
vendor page that validates and imports a booklet file (OFF-1).

They live in the web layer, above tenants, because the vendor page needs the persona helpers."""

from __future__ import annotations

from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from livret.core.offer import OfferError, load_offer_text
from livret.offers.models import OfferVersion
from livret.offers.services import import_offer
from livret.tenants.access import Person, is_vendor, membership
from livret.tenants.models import Contract


def client_vendors(user: Person | None) -> set[str] | None:
    """The vendors whose offers a client's person sees: those of its contracts. ``None`` (all
    of them) for vendor staff and visitors: the booklets are the vendors' public catalogue."""
    member = membership(user)
    if member is None or member.client_id is None or is_vendor(user):
        return None
    return set(
        Contract.objects.filter(client_id=member.client_id).values_list(
            "offer_version__vendor", flat=True
        )
    )


def _versions_for(user: Person | None) -> QuerySet[OfferVersion]:
    versions = OfferVersion.objects.order_by("offer_id", "-number").defer("source_text")
    vendors = client_vendors(user)
    return versions if vendors is None else versions.filter(vendor__in=vendors)


def visible_versions(user: Person | None) -> list[OfferVersion]:
    """The latest version of every offer this person sees (:func:`client_vendors`)."""
    versions = _versions_for(user)
    return [next(group) for _offer_id, group in groupby(versions, key=lambda v: v.offer_id)]


def offer_list(request: HttpRequest) -> HttpResponse:
    """Every offer with its versions (OFF-5); a client sees its own vendors' offers only."""
    versions = _versions_for(request.user)
    rows = []
    for _offer_id, group in groupby(versions, key=lambda v: v.offer_id):
        items = list(group)
        rows.append({"latest": items[0], "versions": items})
    return render(request, "web/offer_list.html", {"rows": rows})


def _version(request: HttpRequest, offer_id: str, number: int | None) -> OfferVersion:
    versions = _versions_for(request.user).filter(offer_id=offer_id)
    version = (
        versions.filter(number=number).first() if number else versions.order_by("-number").first()
    )
    if version is None:
        raise Http404("Aucune offre ou version de ce nom.")
    return version


def _booklet(version: OfferVersion, fmt: str) -> str:
    from livret.offers.booklet import render_booklet

    return render_booklet(version.offer, fmt, version_label=f"version {version.number}")  # type: ignore[arg-type]


def offer_detail(request: HttpRequest, offer_id: str, number: int | None = None) -> HttpResponse:
    """The booklet (OFF-4) of the latest or a given version, inside the site's layout."""
    from livret.offers.booklet import build_booklet

    version = _version(request, offer_id, number)
    booklet = build_booklet(version.offer, version_label=f"version {version.number}")
    return render(request, "web/booklet.html", {"booklet": booklet, "version": version})


def offer_standalone(
    request: HttpRequest, offer_id: str, number: int | None = None
) -> HttpResponse:
    """The booklet as one self-contained HTML document, to save or print."""
    return HttpResponse(_booklet(_version(request, offer_id, number), "html"))


def offer_markdown(request: HttpRequest, offer_id: str, number: int | None = None) -> HttpResponse:
    """The booklet as Markdown, offered as a download."""
    version = _version(request, offer_id, number)
    response = HttpResponse(_booklet(version, "md"), content_type="text/markdown; charset=utf-8")
    filename = f"{version.offer_id}-v{version.number}.md"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


MAX_OFFER_BYTES = 1024 * 1024


class OfferUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier du livret (TOML)"), help_text=_("Il est validé avant tout import.")
    )
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("validate", _("Valider seulement")), ("import", _("Valider et importer"))],
        widget=forms.RadioSelect,
        initial="validate",
    )


@login_required
def offers_admin(request: HttpRequest) -> HttpResponse:
    """OFF-1, OFF-5: every version with its contracts; upload a file to validate or import."""
    if not is_vendor(request.user):
        raise Http404()
    form = OfferUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read(MAX_OFFER_BYTES + 1)
        if len(raw) > MAX_OFFER_BYTES:
            form.add_error("file", gettext("le fichier dépasse 1 Mo"))
        else:
            try:
                loaded = load_offer_text(raw.decode("utf-8"), upload.name)
            except UnicodeDecodeError:
                form.add_error("file", gettext("le fichier n'est pas du texte UTF-8"))
            except OfferError as error:
                problems = [str(p) for p in error.problems]
            else:
                if form.cleaned_data["action"] == "import":
                    result = import_offer(loaded, upload.name)
                    version = result.version
                    text = (
                        gettext("%(offer)s importé comme version %(n)s.")
                        if result.created
                        else gettext("%(offer)s déjà présent en version %(n)s.")
                    )
                    messages.success(
                        request, text % {"offer": loaded.offer.id, "n": version.number}
                    )
                    return redirect("offers-admin")
                messages.success(
                    request,
                    gettext("%(file)s est valide (%(offer)s, livret %(label)s).")
                    % {
                        "file": upload.name,
                        "offer": loaded.offer.id,
                        "label": loaded.offer.version,
                    },
                )
    versions = (
        OfferVersion.objects.defer("source_text")
        .annotate(contract_count=Count("contracts"))
        .order_by("offer_id", "-number")
    )
    return render(
        request, "offers/admin.html", {"form": form, "problems": problems, "versions": versions}
    )
