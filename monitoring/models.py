"""The log of every Vobiz API attempt and the state of each sync."""

from __future__ import annotations

from typing import ClassVar

from django.db import models

from accounts.models import ProviderAccount, SubAccount


class ApiCall(models.Model):
    """One HTTP attempt to Vobiz, as the client's observer reported it.

    It never holds a secret: the URL is redacted by the client.
    """

    created_at = models.DateTimeField(db_index=True)
    provider_account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=8)
    path_template = models.CharField(max_length=120)
    url = models.CharField(max_length=500)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.FloatField()
    request_id = models.CharField(max_length=80, blank=True)
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=16)
    error_code = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["path_template", "-created_at"], name="monitoring_call_path"
            ),
            models.Index(
                fields=["outcome", "-created_at"], name="monitoring_call_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path_template} → {self.status or self.outcome}"


class SyncKind(models.TextChoices):
    SUB_ACCOUNTS = "sub_accounts", "Sub-accounts"
    TRUNKS = "trunks", "Trunks"
    NUMBERS = "numbers", "Numbers"
    BALANCE = "balance", "Balance"
    TRANSACTIONS = "transactions", "Transactions"
    CDRS = "cdrs", "Call records"
    ROLLUPS = "rollups", "Rollup check"


class SyncState(models.Model):
    """Where one kind of sync stands for one provider account.

    `watermark` (the cursor) only moves after the rows it covers are committed, so
    a killed sync resumes from the last committed point.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="sync_states"
    )
    kind = models.CharField(max_length=16, choices=SyncKind.choices)
    watermark = models.DateField(null=True, blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_summary = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering: ClassVar = ["provider_account", "kind"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["provider_account", "kind"],
                name="%(app_label)s_%(class)s_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_account.label} {self.kind}"
