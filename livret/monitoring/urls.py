"""Monitoring pages: vendor staff under /exploitation/surveillance/, clients under /portail/."""

from django.urls import path

from livret.monitoring import views

urlpatterns = [
    path("exploitation/surveillance/", views.board, name="monitoring-board"),
    path(
        "exploitation/surveillance/alertes/<int:pk>/<slug:action>/",
        views.alert_action,
        name="monitoring-alert-action",
    ),
    path("exploitation/surveillance/sites/", views.site_list, name="monitoring-sites"),
    path("exploitation/surveillance/sites/<int:pk>/", views.site_detail, name="monitoring-site"),
    path(
        "exploitation/surveillance/sites/<int:pk>/sauvegardes/<int:job_pk>/retirer/",
        views.backup_job_remove,
        name="monitoring-backup-remove",
    ),
    path(
        "exploitation/surveillance/sites/<int:pk>/serveurs/<int:server_pk>/jeton/",
        views.server_token_create,
        name="monitoring-token-create",
    ),
    path(
        "exploitation/surveillance/sites/<int:pk>/jetons/<int:token_pk>/revoquer/",
        views.server_token_revoke,
        name="monitoring-token-revoke",
    ),
    path("exploitation/surveillance/impacts/", views.impacts, name="monitoring-impacts"),
    path("portail/surveillance/", views.portal, name="portal-monitoring"),
    path("portail/surveillance/sites/<int:pk>/", views.portal_site, name="portal-monitoring-site"),
]
