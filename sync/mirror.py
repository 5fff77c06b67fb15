"""The one mirror loop: remote objects in, local copies upserted, vanished marked.

Each domain app describes one kind of object with a `Mirror`: the model, the
column holding the provider's id, the field mapping of a typed payload, and its
drift rules (hooks called when a row is created, changed or found gone outside
the portal). `mirror()` does the rest the same way for every kind: one
transaction per object with the row locked while it is compared, a row marked
removed comes back when it reappears, and rows no longer listed are marked
removed, never deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from sync.models import ProviderAccount

P = TypeVar("P")

Fields = dict[str, Any]


@dataclass
class Upserted:
    """What the mirror did to one local copy of a remote object."""

    row: Any
    state: str  # "created", "updated" or "unchanged"
    before: dict[str, Any]
    changed: dict[str, Any]


@dataclass(frozen=True)
class Mirror(Generic[P]):
    """How one kind of remote object is mirrored into one model.

    `key` gives the provider's id of a payload ("" skips it); `fields` maps a
    payload to the model's fields. The hooks are the app's drift rules:
    `settle(local, fields)` adjusts the fields about to be written (local is
    None for a new row); `find(key, fields)` adopts a local row the portal made
    before the provider knew it; `created(row)`, `changed(row, before, after)`
    and `removed(row)` record what happened outside the portal. Without a
    `removed` hook vanished rows are marked in one update, with
    `removed_fields` besides `removed_at`.
    """

    model: type[Model]
    key_field: str
    key: Callable[[P], str]
    fields: Callable[[P], Fields]
    settle: Callable[[Any, Fields], Fields] | None = None
    find: Callable[[str, Fields], Any] | None = None
    created: Callable[[Any], None] | None = None
    changed: Callable[[Any, Fields, Fields], None] | None = None
    removed: Callable[[Any], None] | None = None
    removed_fields: Fields = field(default_factory=dict)


def mirror(
    spec: Mirror[P],
    *,
    provider: ProviderAccount,
    remotes: Iterable[P],
    scope: QuerySet[Any] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Upsert every remote object on its provider id; mark the missing ones removed.

    Only rows in `scope` (default: the provider account's rows of the model)
    can be found missing. Return how many rows were created, updated, left
    unchanged and removed.
    """
    now = now or timezone.now()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}
    seen: set[str] = set()
    for remote in remotes:
        key = spec.key(remote)
        if not key:
            continue
        seen.add(key)
        counts[_upsert(spec, provider, key, spec.fields(remote), now)] += 1
    if scope is None:
        scope = spec.model._default_manager.filter(provider_account=provider)
    gone = scope.filter(removed_at__isnull=True).exclude(
        **{f"{spec.key_field}__in": seen}
    )
    counts["removed"] = _mark_removed(spec, gone, now)
    return counts


@transaction.atomic
def _upsert(
    spec: Mirror[P], provider: ProviderAccount, key: str, fields: Fields, now: Any
) -> str:
    """Create or update the local copy of one remote object, locked while compared.

    A row marked removed comes back; `synced_at` is set either way.
    """
    manager = spec.model._default_manager
    local = manager.select_for_update().filter(**{spec.key_field: key}).first()
    if local is None and spec.find is not None:
        local = spec.find(key, fields)
    if spec.settle is not None:
        fields = spec.settle(local, fields)
    fields = {spec.key_field: key, **fields}
    if local is None:
        row = manager.create(provider_account=provider, synced_at=now, **fields)
        result = Upserted(row, "created", {}, {})
    else:
        result = _update(local, fields, now)
    if result.state == "created" and spec.created is not None:
        spec.created(result.row)
    if result.changed and spec.changed is not None:
        spec.changed(result.row, result.before, fields)
    return result.state


def _mark_removed(spec: Mirror[P], gone: QuerySet[Any], now: dt.datetime) -> int:
    if spec.removed is None:
        return gone.update(removed_at=now, **spec.removed_fields)
    count = 0
    for row in gone:
        with transaction.atomic():
            type(row)._default_manager.filter(pk=row.pk).update(
                removed_at=now, **spec.removed_fields
            )
            spec.removed(row)
        count += 1
    return count


def _update(local: Any, fields: Fields, now: Any) -> Upserted:
    before = {k: getattr(local, k) for k in fields}
    changed = {k: v for k, v in fields.items() if before[k] != v}
    for name, value in changed.items():
        setattr(local, name, value)
    local.synced_at = now
    local.removed_at = None
    local.save()
    return Upserted(local, "updated" if changed else "unchanged", before, changed)
