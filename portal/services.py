"""Project-wide services: re-encrypting every secret under the primary key."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction

from core import crypto
from core.fields import Secret, encrypted_fields

CHUNK = 500


@dataclass
class RotationReport:
    """What a key rotation did, per model label."""

    rotated: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())

    @property
    def total_failed(self) -> int:
        return sum(self.failed.values())


def encryption_keys_rotate(*, dry_run: bool = False) -> RotationReport:
    """Re-encrypt every encrypted column of every model under the primary key.

    Values already under the primary key are left alone, so a second run changes
    nothing. A value no key can decrypt is counted as failed and left as it is.
    """
    report = RotationReport()
    for model in apps.get_models():
        fields = encrypted_fields(model)
        if fields:
            _rotate_model(model, fields, report, dry_run=dry_run)
    return report


def _rotate_model(
    model: type[models.Model],
    fields: list,  # type: ignore[type-arg]
    report: RotationReport,
    *,
    dry_run: bool,
) -> None:
    label = model._meta.label
    names = [f.attname for f in fields]
    manager = model._base_manager
    last_pk = None
    while True:
        chunk = manager.order_by("pk")
        if last_pk is not None:
            chunk = chunk.filter(pk__gt=last_pk)
        rows = list(chunk.values_list("pk", *names)[:CHUNK])
        if not rows:
            return
        last_pk = rows[-1][0]
        with transaction.atomic():
            for pk, *values in rows:
                changes = _rotated_values(names, values, report, label)
                if changes and not dry_run:
                    manager.filter(pk=pk).update(**changes)
                if changes:
                    report.rotated[label] = report.rotated.get(label, 0) + 1


def _rotated_values(
    names: list[str], values: list[object], report: RotationReport, label: str
) -> dict[str, Secret]:
    changes: dict[str, Secret] = {}
    for name, value in zip(names, values, strict=True):
        if not isinstance(value, Secret) or crypto.is_current(value.token):
            continue
        try:
            changes[name] = Secret(crypto.rotate(value.token))
        except crypto.DecryptionError:
            report.failed[label] = report.failed.get(label, 0) + 1
    return changes
