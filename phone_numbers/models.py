"""Phone numbers the company owns at Vobiz."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from trunks.models import SyncedModel, Trunk


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

    class Meta:
        ordering: ClassVar = ["e164"]
        indexes: ClassVar = [models.Index(fields=["sub_account", "e164"])]

    def __str__(self) -> str:
        return self.e164

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
