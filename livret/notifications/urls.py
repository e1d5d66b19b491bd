from django.urls import path

from livret.notifications import views

urlpatterns = [
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/compteur/", views.counter, name="notification-counter"),
    path("notifications/tout-lire/", views.read_all, name="notification-read-all"),
    path("notifications/preferences/", views.preferences, name="notification-preferences"),
    path("notifications/<int:notification_id>/", views.open_one, name="notification-open"),
]
