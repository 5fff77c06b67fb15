"""One secret in the inventory, the inventory itself, and how age makes status."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Concat

from accounts.models import SubAccount
from core.rotation import Age, age_of, period_days
from credentials.choices import RotationState, SecretKind, SecretStatus
from credentials.models import RotationRecord
from trunks.models import TrunkCredential

TONES = {
    SecretStatus.OK: "green",
    SecretStatus.DUE: "amber",
    SecretStatus.OVERDUE: "red",
    SecretStatus.EXPIRED: "grey",
    SecretStatus.NOT_HELD: "grey",
}


@dataclass
class SecretItem:
    """One secret in the inventory: where it is, how old, who rotated it last."""

    key: str
    kind: str
    name: str
    owner: str
    since: dt.datetime | None
    status: str
    status_label: str
    sub_account_id: int | None = None
    age: Age | None = None
    last_rotated_at: dt.datetime | None = None
    rotated_by: str = ""
    action_url: str = ""
    action_label: str = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return str(SecretKind(self.kind).label)

    @property
    def tone(self) -> str:
        return TONES[SecretStatus(self.status)]

    @property
    def period(self) -> int | None:
        return period_days(self.kind)

    @property
    def needs_attention(self) -> bool:
        # An expired refresh token is routine: the client signs in again.
        return self.status in (SecretStatus.DUE, SecretStatus.OVERDUE)


@dataclass
class Inventory:
    """Every secret, with counts per status for the summary and the dashboard."""

    items: list[SecretItem]
    now: dt.datetime
    # The rows read on the way, for the posture checks (no second read).
    teams: list[SubAccount] = field(default_factory=list)
    credentials: list[TrunkCredential] = field(default_factory=list)

    @property
    def counts(self) -> Counter[str]:
        return Counter(item.status for item in self.items)

    def filtered(self, *, kind: str = "", status: str = "") -> list[SecretItem]:
        """Return the items of one kind and/or status ("attention": due or worse)."""
        items = self.items
        if kind:
            items = [i for i in items if i.kind == kind]
        if status == "attention":
            items = [i for i in items if i.needs_attention]
        elif status:
            items = [i for i in items if i.status == status]
        return items


def last_rotation(name: str, prefix: str) -> dict[str, Any]:
    """Annotations for the newest finished rotation of each row's secret.

    `last_<name>_at` and `last_<name>_by` (the actor's e-mail), matched on
    the object key "<prefix>:<pk>": one query per kind of holder, whatever the
    history.
    """
    done = RotationRecord.objects.filter(
        object_key=Concat(Value(f"{prefix}:"), Cast(OuterRef("pk"), CharField())),
        state=RotationState.DONE,
    ).order_by("-finished_at", "-pk")
    return {
        f"last_{name}_at": Subquery(done.values("finished_at")[:1]),
        f"last_{name}_by": Subquery(done.values("actor__email")[:1]),
    }


def apply_rotation(item: SecretItem, row: Any, name: str) -> None:
    """Fill "last rotated" and "by whom"; the age counts from it when newer."""
    at = getattr(row, f"last_{name}_at", None)
    if at is None:
        return
    item.last_rotated_at = at
    item.rotated_by = getattr(row, f"last_{name}_by", None) or "system"
    if item.since is None or at > item.since:
        item.since = at


def aged(item: SecretItem, now: dt.datetime) -> SecretItem:
    """Set the status of a held secret from its age and its kind's policy."""
    period = period_days(item.kind)
    if item.since is None or period is None:
        return item
    item.age = age_of(item.kind, item.since, now=now, period=period)
    item.status, item.status_label = item.age.status, item.age.label
    return item


def held(kind: str, key: str, name: str, owner: str, since: Any) -> SecretItem:
    return SecretItem(
        key=key,
        kind=kind,
        name=name,
        owner=owner,
        since=since,
        status=SecretStatus.OK,
        status_label="OK",
    )


def not_held(kind: str, key: str, name: str, owner: str, note: str) -> SecretItem:
    return SecretItem(
        key=key,
        kind=kind,
        name=name,
        owner=owner,
        since=None,
        status=SecretStatus.NOT_HELD,
        status_label="Not held",
        note=note,
    )
