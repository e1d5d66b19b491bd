"""Login with throttling, the forced password change (ACC-2), and the client
administrator's account management (ACC-1, ACC-3)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from livret.accounts import services
from livret.accounts.forms import (
    NewAccountForm,
    OutboxPasswordResetForm,
    ThrottledLoginForm,
    VendorAccountForm,
)
from livret.errors import ServiceError
from livret.tenants.access import Person, display_name, is_vendor, membership
from livret.tenants.models import CLIENT_ROLE_CHOICES, VENDOR_ROLES, Membership, Role
from livret.web.errors import add_service_error, run_action
from livret.web.landing import landing_url


def _refused_as_throttled(response: HttpResponse) -> HttpResponse:
    """429 when the login form was refused by the throttle (its message is on the form)."""
    form = getattr(response, "context_data", None) and response.context_data.get("form")
    if form is not None and form.has_error(NON_FIELD_ERRORS, "throttled"):
        response.status_code = 429
    return response


class LoginView(auth_views.LoginView):
    """Django's login, refusing (429) after too many failures for a username or address.

    Once signed in, a person goes to the safe ``next=`` page if any, else where their role
    works (:func:`livret.web.landing.landing_url`)."""

    template_name = "accounts/login.html"
    form_class = ThrottledLoginForm

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user) or super().get_default_redirect_url()

    def form_invalid(self, form: Any) -> HttpResponse:
        return _refused_as_throttled(super().form_invalid(form))


def admin_login(request: HttpRequest) -> HttpResponse:
    """The back office's login under the portal's throttle: same counter, same message, 429
    (issue 13, item 2)."""
    return _refused_as_throttled(admin.site.login(request))


class PasswordChangeView(auth_views.PasswordChangeView):
    """ACC-2: also the forced first-login change; clears the flag once done."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        Membership.objects.filter(user=self.request.user).update(must_change_password=False)
        messages.success(self.request, _("Votre mot de passe a été changé."))
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["initial"] = self.request.GET.get("initial") == "1"
        return context


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("password-reset-done")


def _managed_client(user: Person) -> Any:
    member = membership(user)
    if member is None or member.client_id is None or member.role != Role.CLIENT_ADMIN:
        raise Http404("Page réservée aux administrateurs d'une organisation cliente.")
    return member.client


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """ACC-1, ACC-3: accounts of the organisation (its administrators), or of everyone (vendor)."""
    vendor = is_vendor(request.user)
    client = None if vendor else _managed_client(request.user)
    form_class = VendorAccountForm if vendor else NewAccountForm
    form = form_class(request.POST or None)
    new_account = None
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        target = data.pop("client", None) if vendor else client
        try:
            new_account = services.create_account(request.user, client=target, **data)
        except ServiceError as error:
            add_service_error(form, error)
        else:
            form = form_class()
    members = Membership.objects.select_related("user", "client").order_by(
        "client__name", "user__username"
    )
    if not vendor:
        members = members.filter(client=client)
    return render(
        request,
        "accounts/users.html",
        {
            "client": client,
            "members": members,
            "form": form,
            "new_account": new_account,
            "vendor": vendor,
            "client_roles": CLIENT_ROLE_CHOICES,
            "vendor_roles": [c for c in Role.choices if c[0] in VENDOR_ROLES],
        },
    )


def _member_of_my_client(request: HttpRequest, user_id: int) -> Any:
    accounts = get_user_model().objects.filter(membership__isnull=False)
    if not is_vendor(request.user):
        accounts = accounts.filter(membership__client=_managed_client(request.user))
    try:
        return accounts.get(pk=user_id)
    except get_user_model().DoesNotExist:
        raise Http404("Aucun compte de ce numéro dans votre organisation.") from None


@login_required
@require_POST
def set_active(request: HttpRequest, user_id: int) -> HttpResponse:
    """ACC-3: deactivate (at once) or reactivate an account of the organisation."""
    user = _member_of_my_client(request, user_id)
    active = request.POST.get("active") == "1"
    text = _("Compte %(name)s réactivé.") if active else _("Compte %(name)s désactivé.")
    return run_action(
        request,
        lambda: services.set_active(request.user, user, active),
        text % {"name": display_name(user)},
        "account-users",
    )


@login_required
@require_POST
def set_role(request: HttpRequest, user_id: int) -> HttpResponse:
    """ACC-3: change an account's role inside the organisation."""
    user = _member_of_my_client(request, user_id)
    return run_action(
        request,
        lambda: services.set_role(request.user, user, request.POST.get("role", "")),
        _("Rôle de %(name)s modifié.") % {"name": display_name(user)},
        "account-users",
    )
