from django.urls import include, path

from livret.web import offers, views

urlpatterns = [
    path("", views.home, name="home"),
    path("offres/", offers.offer_list, name="offer-list"),
    path("offres/<slug:offer_id>/", offers.offer_detail, name="offer-detail"),
    path("offres/<slug:offer_id>/livret.md", offers.offer_markdown, name="offer-markdown"),
    path("offres/<slug:offer_id>/livret.html", offers.offer_standalone, name="offer-html"),
    path("offres/<slug:offer_id>/v<int:number>/", offers.offer_detail, name="offer-version"),
    path(
        "offres/<slug:offer_id>/v<int:number>/livret.md",
        offers.offer_markdown,
        name="offer-version-markdown",
    ),
    path("support/offres/", offers.offers_admin, name="offers-admin"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("", include("livret.accounts.urls")),
]
