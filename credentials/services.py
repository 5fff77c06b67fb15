"""Rotate the secrets Vobiz lets the portal rotate, and remind people of the rest.

Every rotation follows the same order, so no secret is lost and no sync fails:

1. a `RotationRecord` is committed first ("started"; the console password is
   chosen and kept encrypted in it before Vobiz is asked);
2. Vobiz is called outside any transaction while `portal.tasks` knows a rotation
   is under way (a sync that meets a 401 then waits for the new credential);
3. on success the new secret, the finished record and the audit event are
   written in one transaction (retried briefly if the database hiccups), and
   every cached client of this process is dropped; other processes build their
   clients from the row on their next call, and a sync that held the old token
   reloads it after a 401 (`portal.tasks.run_sync`);
4. on failure the portal asks Vobiz whether the current credential still works
   and says so; where it does not (the answer to a rotation that landed was
   lost) it recovers where Vobiz allows it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.choices import GlobalRole
from accounts.models import ProviderAccount, SubAccount, User
from credentials import vobiz_calls
from credentials.choices import RotationState, SecretKind
from credentials.models import Drill, EncryptionKey, RotationRecord, SecretReminder
from credentials.selectors import (
    channel_key,
    console_key,
    provider_key,
    subaccount_key,
    system_inventory,
)
from monitoring.models import NotificationChannel
from monitoring.notify import notify
from portal.crypto import key_fingerprints
from portal.provider import client_for, forget_clients, sub_account_client
from portal.tasks import rotation_begin, rotation_end
from vobiz.client import VobizClient
from vobiz.errors import (
    AuthError,
    CircuitOpen,
    RateLimited,
    ServerError,
    TransportError,
    VobizError,
)

logger = logging.getLogger("credentials.services")

STORE_ATTEMPTS = 3


class RotationFailed(Exception):
    """A rotation did not complete; `message` says what still works and what next.

    `still_works` is True when the old credential is known to work, False when
    it is known not to, None when Vobiz gave no clear answer.
    """

    def __init__(
        self, message: str, *, record: RotationRecord, still_works: bool | None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.record = record
        self.still_works = still_works


class SecretNotSaved(Exception):
    """Vobiz switched to a new secret but the database would not store it.

    Carries the secret so the page can show it once and the admin can keep it;
    it is never logged.
    """

    def __init__(self, secret: str, *, record: RotationRecord) -> None:
        super().__init__("The new secret could not be saved.")
        self.secret = secret
        self.record = record


@dataclass(frozen=True)
class RotationResult:
    """A finished rotation and the new secret to show once ("" when none)."""

    record: RotationRecord
    secret: str
    message: str


# --- the shared steps -----------------------------------------------------------


def _record_start(
    *,
    kind: str,
    key: str,
    label: str,
    actor: User | None,
    provider: ProviderAccount | None,
    sub_account: SubAccount | None = None,
    drill: Drill | None = None,
    pending_secret: str = "",
) -> RotationRecord:
    """Commit the record of a rotation about to start (before Vobiz is called)."""
    with transaction.atomic():
        record = RotationRecord.objects.create(
            kind=kind,
            object_key=key,
            object_label=label[:200],
            provider_account=provider,
            sub_account=sub_account,
            actor=actor,
            drill=drill,
            pending_secret=pending_secret,
        )
        audit_record(
            actor=actor,
            action="credential.rotation_started",
            obj=record,
            sub_account=sub_account,
            after={"kind": kind, "secret": label},
        )
    return record


def _record_failure(
    record: RotationRecord, actor: User | None, message: str
) -> RotationRecord:
    """Mark a rotation failed, forget any pending secret, audit it."""
    with transaction.atomic():
        record.state = RotationState.FAILED
        record.finished_at = timezone.now()
        record.error = message[:500]
        record.pending_secret = ""
        record.save(update_fields=["state", "finished_at", "error", "pending_secret"])
        audit_record(
            actor=actor,
            action="credential.rotation_failed",
            obj=record,
            sub_account=record.sub_account,
            after={"kind": record.kind, "error": message[:300]},
        )
    return record


def _record_done(record: RotationRecord, actor: User | None) -> None:
    """Mark a rotation done and audit it (inside the caller's transaction)."""
    record.state = RotationState.DONE
    record.finished_at = timezone.now()
    record.error = ""
    record.pending_secret = ""
    record.save(update_fields=["state", "finished_at", "error", "pending_secret"])
    audit_record(
        actor=actor,
        action="credential.rotated",
        obj=record,
        sub_account=record.sub_account,
        after={"kind": record.kind, "secret": record.object_label},
    )


def _store(
    record: RotationRecord, actor: User | None, write: Callable[[], None], secret: str
) -> None:
    """Write the new secret and finish the record in one transaction.

    Vobiz has already switched, so the write is retried a few times; if the
    database still refuses, `SecretNotSaved` hands the secret to the page.
    """
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                write()
                _record_done(record, actor)
        except DatabaseError:
            logger.exception(
                "could not store a rotated secret",
                extra={"rotation": record.pk, "attempt": attempt},
            )
            if attempt == STORE_ATTEMPTS:
                raise SecretNotSaved(secret, record=record) from None
            time.sleep(0.2 * attempt)
        else:
            break
    # This process's cached clients hold the old secret; others rebuild theirs
    # from the row (their cache key is the stored ciphertext).
    forget_clients()


@contextmanager
def _rotating(provider: ProviderAccount) -> Iterator[None]:
    """Tell the syncs a credential of the account is being rotated, meanwhile."""
    rotation_begin(provider.pk)
    try:
        yield
    finally:
        rotation_end(provider.pk)


def describe(exc: VobizError) -> str:
    """Return why Vobiz did not rotate, in words (never the secret)."""
    ref = f" (Vobiz request {exc.request_id})" if exc.request_id else ""
    if isinstance(exc, RateLimited):
        return f"Vobiz is rate-limiting requests; try again in {exc.retry_after:.0f} s."
    if isinstance(exc, CircuitOpen):
        return (
            "Vobiz has been failing, so the portal is pausing calls to it; try "
            f"again in {exc.retry_after:.0f} s."
        )
    if isinstance(exc, AuthError):
        return f"Vobiz did not accept the current credentials{ref}."
    if isinstance(exc, ServerError | TransportError):
        return f"Vobiz did not answer properly{ref}."
    return f"Vobiz refused: {exc.message or exc}{ref}"


def _still_works_sentence(still_works: bool | None, what: str) -> str:
    if still_works:
        return f" The current {what} still works and the portal keeps using it."
    if still_works is None:
        return (
            f" Vobiz gave no clear answer about the current {what}; the portal "
            "keeps it. Try again in a minute."
        )
    return ""


# --- auth tokens ----------------------------------------------------------------


def _token_failed(
    record: RotationRecord, actor: User | None, exc: VobizError, still: bool | None
) -> RotationFailed:
    """Fail the record with a message that says whether the old token still works."""
    message = describe(exc) + _still_works_sentence(still, "auth token")
    if still is False:
        message = (
            f"{describe(exc)} Vobiz no longer accepts the old token: the rotation "
            "reached Vobiz but its answer, with the new token, was lost. Rotate "
            "the token in the Vobiz console."
        )
    _record_failure(record, actor, message)
    return RotationFailed(message, record=record, still_works=still)


def subaccount_token_rotate(
    *, actor: User | None, sub_account: SubAccount, drill: Drill | None = None
) -> RotationResult:
    """Rotate a sub-account's auth token at Vobiz and store the new one.

    The old token stops working at Vobiz at once. Raises ValidationError when
    the portal holds no token, RotationFailed when Vobiz did not rotate (the
    message says whether the old token still works), SecretNotSaved when the
    database refused the new one.
    """
    current = SubAccount.objects.select_related("provider_account").get(
        pk=sub_account.pk
    )
    if current.removed_at or not current.auth_id:
        raise ValidationError("This sub-account does not exist at Vobiz.")
    provider = current.provider_account
    client = sub_account_client(provider, current, interactive=True)
    if client is None:
        raise ValidationError(
            "The portal holds no auth token for this sub-account, so it cannot "
            "rotate it; rotate it in the Vobiz console."
        )
    record = _record_start(
        kind=SecretKind.SUBACCOUNT_TOKEN,
        key=subaccount_key(current),
        label=f"{current.name} ({current.auth_id})",
        actor=actor,
        provider=provider,
        sub_account=current,
        drill=drill,
    )
    with _rotating(provider):
        try:
            token = client.rotate_auth_token()
        except VobizError as exc:
            still = vobiz_calls.token_works(client)
            raise _token_failed(record, actor, exc, still) from exc

        def write() -> None:
            locked = SubAccount.objects.select_for_update().get(pk=current.pk)
            locked.auth_token = token
            locked.save(update_fields=["auth_token", "updated_at"])

        _store(record, actor, write, token)
    return RotationResult(
        record, token, f"Auth token of “{current.name}” rotated at Vobiz."
    )


def master_token_rotate(
    *, actor: User | None, provider: ProviderAccount
) -> RotationResult:
    """Rotate the master account's auth token at Vobiz and store the new one.

    Every sync uses this token: the new one is stored in the transaction that
    finishes the rotation, and a sync that still held the old one reloads it
    (see the module docstring). When Vobiz rotated but the answer was lost,
    the portal rotates once more signed in with the console login, if it has
    one, so it is never left without a working token.
    """
    current = ProviderAccount.objects.get(pk=provider.pk)
    client = client_for(current, interactive=True)
    record = _record_start(
        kind=SecretKind.MASTER_TOKEN,
        key=provider_key(current),
        label=f"{current.label} ({current.auth_id})",
        actor=actor,
        provider=current,
    )
    with _rotating(current):
        try:
            token = client.rotate_auth_token()
        except VobizError as exc:
            still = vobiz_calls.token_works(client)
            if still is not False or not current.login_password:
                raise _token_failed(record, actor, exc, still) from exc
            token = _recover_master(record, client, actor, exc)

        def write() -> None:
            locked = ProviderAccount.objects.select_for_update().get(pk=current.pk)
            locked.auth_token = token
            locked.auth_token_rotated_at = timezone.now()
            locked.save(
                update_fields=["auth_token", "auth_token_rotated_at", "updated_at"]
            )

        _store(record, actor, write, token)
    return RotationResult(
        record, token, f"Master auth token of {current.label} rotated at Vobiz."
    )


def _recover_master(
    record: RotationRecord, client: VobizClient, actor: User | None, exc: VobizError
) -> str:
    """Rotate again signed in with the console login after a lost answer.

    The old REST token is void and the new one was never seen; the console
    login still works, and Vobiz rotates the token for it too.
    """
    try:
        token = vobiz_calls.rotate_with_console(client)
    except VobizError as again:
        message = (
            f"{describe(exc)} Vobiz no longer accepts the old token and rotating "
            f"again with the console login failed too ({describe(again)}). Rotate "
            "the token in the Vobiz console and connect it again with "
            "manage.py connect_vobiz."
        )
        _record_failure(record, actor, message)
        raise RotationFailed(message, record=record, still_works=False) from again
    logger.warning(
        "master token rotation answer lost; rotated again with the console login",
        extra={"rotation": record.pk},
    )
    return token


# --- the console password ---------------------------------------------------------


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
    record = _record_start(
        kind=SecretKind.CONSOLE_PASSWORD,
        key=console_key(current),
        label=f"Console login of {current.label}",
        actor=actor,
        provider=current,
        pending_secret=new,
    )
    client = client_for(current, interactive=True)
    tokens: dict[str, Any] = {}
    with _rotating(current):
        try:
            reply = vobiz_calls.change_console_password(
                client, current=current.login_password.reveal(), new=new
            )
            tokens = reply.get("tokens") or {}
        except VobizError as exc:
            _password_unknown(current, record, actor, exc, new)
        _store(record, actor, lambda: _save_password(current, new, tokens), new)
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
        accepted = (
            vobiz_calls.password_accepted(provider, pending)
            if result is None
            else False
        )
        if accepted is None:
            raise RotationFailed(
                "An earlier password change was interrupted and Vobiz gave no clear "
                "answer about it; the portal keeps its password. Try again in a "
                "minute.",
                record=record,
                still_works=None,
            )
        if accepted:
            save = partial(_save_password, provider, pending, {})
            _store(record, actor, save, pending)
            _sign_in_again(provider)
            result = RotationResult(
                record,
                pending,
                "An interrupted password change had reached Vobiz; the portal "
                "now uses that password.",
            )
        else:
            _record_failure(record, actor, "Interrupted before Vobiz took it.")
    return result


def _password_unknown(
    provider: ProviderAccount,
    record: RotationRecord,
    actor: User | None,
    exc: VobizError,
    new: str,
) -> None:
    """Return if the change landed after all; else fail the record and raise."""
    if vobiz_calls.password_accepted(provider, new):
        return
    still = vobiz_calls.password_accepted(provider, provider.login_password.reveal())
    message = describe(exc) + _still_works_sentence(still, "console password")
    _record_failure(record, actor, message)
    raise RotationFailed(message, record=record, still_works=still) from exc


def _save_password(provider: ProviderAccount, new: str, tokens: dict[str, Any]) -> None:
    """Store the new password; keep the fresh tokens Vobiz returned, else none."""
    locked = ProviderAccount.objects.select_for_update().get(pk=provider.pk)
    locked.login_password = new
    # The old pair is revoked: keep it and every client would try it first.
    access, refresh = tokens.get("access_token"), tokens.get("refresh_token")
    now = timezone.now()
    if isinstance(access, str) and isinstance(refresh, str):
        locked.access_token, locked.refresh_token = access, refresh
        expires_in = float(tokens.get("expires_in") or 1800)
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


# --- webhook signing secrets --------------------------------------------------------


def channel_secret_rotate(
    *,
    actor: User | None,
    channel: NotificationChannel,
    now: dt.datetime | None = None,
) -> RotationResult:
    """Give a webhook channel a new signing secret, keeping the old one a while.

    For `WEBHOOK_SECRET_OVERLAP_HOURS` every delivery carries both signatures
    (`X-Portal-Signature` with the new secret, `X-Portal-Signature-Previous`
    with the old), so the receiver can switch at its own pace. A secret replaced
    earlier and still in its window is dropped.
    """
    now = now or timezone.now()
    hours = int(settings.WEBHOOK_SECRET_OVERLAP_HOURS)
    new = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
        if not locked.secret:
            raise ValidationError("This channel has no signing secret to rotate.")
        record = RotationRecord.objects.create(
            kind=SecretKind.WEBHOOK_SECRET,
            object_key=channel_key(locked),
            object_label=locked.name,
            actor=actor,
            started_at=now,
        )
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = now + dt.timedelta(hours=hours)
        locked.secret = new
        locked.secret_rotated_at = now
        locked.save()
        _record_done(record, actor)
    return RotationResult(
        record,
        new,
        f"Signing secret of “{locked.name}” rotated; the old one also signs for "
        f"{hours} h.",
    )


@transaction.atomic
def channel_overlap_end(*, actor: User | None, channel: NotificationChannel) -> None:
    """Stop signing with a channel's previous secret now (the receiver switched)."""
    locked = NotificationChannel.objects.select_for_update().get(pk=channel.pk)
    if not locked.previous_secret:
        return
    locked.previous_secret = ""
    locked.previous_secret_expires_at = None
    locked.save(update_fields=["previous_secret", "previous_secret_expires_at"])
    audit_record(
        actor=actor,
        action="credential.overlap_ended",
        obj=locked,
        after={"kind": SecretKind.WEBHOOK_SECRET},
    )


# --- encryption keys and reminders -------------------------------------------------


def encryption_keys_record(*, now: dt.datetime | None = None) -> int:
    """Record when each configured field-encryption key was first seen.

    Only fingerprints are kept. A key no longer configured is marked retired.
    Return how many keys were new. Writes nothing when nothing changed, so
    pages may call it on every view.
    """
    now = now or timezone.now()
    configured = key_fingerprints()
    rows = {row.fingerprint: row for row in EncryptionKey.objects.all()}
    missing = [
        EncryptionKey(
            fingerprint=fingerprint,
            first_seen_at=now,
            last_seen_at=now,
            primary_since=now if position == 0 else None,
        )
        for position, fingerprint in enumerate(configured)
        if fingerprint not in rows
    ]
    if missing:
        EncryptionKey.objects.bulk_create(missing, ignore_conflicts=True)
    primary = rows.get(configured[0])
    if primary is not None and primary.primary_since is None:
        EncryptionKey.objects.filter(pk=primary.pk).update(primary_since=now)
    retire = [
        r.pk for f, r in rows.items() if f not in configured and r.retired_at is None
    ]
    if retire:
        EncryptionKey.objects.filter(pk__in=retire).update(retired_at=now)
    back = [r.pk for f, r in rows.items() if f in configured and r.retired_at]
    if back:
        EncryptionKey.objects.filter(pk__in=back).update(retired_at=None)
    return len(missing)


def encryption_keys_seen(*, now: dt.datetime | None = None) -> None:
    """Note that every configured key is still in use (the daily task)."""
    now = now or timezone.now()
    EncryptionKey.objects.filter(fingerprint__in=key_fingerprints()).update(
        last_seen_at=now
    )


def rotation_reminders_send(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind the admins of secrets due for rotation: 14, 7 and 1 days ahead, then
    weekly while overdue; each reminder once per secret, milestone and due date.

    SIP trunk passwords are left to the trunks app's own reminders (which also
    tell the team); refresh tokens renew themselves.
    """
    now = now or timezone.now()
    encryption_keys_record(now=now)
    encryption_keys_seen(now=now)
    admins = list(User.objects.filter(role=GlobalRole.ADMIN, is_active=True))
    counts = {"sent": 0, "already": 0}
    skip = {SecretKind.TRUNK_PASSWORD, SecretKind.REFRESH_TOKEN}
    for item in system_inventory(now=now).items:
        if item.kind in skip or item.age is None or item.age.milestone is None:
            continue
        with transaction.atomic():
            reminder, created = SecretReminder.objects.get_or_create(
                object_key=item.key,
                due_on=item.age.due_on,
                milestone=item.age.milestone,
            )
            if not created:
                counts["already"] += 1
                continue
            reminder.recipients = notify(
                users=admins,
                title=f"{item.kind_label} {item.status_label.lower()}: {item.name}",
                body=(
                    f"The {item.kind_label.lower()} “{item.name}” ({item.owner}) "
                    f"is due for rotation on {item.age.due_on:%Y-%m-%d} "
                    f"({item.age.period}-day policy)."
                ),
                url=item.action_url,
            )
            reminder.save(update_fields=["recipients"])
            counts["sent"] += 1
    return counts
