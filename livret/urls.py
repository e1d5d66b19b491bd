"""URL map: web pages, the JSON API and the admin back office."""

from django.contrib import admin
from django.urls import include, path

from livret.api.urls import api

admin.site.site_header = "livret — back office"
admin.site.site_title = "livret"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("livret.support.urls")),
    path("", include("livret.status.urls")),
    path("", include("livret.statuspage.urls")),
    path("", include("livret.monitoring.urls")),
    path("", include("livret.web.urls")),
]
