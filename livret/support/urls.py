from django.urls import path

from livret.support import views

urlpatterns = [
    path("demandes/", views.request_list, name="request-list"),
    path("demandes/export.csv", views.request_list_export, name="request-list-export"),
    path("demandes/nouvelle/", views.request_new, name="request-new"),
    path("demandes/<str:number>/", views.request_detail, name="request-detail"),
    path("demandes/<str:number>/ecrire/", views.request_compose, name="request-compose"),
    path("demandes/<str:number>/historique/", views.request_trail, name="request-trail"),
    path("demandes/<str:number>/<slug:action>/", views.request_action, name="request-action"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("pieces-jointes/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("support/file/", views.queue, name="queue"),
    path("support/file/export.csv", views.queue_export, name="queue-export"),
    path("support/service-client/", views.queue, name="customer-service-queue"),
    path(
        "support/service-client/export.csv",
        views.queue_export,
        name="customer-service-queue-export",
    ),
    path("support/telephone/", views.phone_request, name="phone-request"),
]
