"""Syncs on demand: queue one sync of one account now, once.

A sync that is running or already queued is not queued again; the task is sent
when the caller's transaction commits. Who may ask, and the audit, are the
caller's business (the API health page's service).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from sync.models import ProviderAccount
from sync.registry import BY_NAME
from sync.runs import mark_queued, sync_activity

# How far back a chosen first day may be.
MAX_BACKFILL_DAYS = 400


def sync_enqueue(
    *, provider: ProviderAccount, kind: str, since: dt.date | None = None
) -> str:
    """Queue one sync of one account after commit; return what to tell the person.

    Kinds that take a first day (call records, the rollup check) may start from
    one (a backfill). Raise ValidationError for an unknown kind, a bad day, or a
    sync that is running or queued already.
    """
    spec = BY_NAME.get(kind)
    if spec is None:
        raise ValidationError("There is no such sync.")
    _check_since(spec.takes_since, since)
    activity = sync_activity(provider, kind)
    if activity["running"]:
        raise ValidationError(
            f"{spec.label} of {provider.label} are syncing now; the progress is below."
            if kind == "cdrs"
            else f"The {spec.label.lower()} sync of {provider.label} is running now."
        )
    if activity["queued"]:
        raise ValidationError(
            f"The {spec.label.lower()} sync of {provider.label} is already queued."
        )
    mark_queued(provider.pk, kind)
    transaction.on_commit(lambda: _send(spec.task, provider.pk, since))
    start = f" from {since:%d %b %Y}" if since else ""
    return f"{spec.label} sync of {provider.label}{start} queued."


def _check_since(takes_since: bool, since: dt.date | None) -> None:
    if since is None:
        return
    if not takes_since:
        raise ValidationError(
            "Only call records and the rollup check start from a chosen day."
        )
    today = timezone.now().astimezone(dt.UTC).date()
    if since > today:
        raise ValidationError("The first day is in the future.")
    if (today - since).days > MAX_BACKFILL_DAYS:
        raise ValidationError(
            f"Pick a first day within the last {MAX_BACKFILL_DAYS} days."
        )


def _send(task_path: str, provider_id: int, since: dt.date | None) -> None:
    task = import_string(task_path)
    # The kinds that take a first day take it as YYYY-MM-DD.
    task.delay(provider_id, *([since.isoformat()] if since else []))
