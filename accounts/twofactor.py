"""Two-factor authentication: TOTP devices and one-time backup codes.

Built on django-otp. A user passes the second factor once per session; admins must
have one. Backup codes are shown once, stored hashed by django-otp's static device.
"""

from __future__ import annotations

import secrets

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe
from django_otp import devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from accounts.audit import audit_record
from accounts.models import User

BACKUP_CODES = 10


PENDING_KEY = "otp_pending_key"


def totp_pending(*, request: HttpRequest, user: User) -> TOTPDevice:
    """Return an unsaved TOTP device for set-up, its key kept in the session.

    Nothing is written to the database until the user proves the app works, so
    opening the set-up page (a GET) changes nothing.
    """
    key = request.session.get(PENDING_KEY)
    if not key:
        key = random_hex(20)
        request.session[PENDING_KEY] = key
    return TOTPDevice(user=user, name="Authenticator app", key=key, confirmed=False)


def totp_qr_svg(device: TOTPDevice) -> SafeString:
    """Return the device's otpauth:// URL as an inline SVG QR code."""
    # segno writes only geometry (no script, no style attribute): safe to inline.
    return mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4))  # noqa: S308


def totp_secret_text(device: TOTPDevice) -> str:
    """Return the key in base32 groups, for typing into an app by hand."""
    from base64 import b32encode

    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@transaction.atomic
def totp_confirm(*, request: HttpRequest, user: User, token: str) -> list[str] | None:
    """Confirm the pending device with a token; return new backup codes, or None."""
    device = totp_pending(request=request, user=user)
    if not _matches(device, token.replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save()
    request.session.pop(PENDING_KEY, None)
    codes = _new_backup_codes(user)
    otp_login(request, device)
    audit_record(actor=user, action="2fa.enable", obj=user)
    return codes


def _matches(device: TOTPDevice, token: str) -> bool:
    # Check without device.verify_token, which saves the (still unsaved) device.
    if not token.isdigit():
        return False
    check = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return bool(check.verify(int(token), device.tolerance))


def _new_backup_codes(user: User) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(user=user, name="Backup codes")
    static.token_set.all().delete()
    codes = [secrets.token_hex(5) for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(
        [StaticToken(device=static, token=c) for c in codes]
    )
    return codes


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's backup codes; the old ones stop working."""
    codes = _new_backup_codes(user)
    audit_record(actor=user, action="2fa.backup_codes", obj=user)
    return codes


def otp_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Pass the second factor with a TOTP token or a backup code."""
    device = match_token(user, token.replace(" ", "").strip())
    if device is None:
        audit_record(actor=user, action="2fa.verify_failed", obj=user)
        return False
    otp_login(request, device)
    if isinstance(device, StaticDevice):
        audit_record(actor=user, action="2fa.backup_code_used", obj=user)
    return True


@transaction.atomic
def otp_remove(*, actor: User, user: User) -> int:
    """Remove every second factor of a user (their own choice, or an admin reset)."""
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    action = "2fa.disable" if actor.pk == user.pk else "2fa.reset"
    audit_record(actor=actor, action=action, obj=user)
    return removed


def has_second_factor(user: User) -> bool:
    """Say whether the user has a confirmed TOTP device."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())
