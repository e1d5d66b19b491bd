"""Vendor pages for offers: validate and import a booklet file, see versions and contracts."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from livret.core.offer import OfferError, load_offer_text
from livret.offers.models import OfferVersion
from livret.offers.services import import_offer
from livret.tenants.access import is_vendor

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
