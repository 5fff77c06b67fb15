"""The pages each role browses, by URL name, and the plan handed to Locust.

The catalogue names views by their URL names, never by hard-coded paths: the
runner resolves them with `reverse()` (a URL name not wired up yet, e.g. an app
whose urls are not included, is left out and listed in the report). Which role
may open which page is then checked against the running server by a smoke pass
(200 keeps the page for that role; 403/404 drops it and says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

ROLES = ("admin", "finance", "lead", "viewer")
ALL = ROLES
SEES_ALL = ("admin", "finance")
HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class Page:
    """One request a user makes: a URL name, query parameters, htmx or not."""

    name: str
    url_name: str
    roles: tuple[str, ...] = ALL
    params: dict[str, str] = field(default_factory=dict)
    htmx_target: str = ""
    weight: int = 1


def catalogue(today: dt.date) -> list[Page]:
    """Return every page of the load test; dates are relative to `today`."""
    week = (today - dt.timedelta(days=6)).isoformat()
    month = (today - dt.timedelta(days=29)).isoformat()
    return [
        Page("dashboard", "portal:dashboard", weight=4),
        Page("sub-accounts", "accounts:subaccount_list"),
        Page("billing", "billing:index"),
        Page("balance", "billing:balance", weight=2),
        Page("transactions", "billing:transaction_list"),
        Page("spend", "billing:spend", SEES_ALL),
        Page("cdr report", "billing:cdr_report", weight=4),
        Page(
            "cdr report: htmx direction filter",
            "billing:cdr_report",
            params={"since": week, "direction": "outbound"},
            htmx_target="report",
            weight=3,
        ),
        Page(
            "cdr report: htmx 30 days",
            "billing:cdr_report",
            params={"since": month},
            htmx_target="report",
            weight=2,
        ),
        Page(
            "cdr report: htmx rows",
            "billing:cdr_report",
            params={"since": week},
            htmx_target="rows",
            weight=2,
        ),
        Page(
            "cdr report: hangup cause (raw rows)",
            "billing:cdr_report",
            params={"since": week, "hangup_cause": "USER_BUSY"},
            weight=2,
        ),
        Page("numbers", "phone_numbers:number_list", weight=2),
        Page("number requests", "phone_numbers:request_list"),
        Page("trunks", "trunks:trunk_list", weight=2),
        Page("audit log", "accounts:audit_list", SEES_ALL, weight=2),
        Page(
            "audit log: htmx rows",
            "accounts:audit_list",
            SEES_ALL,
            htmx_target="rows",
        ),
        Page("users", "accounts:user_list", ("admin",)),
        Page("notifications", "monitoring:notification_list"),
        Page("monitoring: api health", "monitoring:health", ("admin",), weight=2),
        Page(
            "monitoring: request log", "monitoring:apicall_list", ("admin",), weight=2
        ),
        Page(
            "monitoring: request log htmx filter",
            "monitoring:apicall_list",
            ("admin",),
            params={"outcome": "ok"},
            htmx_target="rows",
        ),
        Page("monitoring: alerts", "monitoring:alert_list", SEES_ALL),
        Page("monitoring: rules", "monitoring:rule_list", ("admin",)),
        Page("monitoring: channels", "monitoring:channel_list", ("admin",)),
        Page("monitoring: deliveries", "monitoring:delivery_list", ("admin",)),
        Page("monitoring: synthetic calls", "monitoring:synthetic_list", ("admin",)),
    ]


# DB-backed 50-row lists compared with the minimal view (/healthz), as admin.
LIST_PAGES = (
    Page("transactions", "billing:transaction_list", ("admin",)),
    Page("monitoring: request log", "monitoring:apicall_list", ("admin",)),
)
MINIMAL_URL_NAME = "healthz"


def request_spec(page: Page, path: str) -> dict[str, Any]:
    """Return what Locust needs to send `page` (JSON-ready)."""
    headers = {**HTMX, "HX-Target": page.htmx_target} if page.htmx_target else {}
    return {
        "name": page.name,
        "path": path,
        "params": dict(page.params),
        "headers": headers,
        "weight": page.weight,
    }


def resolve(
    pages: list[Page], reverse: Any, no_match: type[Exception]
) -> tuple[list[tuple[Page, str]], list[str]]:
    """Resolve URL names; return the resolved pages and the names that are missing."""
    found, missing = [], []
    for page in pages:
        try:
            found.append((page, str(reverse(page.url_name))))
        except no_match:
            missing.append(f"{page.name} ({page.url_name})")
    return found, missing


def page_as_dict(page: Page) -> dict[str, Any]:
    """Return a page as a plain dict (for the report)."""
    return asdict(page)
