"""Who sees which teams' figures: the scope every billing read starts from."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db.models import QuerySet

from accounts.models import SubAccount, User
from billing.models import (
    Cdr,
    CdrCauseRollup,
    CdrDailyRollup,
)
from sync.models import ProviderAccount

AnyUser = User | AnonymousUser


def team_ids(*, user: AnyUser) -> list[int] | None:
    """Return the ids of the user's sub-accounts, or None for "every team"."""
    if getattr(user, "sees_all_teams", False):
        return None
    return list(SubAccount.objects.visible_to(user).values_list("pk", flat=True))


def scoped_cdrs(ids: list[int] | None) -> QuerySet[Cdr]:
    """Return the CDRs of the teams `ids` (from `team_ids`); None means all."""
    # A plain id list (not a join) keeps the per-team index usable for one team.
    return (
        Cdr.objects.all() if ids is None else Cdr.objects.filter(sub_account_id__in=ids)
    )


def scoped_rollups(ids: list[int] | None) -> QuerySet[CdrDailyRollup]:
    """Return the daily rollups of the teams `ids`; None means all."""
    rollups = CdrDailyRollup.objects.all()
    return rollups if ids is None else rollups.filter(sub_account_id__in=ids)


def scoped_cause_rollups(ids: list[int] | None) -> QuerySet[CdrCauseRollup]:
    """Return the daily hangup-cause rollups of the teams `ids`; None means all."""
    causes = CdrCauseRollup.objects.all()
    return causes if ids is None else causes.filter(sub_account_id__in=ids)


def report_sub_accounts(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts the user may see, by name."""
    return SubAccount.objects.visible_to(user).order_by("name", "pk")


@dataclass(frozen=True)
class ReportScope:
    """What one user's CDR report may cover, read once per request."""

    teams: list[tuple[int, str]]
    trunks: list[tuple[str, str]]
    ids: list[int] | None  # None: every team, and the master account's own calls
    currency: str


def report_scope(*, user: AnyUser) -> ReportScope:
    """Return the user's teams (for the filter and the scope), trunks and currency."""
    teams = list(
        report_sub_accounts(user=user).values_list(
            "pk", "name", "provider_account__currency"
        )
    )
    ids = None if getattr(user, "sees_all_teams", False) else [t[0] for t in teams]
    currency = teams[0][2] if teams else account_currency()
    return ReportScope(
        teams=[(pk, name) for pk, name, _ in teams],
        trunks=trunk_choices(ids),
        ids=ids,
        currency=currency,
    )


TRUNK_CHOICES_SECONDS = 60


def trunk_choices(ids: list[int] | None) -> list[tuple[str, str]]:
    """Return (remote id, name) of the teams' trunks, cached for a minute.

    Only the filter's choices come from here; which calls a user sees is decided
    by the team ids, never by this list, so a minute-old list cannot leak data.
    Caching it keeps the report within its query budget.
    """
    from trunks.models import Trunk

    key = "billing:trunks:" + (
        "all" if ids is None else ",".join(map(str, sorted(ids)))
    )

    def load() -> list[tuple[str, str]]:
        trunks = (
            Trunk.objects.all()
            if ids is None
            else Trunk.objects.filter(sub_account_id__in=ids)
        )
        return list(trunks.order_by("name", "pk").values_list("remote_id", "name"))

    return cache.get_or_set(key, load, TRUNK_CHOICES_SECONDS) or []


def account_currency() -> str:
    """Return the currency of the company's Vobiz account (INR until one exists)."""
    currency = ProviderAccount.objects.values_list("currency", flat=True).first()
    return currency or "INR"
