"""Alert rules: add one (e.g. a stricter one for one team) and change one.

How each kind of rule is evaluated is in `monitoring.rules`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.audit import audit_record, audited_update, snapshot
from accounts.models import SubAccount, User
from monitoring.models import AlertRule

RULE_FIELDS = (
    "kind",
    "name",
    "sub_account",
    "threshold",
    "min_count",
    "window_minutes",
    "cooldown_minutes",
    "enabled",
)
EDITABLE_RULE_FIELDS = frozenset(RULE_FIELDS) - {"kind", "sub_account"}


@transaction.atomic
def rule_create(
    *,
    actor: User,
    kind: str,
    name: str,
    sub_account: SubAccount | None = None,
    threshold: Decimal | None = None,
    min_count: int = 0,
    window_minutes: int = 15,
    cooldown_minutes: int = 60,
    enabled: bool = True,
) -> AlertRule:
    """Add an alert rule (e.g. a stricter one for one team) and audit it."""
    rule = AlertRule(
        kind=kind,
        name=name,
        sub_account=sub_account,
        threshold=threshold,
        min_count=min_count,
        window_minutes=window_minutes,
        cooldown_minutes=cooldown_minutes,
        enabled=enabled,
    )
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="alert_rule.create",
        obj=rule,
        sub_account=sub_account,
        after=snapshot(rule, RULE_FIELDS),
    )
    return rule


@transaction.atomic
def rule_update(*, actor: User, rule: AlertRule, **changes: Any) -> AlertRule:
    """Change a rule's name, thresholds, window, cool-down or state; audit it."""
    unknown = set(changes) - EDITABLE_RULE_FIELDS
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    locked = AlertRule.objects.select_for_update().get(pk=rule.pk)
    audited_update(
        actor=actor,
        row=locked,
        changes=changes,
        fields=RULE_FIELDS,
        action="alert_rule.update",
        sub_account=locked.sub_account,
    )
    return locked
