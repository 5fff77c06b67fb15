"""Change the Vobiz console password; Vobiz then revokes every earlier JWT."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from credentials.choices import RotationState, SecretKind
from credentials.models import RotationRecord
from credentials.selectors import console_key
from credentials.services.common import (
    RotationFailed,
    RotationResult,
    record_failure,
    record_start,
    rotating,
    still_works_sentence,
    store_rotated,
)
from sync.clients import ApiCallRecorder, client_for
from sync.errors import describe
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.errors import AuthError, VobizError
from vobiz.payloads import ConsoleTokens

logger = logging.getLogger("credentials.services.console")


def login_client(provider: ProviderAccount, password: str) -> VobizClient:
    """Return a throw-away client that signs in with `password` and keeps nothing.

    Used to check which console password Vobiz holds, without touching the
    tokens the portal has stored.
    """
    return VobizClient(
        settings.VOBIZ_BASE_URL,
        provider.auth_id,
        provider.auth_token.reveal(),
        ca_bundle=settings.VOBIZ_CA_BUNDLE,
        timeout=(3.05, 10),
        observer=ApiCallRecorder(provider.pk),
        login_email=provider.login_email.reveal() if provider.login_email else None,
        login_password=password,
        max_retries=1,
    )


def password_accepted(provider: ProviderAccount, password: str) -> bool | None:
    """Say whether Vobiz accepts a console password (None: no clear answer)."""
    try:
        login_client(provider, password).login()
    except AuthError:
        return False
    except VobizError:
        return None
    return True


def new_console_password() -> str:
    """Return a fresh console password (Vobiz asks for at least 8 characters)."""
    return secrets.token_urlsafe(24)


def console_password_rotate(
    *, actor: User | None, provider: ProviderAccount
) -> RotationResult:
    """Change the console password at Vobiz, store it, and sign in again.

    Vobiz revokes every earlier access and refresh token. The new password is
    committed (encrypted, in the rotation record) before Vobiz is asked, so a
    lost answer loses nothing: the portal then tries both passwords to learn
    which one Vobiz holds.
    """
    current = ProviderAccount.objects.get(pk=provider.pk)
    if not (current.login_email and current.login_password):
        raise ValidationError("No console login is configured for this account.")
    adopted = _finish_interrupted_change(current, actor)
    if adopted is not None:
        return adopted
    new = new_console_password()
    record = record_start(
        kind=SecretKind.CONSOLE_PASSWORD,
        key=console_key(current),
        label=f"Console login of {current.label}",
        actor=actor,
        provider=current,
        pending_secret=new,
    )
    client = client_for(current, interactive=True)
    tokens = ConsoleTokens()
    with rotating(current):
        try:
            changed = client.typed.change_console_password(
                current=current.login_password.reveal(), new=new
            )
            tokens = changed.tokens
        except VobizError as exc:
            _password_unknown(current, record, actor, exc, new)
        store_rotated(record, actor, lambda: _save_password(current, new, tokens), new)
    signed_in = _sign_in_again(current)
    message = "Console password changed at Vobiz; every earlier refresh token is void."
    if not signed_in:
        message += " Signing in again failed; the portal signs in on its next call."
    return RotationResult(record, new, message)


def _finish_interrupted_change(
    provider: ProviderAccount, actor: User | None
) -> RotationResult | None:
    """Settle a change a crash interrupted: keep its password if Vobiz took it.

    Its password was committed before Vobiz was asked; if Vobiz accepts it, the
    change landed and only the portal's half is missing.
    """
    interrupted = RotationRecord.objects.filter(
        object_key=console_key(provider), state=RotationState.STARTED
    ).exclude(pending_secret="")
    result = None
    for record in interrupted.order_by("-started_at"):
        pending = record.pending_secret.reveal()
        accepted = password_accepted(provider, pending) if result is None else False
        if accepted is None:
            raise RotationFailed(
                "An earlier password change was interrupted and Vobiz gave no clear "
                "answer about it; the portal keeps its password. Try again in a "
                "minute.",
                record=record,
                still_works=None,
            )
        if accepted:
            save = partial(_save_password, provider, pending, ConsoleTokens())
            store_rotated(record, actor, save, pending)
            _sign_in_again(provider)
            result = RotationResult(
                record,
                pending,
                "An interrupted password change had reached Vobiz; the portal "
                "now uses that password.",
            )
        else:
            record_failure(record, actor, "Interrupted before Vobiz took it.")
    return result


def _password_unknown(
    provider: ProviderAccount,
    record: RotationRecord,
    actor: User | None,
    exc: VobizError,
    new: str,
) -> None:
    """Return if the change landed after all; else fail the record and raise."""
    if password_accepted(provider, new):
        return
    still = password_accepted(provider, provider.login_password.reveal())
    message = describe(exc) + still_works_sentence(still, "console password")
    record_failure(record, actor, message)
    raise RotationFailed(message, record=record, still_works=still) from exc


def _save_password(provider: ProviderAccount, new: str, tokens: ConsoleTokens) -> None:
    """Store the new password; keep the fresh tokens Vobiz returned, else none."""
    locked = ProviderAccount.objects.select_for_update().get(pk=provider.pk)
    locked.login_password = new
    # The old pair is revoked: keep it and every client would try it first.
    access, refresh = tokens.access_token, tokens.refresh_token
    now = timezone.now()
    if access is not None and refresh is not None:
        locked.access_token, locked.refresh_token = access, refresh
        expires_in = tokens.expires_in
        locked.access_token_expires_at = now + dt.timedelta(seconds=expires_in)
        locked.refresh_token_expires_at = now + dt.timedelta(days=7)
    else:
        locked.access_token = locked.refresh_token = ""
        locked.access_token_expires_at = locked.refresh_token_expires_at = None
    locked.save()


def _sign_in_again(provider: ProviderAccount) -> bool:
    """Sign in with the new password so the stored JWT pair is a fresh one."""
    fresh = ProviderAccount.objects.get(pk=provider.pk)
    try:
        client_for(fresh, interactive=True).login()
    except VobizError:
        logger.warning(
            "signing in after a password change failed",
            extra={"auth_id": fresh.auth_id},
        )
        return False
    return True
