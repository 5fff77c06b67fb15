"""Sign-in, sign-out and password pages, built on Django's auth views."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import reverse_lazy

from accounts.forms_auth import EmailAuthenticationForm

login = login_not_required(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=EmailAuthenticationForm,
        redirect_authenticated_user=True,
    )
)
logout = auth_views.LogoutView.as_view()
password_change = auth_views.PasswordChangeView.as_view(
    template_name="accounts/password_change.html",
    success_url=reverse_lazy("accounts:password_change_done"),
)
password_change_done = auth_views.PasswordChangeDoneView.as_view(
    template_name="accounts/password_change_done.html"
)
password_set = login_not_required(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_set.html",
        success_url=reverse_lazy("accounts:password_set_done"),
        post_reset_login=False,
    )
)
password_set_done = login_not_required(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="accounts/password_set_done.html"
    )
)
