"""Sign-in, sign-out and password pages, built on Django's auth views."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, twofactor
from accounts.forms_auth import EmailAuthenticationForm, OtpTokenForm
from accounts.security import is_verified, otp_exempt, safe_next
from accounts.types import AuthedRequest

login = login_not_required(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=EmailAuthenticationForm,
        redirect_authenticated_user=True,
    )
)
logout = otp_exempt(auth_views.LogoutView.as_view())
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


@otp_exempt
@require_http_methods(["GET", "POST"])
def otp_verify(request: AuthedRequest) -> HttpResponse:
    """Ask for the second factor after the password."""
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if twofactor.otp_verify(
            request=request, user=request.user, token=form.cleaned_data["token"]
        ):
            return redirect(safe_next(request))
        form.add_error(
            "token", "That code is not right, or it has been used. Try the next one."
        )
    context: dict[str, object] = {"form": form, "next": safe_next(request)}
    return render(request, "accounts/otp_verify.html", context)


@otp_exempt
@require_http_methods(["GET", "POST"])
def otp_setup(request: AuthedRequest) -> HttpResponse:
    """Set up an authenticator app; show the backup codes once."""
    if twofactor.has_second_factor(request.user) and not is_verified(request.user):
        return redirect("accounts:otp_verify")
    device = twofactor.totp_pending(request=request, user=request.user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = twofactor.totp_confirm(
            request=request, user=request.user, token=form.cleaned_data["token"]
        )
        if codes is not None:
            shown = {"codes": codes, "next": safe_next(request)}
            return render(request, "accounts/otp_codes.html", shown)
        form.add_error(
            "token", "That code does not match. Check the time on your phone."
        )
    context: dict[str, object] = {
        "form": form,
        "qr": twofactor.totp_qr_svg(device),
        "secret": twofactor.totp_secret_text(device),
        "next": safe_next(request),
    }
    return render(request, "accounts/otp_setup.html", context)


@require_GET
def otp_manage(request: AuthedRequest) -> HttpResponse:
    """Show the user's second-factor status, with regenerate and remove actions."""
    context = {
        "enabled": twofactor.has_second_factor(request.user),
        "section": "security",
    }
    return render(request, "accounts/otp_manage.html", context)


@require_POST
def otp_backup_codes(request: AuthedRequest) -> HttpResponse:
    """Issue new backup codes (shown once)."""
    if not twofactor.has_second_factor(request.user):
        return redirect("accounts:otp_setup")
    codes = twofactor.backup_codes_regenerate(user=request.user)
    return render(request, "accounts/otp_codes.html", {"codes": codes, "next": "/"})


@require_POST
def otp_disable(request: AuthedRequest) -> HttpResponse:
    """Remove one's own second factor; admins must keep theirs."""
    if request.user.is_admin and settings.OTP_REQUIRED_FOR_ADMINS:
        raise PermissionDenied
    twofactor.otp_remove(actor=request.user, user=request.user)
    messages.success(request, "Two-factor authentication is off.")
    return redirect("accounts:otp_manage")


@require_POST
def otp_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    """Remove another user's second factor after they lost it (admins)."""
    member = selectors.user_get(user=request.user, user_id=pk)
    twofactor.otp_remove(actor=request.user, user=member)
    messages.success(request, f"Two-factor authentication reset for {member.email}.")
    return redirect(member)
