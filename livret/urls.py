"""URL map: web pages, the JSON API and the admin back office."""

from django.contrib import admin
from django.urls import include, path

from livret.accounts.forms import ThrottledAdminLoginForm
from livret.accounts.views import admin_login
from livret.api.urls import api

admin.site.site_header = "livret — back office"
admin.site.site_title = "livret"
admin.site.login_form = ThrottledAdminLoginForm  # the portal's throttle (issue 13, item 2)

urlpatterns = [
    path("admin/login/", admin_login),  # before the admin's own login/, same name in templates
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("livret.support.urls")),
    path("", include("livret.notifications.urls")),
    path("", include("livret.status.urls")),
    path("", include("livret.statuspage.urls")),
    path("", include("livret.monitoring.urls")),
    path("", include("livret.web.urls")),
]
