from django.contrib.auth import views as auth_views
from django.urls import path

from livret.accounts import views

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(next_page="home"), name="logout"),
    path("compte/mot-de-passe/", views.PasswordChangeView.as_view(), name="password-change"),
    path("compte/oubli/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "compte/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "compte/oubli/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url="/compte/oubli/termine/",
        ),
        name="password_reset_confirm",
    ),
    path(
        "compte/oubli/termine/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path("compte/utilisateurs/", views.users, name="account-users"),
    path("compte/utilisateurs/<int:user_id>/actif/", views.set_active, name="account-set-active"),
    path("compte/utilisateurs/<int:user_id>/role/", views.set_role, name="account-set-role"),
]
