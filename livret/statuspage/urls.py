"""Status pages, feeds and subscriptions (MNT-3), under /statut/."""

from django.urls import path

from livret.statuspage import views

app_name = "statuspage"

urlpatterns = [
    path("statut/", views.index, name="index"),
    # Token links from the mails (before the vendor pages: "/statut/<vendor>/").
    path("statut/confirmation/<str:token>/", views.confirm, name="confirm"),
    path("statut/desabonnement/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("statut/<slug:vendor>/", views.public_page, name="public"),
    path("statut/<slug:vendor>/statut.json", views.summary, name="json"),
    path("statut/<slug:vendor>/maintenances.ics", views.calendar, name="ics"),
    path("statut/<slug:vendor>/flux.atom", views.atom, name="atom"),
    path("statut/<slug:vendor>/mon-espace/", views.private_page, name="private"),
    path("statut/<slug:vendor>/incidents/<int:pk>/", views.incident, name="incident"),
    path("statut/<slug:vendor>/maintenances/<int:pk>/", views.maintenance, name="maintenance"),
    path("statut/<slug:vendor>/abonnement/", views.subscribe, name="subscribe"),
    path("statut/<slug:vendor>/webhooks/", views.webhooks, name="webhooks"),
    path(
        "statut/<slug:vendor>/webhooks/<int:pk>/supprimer/",
        views.webhook_delete,
        name="webhook-delete",
    ),
]
