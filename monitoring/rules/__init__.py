"""Alert rule evaluators, one per rule kind.

Each evaluator takes a rule and "now" and returns the subjects for which the
condition holds; `monitoring.services.alerts_evaluate` turns those into alert
episodes. Importing this package registers every evaluator.
"""

from __future__ import annotations

import datetime as dt

from monitoring.models import AlertRule
from monitoring.rules import account, calls, limits, trunks
from monitoring.rules.base import EVALUATORS, Finding

__all__ = ["EVALUATORS", "Finding", "account", "calls", "evaluate", "limits", "trunks"]


def evaluate(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Return the findings of one rule at `now`."""
    return EVALUATORS[rule.kind](rule, now)
