"""The staff's notification pages: the list, the menu's unread count, the preferences.

Vendor staff only: anyone else gets a 404 (``require_vendor_page``). Each person reaches only
their own notifications, by the services' ``notifications_of``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from livret.notifications import services
from livret.notifications.models import Kind
from livret.tenants.access import require_vendor_page

PAGE_SIZE = 25


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first, paginated; unread ones marked."""
    require_vendor_page(request.user)
    page = Paginator(services.notifications_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page})


def counter(request: HttpRequest) -> HttpResponse:
    """The menu's link with the unread count, polled by htmx (a 404 is never swapped in)."""
    require_vendor_page(request.user)
    return render(request, "notifications/_menu.html")


@login_required
def open_one(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark the notification read and go where it points.

    A plain link (GET), so that it opens in a new tab too: marking one's own notification read
    is the only effect, and repeating it changes nothing.
    """
    require_vendor_page(request.user)
    found = services.mark_read(request.user, notification_id)
    if not url_has_allowed_host_and_scheme(found.link, allowed_hosts=None):
        return redirect("notification-list")
    return redirect(found.link)


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification of the person read."""
    require_vendor_page(request.user)
    count = services.mark_all_read(request.user)
    if count:
        done = _("Notifications marquées comme lues : %(count)d.") % {"count": count}
        messages.success(request, done)
    return redirect("notification-list")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Per kind: by mail, in the application (a checkbox each)."""
    require_vendor_page(request.user)
    if request.method == "POST":
        chosen = {
            kind: (f"{kind}-mail" in request.POST, f"{kind}-app" in request.POST)
            for kind in Kind.values
        }
        services.set_preferences(request.user, chosen)
        messages.success(request, _("Préférences de notification enregistrées."))
        return redirect("notification-preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"choices": services.preferences(request.user)},
    )
