"""Session limits, the two-factor gate, and django-axes hooks.

- Sessions end after SESSION_COOKIE_AGE idle (Django) and SESSION_ABSOLUTE_SECONDS
  after sign-in whatever the activity (here).
- A signed-in user who has a second factor must pass it before anything else; an
  admin must set one up first.
- A lockout answers with the sign-in page and the same wording for every account,
  known or not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import user_has_device

SESSION_STARTED = "auth_started_at"
LOCKOUT_MESSAGE = (
    "Too many failed sign-in attempts. Wait 15 minutes, then try again, or ask an "
    "admin to unlock your account."
)


def otp_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view reachable before the second factor is passed (sign-in steps)."""
    view.otp_exempt = True  # type: ignore[attr-defined]
    return view


@receiver(user_logged_in)
def _remember_sign_in(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_STARTED] = time.time()


@receiver(user_login_failed)
def _audit_failed_sign_in(
    sender: Any,
    credentials: dict[str, Any],
    request: HttpRequest | None = None,
    **kw: Any,
) -> None:
    from accounts.audit import audit_record

    # Only the e-mail that was tried; never the password.
    tried = str(credentials.get("username") or credentials.get("email") or "")
    audit_record(
        actor=None,
        action="auth.login_failed",
        object_type="auth",
        object_id=tried[:64],
        object_label=tried[:200],
    )


class SessionLimitsMiddleware:
    """End a session 12 hours after sign-in, however active it has been."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED, time.time())
            if time.time() - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                messages.info(
                    request, "Your session ended after 12 hours. Sign in again."
                )
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class TwoFactorMiddleware:
    """Send users through their second factor, and admins to set one up."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], *args: Any
    ) -> HttpResponse | None:
        user = request.user
        if (
            not user.is_authenticated
            or getattr(view, "otp_exempt", False)
            or getattr(view, "login_required", True) is False
        ):
            return None
        step = pending_second_factor(request)
        if step is None:
            return None
        return redirect(f"{reverse(step)}?next={_next_target(request)}")


def pending_second_factor(request: HttpRequest) -> str | None:
    """`second_factor_step` of the request's user, worked out once per request.

    The middleware and the sidebar both ask; the device lookup is done once.
    """
    if not hasattr(request, "_second_factor_step"):
        request._second_factor_step = second_factor_step(request.user)  # type: ignore[attr-defined]
    return request._second_factor_step  # type: ignore[attr-defined, no-any-return]


def second_factor_step(user: Any) -> str | None:
    """Name the page a signed-in user must pass before any other, if one.

    The verify page when they have a device but did not use it in this session;
    the set-up page for an admin without one while admins must use a second factor.
    """
    if not user.is_authenticated or is_verified(user):
        return None
    if user_has_device(user):
        return "accounts:otp_verify"
    if getattr(user, "is_admin", False) and settings.OTP_REQUIRED_FOR_ADMINS:
        return "accounts:otp_setup"
    return None


def is_verified(user: Any) -> bool:
    """Say whether the user passed their second factor in this session."""
    # OTPMiddleware adds is_verified() to the user of every request.
    return bool(getattr(user, "is_verified", lambda: False)())


def _next_target(request: HttpRequest) -> str:
    from urllib.parse import quote

    path = request.get_full_path()
    return quote(path if not getattr(request, "htmx", False) else "/")


def safe_next(request: HttpRequest, default: str = "/") -> str:
    """Return the `next` parameter when it points inside this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """Count failures per e-mail whatever its case (axes' username)."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return str(raw).strip().lower()


def lockout_response(
    request: HttpRequest, original: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """Answer a locked-out pair with the sign-in page, HTTP 429, one message."""
    from accounts.forms_auth import EmailAuthenticationForm

    form = EmailAuthenticationForm(request, data=None)
    context = {"form": form, "lockout_message": LOCKOUT_MESSAGE}
    return render(request, "accounts/login.html", context, status=429)
