"""URL map: web pages, the JSON API and the admin back office."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("livret.web.urls")),
]
