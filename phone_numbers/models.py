"""Phone numbers the company owns at Vobiz."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.models import SubAccount
from core.constraints import one_of_choices
from core.models import SyncedModel
from phone_numbers.choices import (
    DLT_SERIES,
    PURCHASE_ACTIVE,
    REQUEST_FINISHED,
    NumberSeries,
    PurchaseStatus,
    ReleaseStatus,
    RequestStatus,
)
from sync.models import ProviderAccount
from trunks.models import Trunk


class NumberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING_PURCHASE = "pending_purchase", "Pending purchase"
    PENDING_RELEASE = "pending_release", "Pending release"
    RELEASED = "released", "Released"
    BLOCKED = "blocked", "Blocked"


class PhoneNumber(SyncedModel):
    """One owned number, in E.164, with its fees and where it routes."""

    remote_id = models.CharField(max_length=64, blank=True)
    e164 = models.CharField("number", max_length=16, unique=True)
    country = models.CharField(max_length=2, blank=True)
    region = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=24, choices=NumberStatus.choices, default=NumberStatus.ACTIVE
    )
    setup_fee = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    monthly_fee = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    currency = models.CharField(max_length=3, default="INR")
    trunk = models.ForeignKey(
        Trunk, on_delete=models.SET_NULL, null=True, blank=True, related_name="numbers"
    )
    trunk_remote_id = models.CharField(max_length=64, blank=True)
    purchased_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    cancel_release_until = models.DateTimeField(null=True, blank=True)
    # DLT registration (140/160 series), copied from the request that bought it;
    # the sync never touches these.
    dlt_entity_id = models.CharField(
        "DLT principal entity id", max_length=19, blank=True
    )
    dlt_header = models.CharField("DLT header", max_length=11, blank=True)
    dlt_purpose = models.CharField("DLT purpose", max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["e164"]
        indexes: ClassVar = [models.Index(fields=["sub_account", "e164"])]

    def __str__(self) -> str:
        return self.e164

    def get_absolute_url(self) -> str:
        return reverse("phone_numbers:number_detail", args=[self.pk])

    @property
    def has_dlt(self) -> bool:
        return bool(self.dlt_entity_id)

    @property
    def series(self) -> str:
        """Return the Indian series (80/79/22/11/140/160/92) a +91 number is in."""
        if not self.e164.startswith("+91"):
            return ""
        national = self.e164[3:]
        for prefix in ("140", "160", "1800", "80", "79", "22", "11", "92"):
            if national.startswith(prefix):
                return "toll-free" if prefix == "1800" else prefix
        return ""


class NumberRequest(models.Model):
    """A team lead's request for numbers for their sub-account.

    Leads ask, an admin other than the requester decides (four eyes, also a
    database constraint), and a worker buys the numbers one `NumberPurchase` at
    a time.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.PROTECT, related_name="+"
    )
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.PROTECT, related_name="number_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    country = models.CharField(max_length=2, default="IN")
    series = models.CharField(max_length=12, choices=NumberSeries.choices, blank=True)
    quantity = models.PositiveSmallIntegerField()
    prefix = models.CharField(max_length=10, blank=True)
    reason = models.CharField(max_length=500)
    trunk = models.ForeignKey(
        Trunk, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dlt_entity_id = models.CharField(
        "DLT principal entity id", max_length=19, blank=True
    )
    dlt_header = models.CharField("DLT header", max_length=11, blank=True)
    dlt_purpose = models.CharField("DLT purpose", max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.CharField(max_length=500, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["status", "-created_at"], name="phone_req_status_idx"),
            models.Index(
                fields=["sub_account", "-created_at"], name="phone_req_sa_idx"
            ),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=50),
                name="%(app_label)s_%(class)s_quantity_range",
            ),
            one_of_choices("status", RequestStatus),
            # Four eyes: nobody decides their own request.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="%(app_label)s_%(class)s_four_eyes",
            ),
            models.CheckConstraint(
                condition=~Q(series__in=sorted(DLT_SERIES))
                | (~Q(dlt_entity_id="") & ~Q(dlt_header="") & ~Q(dlt_purpose="")),
                name="%(app_label)s_%(class)s_dlt_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.series_label} for {self.sub_account}"

    def get_absolute_url(self) -> str:
        return reverse("phone_numbers:request_detail", args=[self.pk])

    @property
    def series_label(self) -> str:
        return self.get_series_display() if self.series else f"{self.country} numbers"

    @property
    def is_finished(self) -> bool:
        return self.status in REQUEST_FINISHED

    @property
    def needs_dlt(self) -> bool:
        return self.series in DLT_SERIES


class NumberPurchase(models.Model):
    """One number to buy for a request, with its own idempotency key.

    The key (and the number, once chosen) are committed before the purchase is
    sent, so a later run can look the purchase up at Vobiz and reuse the key
    instead of buying again. `claim_token`/`claimed_until` is a short lease: one
    worker at a time works on a row; a killed worker's lease simply runs out.
    """

    request = models.ForeignKey(
        NumberRequest, on_delete=models.CASCADE, related_name="purchases"
    )
    position = models.PositiveSmallIntegerField()
    e164 = models.CharField("number", max_length=16, blank=True)
    # Chosen by the approving admin: never swapped for another number.
    chosen_by_admin = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=16, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING
    )
    reason = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    setup_fee = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    monthly_fee = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    currency = models.CharField(max_length=3, blank=True)
    phone_number = models.ForeignKey(
        PhoneNumber,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="purchases",
    )
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    bought_at = models.DateTimeField(null=True, blank=True)
    attached_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["request", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["request", "position"],
                name="%(app_label)s_%(class)s_unique_position",
            ),
            # No two live purchases aim at the same number (two requests, or two
            # workers picking from the inventory at once).
            models.UniqueConstraint(
                fields=["e164"],
                condition=Q(status__in=sorted(PURCHASE_ACTIVE)) & ~Q(e164=""),
                name="%(app_label)s_%(class)s_one_live_per_number",
            ),
            one_of_choices("status", PurchaseStatus),
            # Nothing is sent before the number is known.
            models.CheckConstraint(
                condition=Q(status=PurchaseStatus.PENDING)
                | Q(status=PurchaseStatus.NOT_BOUGHT)
                | ~Q(e164=""),
                name="%(app_label)s_%(class)s_number_before_buying",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.e164 or '(to be chosen)'} — {self.get_status_display()}"

    @property
    def cost(self) -> Decimal | None:
        if self.setup_fee is None or self.monthly_fee is None:
            return None
        return self.setup_fee + self.monthly_fee


class NumberRelease(models.Model):
    """One release of a number: its reason, the fee charged and the undo window."""

    phone_number = models.ForeignKey(
        PhoneNumber, on_delete=models.CASCADE, related_name="releases"
    )
    e164 = models.CharField("number", max_length=16)
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Where the number routed before: Vobiz does not restore it after an undo.
    previous_trunk = models.ForeignKey(
        Trunk, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500)
    fee = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, default="INR")
    status = models.CharField(
        max_length=16, choices=ReleaseStatus.choices, default=ReleaseStatus.PENDING
    )
    cooldown_ends_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            one_of_choices("status", ReleaseStatus),
        ]

    def __str__(self) -> str:
        return f"Release of {self.e164} ({self.get_status_display()})"
