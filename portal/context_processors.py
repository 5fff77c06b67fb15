"""Template context shared by every page: the navigation for the user's role."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone


@dataclass(frozen=True)
class NavItem:
    """One entry of the sidebar."""

    label: str
    url: str
    section: str


def _items_for(user: object) -> list[NavItem]:
    is_admin = getattr(user, "is_admin", False)
    sees_all = getattr(user, "sees_all_teams", False)
    items = [
        NavItem("Dashboard", reverse("portal:dashboard"), "dashboard"),
        NavItem("Sub-accounts", reverse("accounts:subaccount_list"), "subaccounts"),
        # Everyone signed in: finance and admin see every team, members their own.
        NavItem("Billing", reverse("billing:index"), "billing"),
        # Everyone signed in: admins the inventory and approval queue, finance the
        # inventory (read), members their team's numbers and requests.
        NavItem("Numbers", reverse("phone_numbers:number_list"), "numbers"),
    ]
    if not getattr(user, "is_finance", False):
        # Admins manage every trunk; members read their teams'. Finance has none.
        items.append(NavItem("Trunks", reverse("trunks:trunk_list"), "trunks"))
    if sees_all:
        # Admins land on API health; finance may only read the alerts.
        target = "monitoring:health" if is_admin else "monitoring:alert_list"
        items.append(NavItem("Monitoring", reverse(target), "monitoring"))
        items.append(NavItem("Audit log", reverse("accounts:audit_list"), "audit"))
    if is_admin:
        items.append(NavItem("Users", reverse("accounts:user_list"), "users"))
        # Secret inventory, rotations, drills and the security posture.
        items.append(NavItem("Security", reverse("credentials:inventory"), "security"))
    return items


def navigation(request: HttpRequest) -> dict[str, object]:
    """Give templates the sidebar entries the signed-in user may open.

    Until the second factor is passed (or, for an admin, set up) there are none:
    every page but that one and sign-out would only send the user back to it.
    """
    from accounts.security import pending_second_factor

    user = getattr(request, "user", None)
    zone = timezone.get_current_timezone_name()
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "TIME_ZONE": zone, "second_factor_pending": False}
    if pending_second_factor(request) is not None:
        return {"nav_items": [], "TIME_ZONE": zone, "second_factor_pending": True}
    return {
        "nav_items": _items_for(user),
        "TIME_ZONE": zone,
        "second_factor_pending": False,
    }
