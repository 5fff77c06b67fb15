"""What every rule evaluator returns, and the registry that maps kinds to them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from monitoring.choices import Severity

if TYPE_CHECKING:
    from monitoring.models import AlertRule


@dataclass(frozen=True)
class Finding:
    """One subject for which a rule's condition holds right now.

    `key` names the subject within the rule (e.g. ``trunk:12``); the alert's
    dedup key is the rule id plus this key.
    """

    key: str
    subject: str
    message: str
    value: float | None = None
    severity: str = Severity.WARNING
    provider_account_id: int | None = None
    sub_account_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


Evaluator = Callable[["AlertRule", dt.datetime], list[Finding]]
EVALUATORS: dict[str, Evaluator] = {}


def evaluator(kind: str) -> Callable[[Evaluator], Evaluator]:
    """Register the function that evaluates rules of one kind."""

    def register(fn: Evaluator) -> Evaluator:
        EVALUATORS[kind] = fn
        return fn

    return register


def threshold_or(rule: AlertRule, default: str) -> Decimal:
    """Return the rule's threshold, or `default` when it has none."""
    return rule.threshold if rule.threshold is not None else Decimal(default)


def window_start(rule: AlertRule, now: dt.datetime) -> dt.datetime:
    """Return the start of the rule's window ending now."""
    return now - dt.timedelta(minutes=rule.window_minutes)


def scoped(rule: AlertRule, **lookups: Any) -> dict[str, Any]:
    """Add the rule's sub-account to ORM lookups when the rule has one."""
    if rule.sub_account_id is not None:
        lookups["sub_account_id"] = rule.sub_account_id
    return lookups


def pct(part: float, whole: float) -> float:
    """Return part/whole as a percentage (0 for an empty whole)."""
    return 100.0 * part / whole if whole else 0.0
