from django.urls import path

from livret.offers import views

urlpatterns = [path("support/offres/", views.offers_admin, name="offers-admin")]
