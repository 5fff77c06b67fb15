"""SIP trunks, their credentials (password auth) and IP whitelist entries."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import User
from core.constraints import one_of_choices
from core.fields import EncryptedTextField
from core.models import SyncedModel
from trunks.choices import (
    AuthType,
    HealthEventKind,
    RequestStatus,
    RotationReason,
    RotationState,
    Transport,
    TrunkDirection,
    TrunkStatus,
)


class TrunkCredential(SyncedModel):
    """A SIP digest credential (username + password) for password-auth trunks.

    The password is known (and stored encrypted) only when the portal created it.
    """

    remote_id = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=64)
    password = EncryptedTextField(blank=True)
    realm = models.CharField(max_length=255, blank=True)
    enabled = models.BooleanField(default=True)
    rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["username"]
        indexes: ClassVar = [models.Index(fields=["sub_account", "username"])]

    def __str__(self) -> str:
        return self.username

    @property
    def age_base(self) -> dt.datetime:
        """Return when the password was last set, as far as the portal knows."""
        return self.rotated_at or self.remote_created_at or self.created_at


class IpAclEntry(SyncedModel):
    """An IPv4 address or CIDR allowed to send traffic (IP-whitelist auth)."""

    remote_id = models.CharField(max_length=64, unique=True)
    ip_address = models.CharField(max_length=18)
    description = models.CharField(max_length=255, blank=True)
    enabled = models.BooleanField(default=True)
    # Vobiz keeps whitelist entries per account; the portal shows each one on the
    # trunk it was added for (or the trunk whose ipacl_uuid names it).
    trunk = models.ForeignKey(
        "Trunk",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="acl_entries",
    )

    class Meta:
        ordering: ClassVar = ["ip_address"]
        verbose_name = "IP whitelist entry"
        verbose_name_plural = "IP whitelist entries"

    def __str__(self) -> str:
        return self.ip_address


class Trunk(SyncedModel):
    """A Vobiz SIP trunk of one sub-account (or of the master account)."""

    remote_id = models.CharField("trunk id", max_length=64, unique=True)
    name = models.CharField(max_length=255)
    description = models.CharField(max_length=500, blank=True)
    domain = models.CharField(max_length=255, blank=True)
    direction = models.CharField(
        max_length=16, choices=TrunkDirection.choices, default=TrunkDirection.OUTBOUND
    )
    status = models.CharField(
        max_length=16, choices=TrunkStatus.choices, default=TrunkStatus.ACTIVE
    )
    enabled = models.BooleanField(default=True)
    secure = models.BooleanField(default=False)
    transport = models.CharField(
        max_length=8, choices=Transport.choices, default=Transport.UDP
    )
    concurrent_calls_limit = models.PositiveIntegerField(default=10)
    cps_limit = models.PositiveIntegerField(default=2)
    credential = models.ForeignKey(
        TrunkCredential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="trunks",
    )
    credential_remote_id = models.CharField(max_length=64, blank=True)
    ipacl_remote_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering: ClassVar = ["name"]
        indexes: ClassVar = [models.Index(fields=["sub_account", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("trunks:trunk_detail", args=[self.pk])

    @property
    def auth_type(self) -> str:
        """Return how the trunk authenticates: IP whitelist, password or both.

        Selectors annotate `has_ip` and `has_password`; without them this asks
        the database.
        """
        has_password = getattr(self, "has_password", None)
        if has_password is None:
            has_password = bool(self.credential_id or self.credential_remote_id)
        has_ip = getattr(self, "has_ip", None)
        if has_ip is None:
            has_ip = bool(self.ipacl_remote_id) or (
                self.pk is not None
                and IpAclEntry.objects.present().filter(trunk=self).exists()
            )
        if has_ip and has_password:
            return AuthType.BOTH
        if has_password:
            return AuthType.PASSWORD
        return AuthType.IP if has_ip else ""

    def get_auth_type_display(self) -> str:
        return str(AuthType(self.auth_type).label) if self.auth_type else "None"


class RotationJob(models.Model):
    """One staged rotation of a trunk's SIP password, persisted step by step.

    The new password is stored (encrypted) before Vobiz is called, so a crash at
    any step loses nothing: `services.rotation_resume` continues from `state`.
    The old credential stays attached until the new one is.
    """

    trunk = models.ForeignKey(Trunk, on_delete=models.CASCADE, related_name="rotations")
    reason = models.CharField(max_length=16, choices=RotationReason.choices)
    note = models.CharField(max_length=300, blank=True)
    state = models.CharField(
        max_length=24, choices=RotationState.choices, default=RotationState.CREATED
    )
    old_credential = models.ForeignKey(
        TrunkCredential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    new_credential = models.ForeignKey(
        TrunkCredential,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    new_username = models.CharField(max_length=64)
    new_password = EncryptedTextField()
    new_credential_remote_id = models.CharField(max_length=64, blank=True)
    started_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    # A short claim so two clicks on "Resume" never run the same step twice.
    locked_until = models.DateTimeField(null=True, blank=True)
    password_shown_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["trunk"],
                condition=~Q(state__in=["done", "cancelled"]),
                name="%(app_label)s_%(class)s_one_open_per_trunk",
            ),
            one_of_choices("state", RotationState),
        ]

    def __str__(self) -> str:
        return f"Rotation of {self.trunk} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse("trunks:trunk_rotation_detail", args=[self.trunk_id, self.pk])

    @property
    def is_open(self) -> bool:
        return self.state not in (RotationState.DONE, RotationState.CANCELLED)

    @property
    def new_password_in_use(self) -> bool:
        """Say whether the new password already works on the trunk."""
        return self.state in (
            RotationState.ATTACHED,
            RotationState.OLD_REMOVED,
            RotationState.DONE,
        )


class RotationReminder(models.Model):
    """A reminder sent for one credential at one milestone (sent once, ever).

    Milestones are `d14`, `d7`, `d1` and, once overdue, `overdue-YYYY-MM-DD`
    (`core.rotation`); the credentials app's daily task sends them.
    """

    credential = models.ForeignKey(
        TrunkCredential, on_delete=models.CASCADE, related_name="reminders"
    )
    milestone = models.CharField(max_length=32)
    due_on = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-sent_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["credential", "milestone"],
                name="%(app_label)s_%(class)s_once_per_milestone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.credential} {self.milestone}"


class RotationRequest(models.Model):
    """A team lead's request that an admin rotate a trunk's password."""

    trunk = models.ForeignKey(
        Trunk, on_delete=models.CASCADE, related_name="rotation_requests"
    )
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    job = models.ForeignKey(
        RotationJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["trunk"],
                condition=Q(status="open"),
                name="%(app_label)s_%(class)s_one_open_per_trunk",
            )
        ]

    def __str__(self) -> str:
        return f"Rotation request for {self.trunk}"


class TrunkHealthEvent(models.Model):
    """Something that says a trunk may not carry calls: it went inactive at
    Vobiz, came back, or failed authentication.

    The trunk sync writes status changes; `services.trunk_auth_failure_record`
    writes authentication failures. `selectors.trunk_health` sums them up.
    """

    trunk = models.ForeignKey(
        Trunk, on_delete=models.CASCADE, related_name="health_events"
    )
    kind = models.CharField(max_length=16, choices=HealthEventKind.choices)
    source = models.CharField(max_length=32, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-occurred_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["trunk", "kind", "-occurred_at"],
                name="trunks_health_trunk_kind_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.trunk}: {self.get_kind_display()}"
