"""Write audit events. Every service that changes something calls `audit_record`."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models

from accounts.models import AuditEvent, SubAccount, User
from core.fields import MASK, EncryptedTextField, Secret
from core.request_id import current_client_ip, current_request_id

# Field names that hold secrets even where the field type does not say so.
SECRET_NAMES = ("password", "token", "secret", "auth_token", "key")


def _json_value(value: Any) -> Any:
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Return the named fields of an instance as JSON-safe values, secrets masked.

    A secret field shows only whether it is set, never its value.
    """
    data: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        attname = getattr(field, "attname", name)
        value = getattr(instance, attname)
        if isinstance(field, EncryptedTextField) or _is_secret_name(name):
            data[name] = MASK if value else ""
        else:
            data[name] = _json_value(value)
    return data


def mask_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """Mask values under secret-looking keys in a free-form dict (one level deep)."""
    return {
        key: (MASK if _is_secret_name(key) and value else _json_value(value))
        for key, value in data.items()
    }


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in SECRET_NAMES)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    sub_account: SubAccount | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record who changed what, from where, with the values before and after.

    The source IP and request id come from the request being served, if any.
    """
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "system",
        action=action,
        # Cut to the columns' sizes: an over-long value must not fail the write
        # that the audit event records.
        object_type=object_type[:64],
        object_id=object_id[:64],
        object_label=(str(obj) if obj is not None else object_label)[:200],
        sub_account=sub_account,
        sub_account_label=sub_account.name if sub_account else "",
        source_ip=current_client_ip(),
        request_id=current_request_id(),
        before=mask_secrets(before) if before is not None else None,
        after=mask_secrets(after) if after is not None else None,
    )


def audited_update(
    *,
    actor: User | None,
    row: models.Model,
    changes: dict[str, Any],
    fields: tuple[str, ...],
    action: str,
    sub_account: SubAccount | None = None,
    clean_exclude: tuple[str, ...] = (),
    update_fields: list[str] | None = None,
) -> models.Model:
    """Apply `changes` to a locked row, validate and save it; audit any change.

    The audit event holds the `fields` before and after; nothing is recorded
    when the values did not change.
    """
    before = snapshot(row, fields)
    for name, value in changes.items():
        setattr(row, name, value)
    row.full_clean(exclude=list(clean_exclude) or None)
    row.save(update_fields=update_fields)
    after = snapshot(row, fields)
    if before != after:
        audit_record(
            actor=actor,
            action=action,
            obj=row,
            sub_account=sub_account,
            before=before,
            after=after,
        )
    return row
