"""Chart specs for static/js/charts.js, as JSON for a `data-chart` attribute.

A spec is deliberately small (type, labels, datasets, a few axis flags): the
page's tables show the same numbers, and charts.js turns the spec into a
Chart.js configuration. No inline script is needed (CSP).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from billing.models import BalanceSnapshot
from billing.reports.cdr import TeamSeries, Totals


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def _dump(spec: dict[str, Any]) -> str:
    return json.dumps(spec, separators=(",", ":"))


def calls_and_asr(daily: Sequence[tuple[dt.date, Totals]]) -> str:
    """Return bars of calls per day with a line of ASR (%) on a second axis."""
    return _dump(
        {
            "type": "bar",
            "labels": [day.isoformat() for day, _ in daily],
            "datasets": [
                {"label": "Calls", "data": [t.calls for _, t in daily], "axis": "y"},
                {
                    "label": "ASR %",
                    "type": "line",
                    "data": [_num(t.asr) for _, t in daily],
                    "axis": "y2",
                },
            ],
            "y2": {"min": 0, "max": 100},
        }
    )


def team_cost(series: TeamSeries, currency: str) -> str:
    """Return stacked bars of cost per team per day."""
    return _dump(
        {
            "type": "bar",
            "stacked": True,
            "unit": currency,
            "labels": [day.isoformat() for day, _ in series.rows],
            "datasets": [
                {"label": team, "data": [_num(values[i]) for _, values in series.rows]}
                for i, team in enumerate(series.teams)
            ],
        }
    )


def causes(rows: Sequence[tuple[str, int]]) -> str:
    """Return horizontal bars of calls per hangup cause."""
    return _dump(
        {
            "type": "bar",
            "horizontal": True,
            "labels": [cause for cause, _ in rows],
            "datasets": [{"label": "Calls", "data": [n for _, n in rows]}],
        }
    )


def balance(history: Sequence[BalanceSnapshot]) -> str:
    """Return a line of the closing available balance per day."""
    currency = history[-1].currency if history else ""
    return _dump(
        {
            "type": "line",
            "unit": currency,
            "labels": [s.taken_at.date().isoformat() for s in history],
            "datasets": [
                {
                    "label": f"Available balance ({currency})".strip(),
                    "data": [_num(s.available_balance) for s in history],
                }
            ],
        }
    )
