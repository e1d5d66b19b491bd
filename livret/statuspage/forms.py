"""Forms of the subscription pages (MNT-3). They parse; the rules live in services and rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from livret.statuspage.rules import MAX_URL_LENGTH, webhook_url_problem


class SubscribeForm(forms.Form):
    """E-mail subscription to the public announcements (double opt-in)."""

    email = forms.EmailField(
        label=_("Adresse e-mail"),
        max_length=254,
        help_text=_("Vous recevrez un lien de confirmation ; rien ne sera envoyé sans lui."),
        error_messages={
            "required": _("Indiquez votre adresse e-mail."),
            "invalid": _("Cette adresse e-mail n'est pas valide (exemple : nom@domaine.fr)."),
        },
    )


class WebhookForm(forms.Form):
    """A webhook: its URL only; the signing secret is generated."""

    url = forms.CharField(
        label=_("Adresse du webhook (URL)"),
        max_length=MAX_URL_LENGTH,
        help_text=_("http:// ou https:// ; chaque événement y est envoyé en POST, signé."),
        error_messages={"required": _("Indiquez l'adresse du webhook.")},
    )

    def clean_url(self) -> str:
        url = str(self.cleaned_data["url"]).strip()
        problem = webhook_url_problem(url)
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return url
