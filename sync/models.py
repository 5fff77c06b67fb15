"""The Vobiz connection: the master account, every API attempt, where each sync stands.

These models moved here from accounts and monitoring (their tables kept their
names), so the client factory and the sync runs need no domain app.
"""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import RegexValidator
from django.db import models

from core.fields import EncryptedTextField
from core.validators import validate_name
from sync.registry import KINDS

validate_master_auth_id = RegexValidator(
    r"^MA_[A-Z0-9]{6,32}$",
    "A master account id looks like MA_ followed by 6–32 capital letters or digits.",
    code="invalid_auth_id",
)


class ProviderEnvironment(models.TextChoices):
    """Whether a provider account carries real traffic."""

    PRODUCTION = "production", "Production"
    SANDBOX = "sandbox", "Sandbox"


# The choices of SyncState.kind, one per entry of the registry.
SyncKind = models.TextChoices(  # type: ignore[call-overload]
    "SyncKind", [(kind.name.upper(), (kind.name, kind.label)) for kind in KINDS]
)


class ProviderAccount(models.Model):
    """The company's Vobiz master (`MA_`) account and the secrets to call it.

    The REST auth token, the console login and the console JWT pair are all
    encrypted at rest.
    """

    label = models.CharField(max_length=100, unique=True, validators=[validate_name])
    auth_id = models.CharField(
        "auth id", max_length=40, unique=True, validators=[validate_master_auth_id]
    )
    auth_token = EncryptedTextField(blank=True)
    login_email = EncryptedTextField(blank=True)
    login_password = EncryptedTextField(blank=True)
    access_token = EncryptedTextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    refresh_token = EncryptedTextField(blank=True)
    refresh_token_expires_at = models.DateTimeField(null=True, blank=True)
    environment = models.CharField(
        max_length=16,
        choices=ProviderEnvironment.choices,
        default=ProviderEnvironment.PRODUCTION,
    )
    currency = models.CharField(max_length=3, default="INR")
    auth_token_rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The table kept its name when the model moved here from accounts.
        db_table = "accounts_provideraccount"
        ordering: ClassVar = ["label"]

    def __str__(self) -> str:
        return f"{self.label} ({self.auth_id})"


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
        # By name: sub-accounts live in a domain app above this one.
        "accounts.SubAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
        # The table kept its name when the model moved here from monitoring.
        db_table = "monitoring_apicall"
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
        # The table kept its name when the model moved here from monitoring.
        db_table = "monitoring_syncstate"
        ordering: ClassVar = ["provider_account", "kind"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["provider_account", "kind"],
                name="%(app_label)s_%(class)s_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_account.label} {self.kind}"
