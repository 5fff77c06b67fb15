"""Field-encryption keys: when each configured key was first and last seen.

Only fingerprints are kept; the key's first sighting dates its age for the
rotation policy (`core.rotation`).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.crypto import key_fingerprints
from credentials.models import EncryptionKey


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
