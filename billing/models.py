"""Balance snapshots, the transactions ledger, call detail records and rollups."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q

from accounts.models import SubAccount, User
from sync.models import ProviderAccount


def money(**kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]
    """Return a money column: 14 digits, 5 decimals (Vobiz's own precision)."""
    return models.DecimalField(max_digits=14, decimal_places=5, **kwargs)


class BalanceSnapshot(models.Model):
    """The account balance as Vobiz reported it at one moment (for history charts)."""

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="balance_snapshots"
    )
    taken_at = models.DateTimeField(db_index=True)
    currency = models.CharField(max_length=3)
    balance = money()
    available_balance = money()
    reserved_funds = money(default=0)
    promotional_balance = money(default=0)
    credit_limit = money(default=0)
    credit_limit_type = models.CharField(max_length=8, blank=True)
    is_postpaid = models.BooleanField(default=False)
    low_balance_threshold = money(default=0)
    status = models.CharField(max_length=16, blank=True)

    class Meta:
        ordering: ClassVar = ["-taken_at"]
        indexes: ClassVar = [
            models.Index(
                fields=["provider_account", "-taken_at"], name="billing_bal_acct_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.balance} {self.currency} at {self.taken_at:%Y-%m-%d %H:%M}"


class Transaction(models.Model):
    """One ledger row: a debit (calls, number rental) or a credit (top-up, refund)."""

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="transactions"
    )
    remote_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=16)
    amount = money()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=120, blank=True)
    reference_type = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    remote_created_at = models.DateTimeField(db_index=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-remote_created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} {self.currency}"


class CdrQuerySet(models.QuerySet["Cdr"]):
    """Queries over call detail records."""

    def visible_to(self, user: User | AnonymousUser) -> CdrQuerySet:
        """Keep CDRs of sub-accounts the user may see (admin and finance: all)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_teams:
            return self.all()
        teams = SubAccount.objects.visible_to(user).values("pk")
        return self.filter(sub_account__in=teams)


class Cdr(models.Model):
    """One call detail record, keyed by Vobiz's `uuid`.

    Attributed to a sub-account by the `account_id` Vobiz reports for it.
    """

    uuid = models.UUIDField(unique=True)
    # No database-level foreign keys on this, the biggest table: each would queue a
    # check per inserted row at commit and halve the ingest rate. The ingest sets
    # both ids from rows it has just read, and Django still applies on_delete.
    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    sub_account = models.ForeignKey(
        SubAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    account_auth_id = models.CharField(max_length=40)
    start_time = models.DateTimeField()
    answer_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    direction = models.CharField(max_length=8)
    from_number = models.CharField(max_length=32, blank=True)
    to_number = models.CharField(max_length=32, blank=True)
    duration = models.PositiveIntegerField(default=0)
    billsec = models.PositiveIntegerField(default=0)
    hangup_cause = models.CharField(max_length=48, blank=True)
    hangup_cause_code = models.IntegerField(null=True, blank=True)
    hangup_source = models.CharField(max_length=16, blank=True)
    cost = money(default=0)
    currency = models.CharField(max_length=3, blank=True)
    trunk_remote_id = models.CharField(max_length=64, blank=True)
    ring_time = models.PositiveIntegerField(default=0)
    mos = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    packet_loss = models.DecimalField(
        max_digits=6, decimal_places=3, null=True, blank=True
    )
    jitter = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)

    objects = CdrQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-start_time", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["-start_time", "-id"], name="billing_cdr_time"),
            models.Index(
                fields=["sub_account", "-start_time", "-id"], name="billing_cdr_sa_time"
            ),
            # Covering (PostgreSQL only): hangup causes per date range, for every
            # team or one, by an index-only scan; the rollups do not keep causes.
            models.Index(
                fields=["start_time"],
                include=["sub_account", "direction", "hangup_cause"],
                name="billing_cdr_time_cover",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.from_number} → {self.to_number} at {self.start_time:%Y-%m-%d %H:%M}"
        )

    @property
    def answered(self) -> bool:
        return self.answer_time is not None or self.billsec > 0


class CdrDailyRollup(models.Model):
    """Totals of one account's calls on one day in one direction.

    Rebuilt from the raw CDRs for every day a sync touches, in the same
    transaction, so reports can read them instead of scanning millions of rows.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="+"
    )
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account_auth_id = models.CharField(max_length=40)
    day = models.DateField()
    direction = models.CharField(max_length=8)
    calls = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    billable_seconds = models.PositiveBigIntegerField(default=0)
    duration_seconds = models.PositiveBigIntegerField(default=0)
    cost = models.DecimalField(max_digits=18, decimal_places=5, default=0)
    ring_time_sum = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["-day"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["provider_account", "account_auth_id", "day", "direction"],
                name="%(app_label)s_%(class)s_unique_day",
            ),
            models.CheckConstraint(
                condition=Q(answered__lte=models.F("calls")),
                name="%(app_label)s_%(class)s_answered_le_calls",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["sub_account", "day"])]

    def __str__(self) -> str:
        return f"{self.account_auth_id} {self.day} {self.direction}: {self.calls}"


class CdrCauseRollup(models.Model):
    """Calls of one account on one day in one direction that ended with one cause.

    Rebuilt with `CdrDailyRollup` for the days a sync touches, so the report's
    hangup-cause chart reads a few hundred rows instead of every call of the range.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="+"
    )
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account_auth_id = models.CharField(max_length=40)
    day = models.DateField()
    direction = models.CharField(max_length=8)
    hangup_cause = models.CharField(max_length=48, blank=True)
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["-day"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=[
                    "provider_account",
                    "account_auth_id",
                    "day",
                    "direction",
                    "hangup_cause",
                ],
                name="%(app_label)s_%(class)s_unique_day",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["day", "sub_account"], name="billing_cause_day_sa")
        ]

    def __str__(self) -> str:
        return f"{self.account_auth_id} {self.day} {self.hangup_cause}: {self.calls}"


BUDGET_THRESHOLDS = (50, 80, 100)


class Budget(models.Model):
    """A monthly spending budget for one sub-account, in the account currency.

    Spend is the month's CDR cost from the daily rollups; crossing 50%, 80% and
    100% of `monthly_amount` is what the budget alerts watch.
    """

    sub_account = models.OneToOneField(
        SubAccount, on_delete=models.CASCADE, related_name="budget"
    )
    monthly_amount = money()
    currency = models.CharField(max_length=3, default="INR")
    updated_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["sub_account__name"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gt=0),
                name="%(app_label)s_%(class)s_amount_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.sub_account}: {self.monthly_amount} {self.currency}/month"
