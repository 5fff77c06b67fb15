"""Reads for numbers, requests, releases and utilization, always scoped to the user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, Exists, F, OuterRef, Q, QuerySet, When, Window
from django.db.models.functions import TruncDate
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateformat import format as date_format

from accounts.models import SubAccount, User, require_admin
from billing.models import Cdr
from phone_numbers.choices import PURCHASE_ACTIVE, PurchaseStatus, RequestStatus
from phone_numbers.filters import NumberRequestFilter, PhoneNumberFilter
from phone_numbers.models import (
    NumberPurchase,
    NumberRelease,
    NumberRequest,
    PhoneNumber,
)
from trunks.models import Trunk

AnyUser = User | AnonymousUser
UTILIZATION_DAYS = 7
# Vobiz's documented default release fee (docs/vobiz-api.md §7.4: "release_fee": 700).
DOCUMENTED_RELEASE_FEE = Decimal("700")


@dataclass
class NumberInventory:
    """The filtered numbers, plus whether the user may request more."""

    filterset: PhoneNumberFilter
    can_request: bool


def number_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> NumberInventory:
    """Return the filter over the owned numbers the user may see.

    The sub-accounts for the filter and "may this user request numbers" come
    from one query.
    """
    teams = list(
        SubAccount.objects.visible_to(user)
        .annotate(
            requestable=Exists(
                requestable_sub_accounts(user=user).filter(pk=OuterRef("pk"))
            )
        )
        .order_by("name")
        .values_list("pk", "name", "requestable")
    )
    queryset = (
        PhoneNumber.objects.visible_to(user)
        .present()
        .select_related("sub_account", "trunk")
        .order_by("e164", "pk")
    )
    filterset = PhoneNumberFilter(
        filters or None,
        queryset=queryset,
        sub_accounts=[(pk, name) for pk, name, _ in teams],
        trunks=Trunk.objects.visible_to(user).present().order_by("name"),
    )
    return NumberInventory(filterset, any(requestable for *_, requestable in teams))


def number_page(
    queryset: QuerySet[PhoneNumber], *, number: Any, size: int
) -> Page[PhoneNumber]:
    """Return one page of numbers; the total comes with the rows (a window count)."""
    try:
        wanted = max(1, int(number))
    except (TypeError, ValueError):
        wanted = 1
    start = (wanted - 1) * size
    rows = list(queryset.annotate(total=Window(Count("pk")))[start : start + size])
    if not rows and wanted > 1:
        # Past the end: show the last page, as Paginator.get_page does.
        last = max(1, -(-queryset.count() // size))
        return number_page(queryset, number=last, size=size)
    paginator: Paginator[PhoneNumber] = Paginator(queryset, size)
    # Known from the window; saves the separate COUNT(*).
    paginator.__dict__["count"] = rows[0].total if rows else 0
    return Page(rows, wanted, paginator)


def number_get(*, user: AnyUser, number_id: int) -> PhoneNumber:
    """Return one number the user may see, or raise 404."""
    number: PhoneNumber = get_object_or_404(
        PhoneNumber.objects.visible_to(user).select_related(
            "sub_account", "trunk", "provider_account"
        ),
        pk=number_id,
    )
    return number


def number_trunk_choices(*, number: PhoneNumber) -> QuerySet[Trunk]:
    """Return the trunks a number may route to: those of its own account."""
    trunks = Trunk.objects.present().exclude(remote_id="")
    if number.sub_account_id is None:
        return trunks.filter(sub_account__isnull=True).order_by("name")
    return trunks.filter(sub_account_id=number.sub_account_id).order_by("name")


def number_move_choices(*, number: PhoneNumber) -> QuerySet[SubAccount]:
    """Return the sub-accounts a number can move to (created at Vobiz, not its own)."""
    return (
        SubAccount.objects.filter(
            provider_account_id=number.provider_account_id,
            auth_id__isnull=False,
            removed_at__isnull=True,
        )
        .exclude(pk=number.sub_account_id or 0)
        .order_by("name")
    )


def number_release_current(*, number: PhoneNumber) -> NumberRelease | None:
    """Return the release of this number that can still be undone, if any."""
    if number.status != "pending_release":
        return None
    return (
        NumberRelease.objects.filter(phone_number=number, status="pending_release")
        .select_related("previous_trunk")
        .first()
    )


def number_release_last_undone(*, number: PhoneNumber) -> NumberRelease | None:
    """Return the latest undone release (its trunk was not restored by Vobiz)."""
    return (
        NumberRelease.objects.filter(phone_number=number, status="cancelled")
        .select_related("previous_trunk")
        .first()
    )


@dataclass(frozen=True)
class ReleaseFee:
    """The fee a release will probably cost, and where that figure comes from."""

    amount: Decimal
    currency: str
    source: str


def release_fee_estimate(*, provider_account_id: int) -> ReleaseFee:
    """Return the fee the last release charged, else Vobiz's documented default."""
    last = (
        NumberRelease.objects.filter(
            phone_number__provider_account_id=provider_account_id, fee__isnull=False
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if last is not None and last.fee is not None:
        when = date_format(timezone.localtime(last.created_at), "j M Y")
        return ReleaseFee(
            last.fee,
            last.currency,
            f"the fee Vobiz charged for the last release ({last.e164}, {when})",
        )
    return ReleaseFee(
        DOCUMENTED_RELEASE_FEE,
        "INR",
        "Vobiz's documented default; no release through the portal has shown "
        "this account's own fee yet",
    )


@dataclass
class Usage:
    """Calls one number made or took per day over the last days."""

    total: int = 0
    peak: int = 0
    peak_day: dt.date | None = None
    days_over: int = 0
    days: int = UTILIZATION_DAYS

    @property
    def per_day(self) -> float:
        return self.total / self.days

    @property
    def over_limit(self) -> bool:
        return self.days_over > 0


def utilization_limit() -> int:
    """Return the calls per number per day above which a number is flagged."""
    return int(settings.NUMBER_UTILIZATION_LIMIT)


def number_usage(
    *, numbers: Iterable[str] | QuerySet[Any], days: int = UTILIZATION_DAYS
) -> dict[str, Usage]:
    """Count calls per number per day from the CDRs, aggregated in the database.

    A call counts for its caller-id number if that is one of `numbers`, else for
    the number called; `numbers` may be a queryset of e164 values (a subquery).
    """
    if not isinstance(numbers, QuerySet):
        numbers = list(numbers)
    since = timezone.now() - dt.timedelta(days=days)
    rows = (
        Cdr.objects.filter(start_time__gte=since)
        .filter(Q(from_number__in=numbers) | Q(to_number__in=numbers))
        .annotate(
            number=Case(
                When(from_number__in=numbers, then=F("from_number")),
                default=F("to_number"),
            ),
            day=TruncDate("start_time"),
        )
        .values("number", "day")
        .annotate(calls=Count("id"))
        .order_by()
    )
    limit = utilization_limit()
    usage: dict[str, Usage] = {}
    for row in rows:
        item = usage.setdefault(row["number"], Usage(days=days))
        item.total += row["calls"]
        if row["calls"] > item.peak:
            item.peak, item.peak_day = row["calls"], row["day"]
        if row["calls"] > limit:
            item.days_over += 1
    return usage


def utilization_list(*, user: AnyUser) -> list[tuple[PhoneNumber, Usage]]:
    """Return every visible number with its usage, the busiest first."""
    numbers = PhoneNumber.objects.visible_to(user).present()
    usage = number_usage(numbers=numbers.values("e164"))
    rows = [
        (number, usage.get(number.e164, Usage()))
        for number in numbers.select_related("sub_account").order_by("e164")
    ]
    rows.sort(key=lambda row: (-row[1].peak, -row[1].total, row[0].e164))
    return rows


def _visible_requests(user: AnyUser) -> QuerySet[NumberRequest]:
    if not user.is_authenticated or not user.is_active:
        return NumberRequest.objects.none()
    if getattr(user, "sees_all_teams", False):
        return NumberRequest.objects.all()
    return NumberRequest.objects.filter(
        sub_account__in=SubAccount.objects.visible_to(user)
    )


def _with_progress(queryset: QuerySet[NumberRequest]) -> QuerySet[NumberRequest]:
    return queryset.select_related("sub_account", "requested_by").annotate(
        bought_count=Count(
            "purchases",
            filter=Q(
                purchases__status__in=[PurchaseStatus.DONE, PurchaseStatus.BOUGHT]
            ),
        )
    )


def request_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> NumberRequestFilter:
    """Return the filter over the number requests the user may see, newest first."""
    queryset = _with_progress(_visible_requests(user)).order_by("-created_at", "-pk")
    return NumberRequestFilter(
        filters or None,
        queryset=queryset,
        sub_accounts=SubAccount.objects.visible_to(user).order_by("name"),
    )


def request_queue(*, user: AnyUser) -> QuerySet[NumberRequest]:
    """Return the requests waiting for an admin's decision, oldest first (admins)."""
    require_admin(user)
    return _with_progress(
        NumberRequest.objects.filter(status=RequestStatus.PENDING)
    ).order_by("created_at", "pk")


def request_get(*, user: AnyUser, request_id: int) -> NumberRequest:
    """Return one number request the user may see, or raise 404."""
    return get_object_or_404(
        _visible_requests(user).select_related(
            "sub_account", "requested_by", "decided_by", "trunk", "provider_account"
        ),
        pk=request_id,
    )


def request_purchases(*, number_request: NumberRequest) -> list[NumberPurchase]:
    """Return the per-number purchases of a request, in order."""
    return list(
        number_request.purchases.select_related("phone_number").order_by("position")
    )


def requestable_sub_accounts(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts the user may request numbers for.

    Leads request for the teams they lead; admins for any team. Only
    sub-accounts that exist at Vobiz can receive numbers.
    """
    if getattr(user, "is_admin", False):
        teams = SubAccount.objects.all()
    else:
        teams = SubAccount.objects.led_by(user)
    return teams.filter(
        auth_id__isnull=False, removed_at__isnull=True, enabled=True
    ).order_by("name")


def requestable_trunks(*, sub_accounts: QuerySet[SubAccount]) -> QuerySet[Trunk]:
    """Return the trunks new numbers of these sub-accounts may be routed to."""
    return (
        Trunk.objects.present()
        .filter(sub_account__in=sub_accounts)
        .exclude(remote_id="")
        .select_related("sub_account")
        .order_by("sub_account__name", "name")
    )


def numbers_being_bought(*, numbers: Iterable[str]) -> set[str]:
    """Return which of these numbers a live purchase is already aiming at."""
    return set(
        NumberPurchase.objects.filter(
            e164__in=list(numbers), status__in=sorted(PURCHASE_ACTIVE)
        ).values_list("e164", flat=True)
    )


def pending_request_count(*, user: AnyUser) -> int:
    """Return how many requests wait for a decision (admins; 0 for others)."""
    if not getattr(user, "is_admin", False):
        return 0
    return NumberRequest.objects.filter(status=RequestStatus.PENDING).count()
