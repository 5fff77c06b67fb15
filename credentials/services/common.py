"""What every rotation shares: its record, its errors, storing the new secret.

Every rotation follows the same order, so no secret is lost and no sync fails:

1. a `RotationRecord` is committed first ("started"; the console password is
   chosen and kept encrypted in it before Vobiz is asked);
2. Vobiz is called outside any transaction while `sync.tasks` knows a rotation
   is under way (a sync that meets a 401 then waits for the new credential);
3. on success the new secret, the finished record and the audit event are
   written in one transaction (retried briefly if the database hiccups), and
   every cached client of this process is dropped; other processes build their
   clients from the row on their next call, and a sync that held the old token
   reloads it after a 401 (`sync.tasks.run_sync`);
4. on failure the portal asks Vobiz whether the current credential still works
   and says so (Vobiz's refusal in `sync.errors.describe`'s words); where it
   does not (the answer to a rotation that landed was lost) it recovers where
   Vobiz allows it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SubAccount, User
from credentials.choices import RotationState
from credentials.models import Drill, RotationRecord
from sync.clients import forget_clients
from sync.models import ProviderAccount
from sync.tasks import rotation_begin, rotation_end

logger = logging.getLogger("credentials.services.common")


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


def record_start(
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


def record_failure(
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


def record_done(record: RotationRecord, actor: User | None) -> None:
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


def store_rotated(
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
                record_done(record, actor)
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
def rotating(provider: ProviderAccount) -> Iterator[None]:
    """Tell the syncs a credential of the account is being rotated, meanwhile."""
    rotation_begin(provider.pk)
    try:
        yield
    finally:
        rotation_end(provider.pk)


def still_works_sentence(still_works: bool | None, what: str) -> str:
    """Return the sentence saying whether the current secret still works."""
    if still_works:
        return f" The current {what} still works and the portal keeps using it."
    if still_works is None:
        return (
            f" Vobiz gave no clear answer about the current {what}; the portal "
            "keeps it. Try again in a minute."
        )
    return ""
