from django.urls import path

from livret.status import views

urlpatterns = [
    # the vendor's back office
    path("exploitation/services/", views.service_list, name="status-services"),
    path("exploitation/services/<int:pk>/", views.service_detail, name="status-service"),
    path(
        "exploitation/services/<int:pk>/sondes/<int:probe_id>/basculer/",
        views.probe_toggle,
        name="status-probe-toggle",
    ),
    path("exploitation/incidents/", views.incident_list, name="status-incidents"),
    path("exploitation/incidents/nouveau/", views.incident_new, name="status-incident-new"),
    path("exploitation/incidents/<int:pk>/", views.incident_detail, name="status-incident"),
    path(
        "exploitation/incidents/<int:pk>/<slug:action>/",
        views.incident_action,
        name="status-incident-action",
    ),
    path("exploitation/maintenances/", views.maintenance_list, name="status-maintenances"),
    path(
        "exploitation/maintenances/nouvelle/",
        views.maintenance_new,
        name="status-maintenance-new",
    ),
    path(
        "exploitation/maintenances/<int:pk>/<slug:action>/",
        views.maintenance_action,
        name="status-maintenance-action",
    ),
    path("exploitation/mises-a-jour/", views.update_list, name="status-updates"),
    path("exploitation/mises-a-jour/<int:pk>/", views.update_detail, name="status-update"),
    # the client's availability report
    path("portail/disponibilite/", views.availability_list, name="availability"),
    path(
        "portail/disponibilite/<int:pk>/",
        views.availability_detail,
        name="availability-service",
    ),
]
