from django.urls import include, path

from livret.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("offres/", views.offer_list, name="offer-list"),
    path("offres/<slug:offer_id>/", views.offer_detail, name="offer-detail"),
    path("offres/<slug:offer_id>/livret.md", views.offer_markdown, name="offer-markdown"),
    path("offres/<slug:offer_id>/livret.html", views.offer_standalone, name="offer-html"),
    path("offres/<slug:offer_id>/v<int:number>/", views.offer_detail, name="offer-version"),
    path(
        "offres/<slug:offer_id>/v<int:number>/livret.md",
        views.offer_markdown,
        name="offer-version-markdown",
    ),
    path("healthz", views.healthz, name="healthz"),
    path("", include("livret.accounts.urls")),
]
