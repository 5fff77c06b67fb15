"""SIP trunks, their credentials (password auth) and IP whitelist entries."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.urls import reverse

from accounts.models import ProviderAccount, SubAccount, User
from portal.fields import EncryptedTextField
from trunks.choices import Transport, TrunkDirection, TrunkStatus


class TeamOwnedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """Rows that belong to a sub-account; scoped like the sub-account itself."""

    def visible_to(self, user: User | AnonymousUser) -> TeamOwnedQuerySet:
        """Keep rows of sub-accounts the user may see (admin and finance: all)."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_teams:
            return self.all()
        return self.filter(sub_account__memberships__user=user).distinct()

    def present(self) -> TeamOwnedQuerySet:
        """Keep rows that still exist at Vobiz."""
        return self.filter(removed_at__isnull=True)


class SyncedModel(models.Model):
    """Fields shared by every row mirrored from Vobiz."""

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.PROTECT, related_name="+"
    )
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The owning Vobiz account as Vobiz reports it (MA_… or SA_…).
    account_auth_id = models.CharField(max_length=40, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    remote_updated_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    # Set when a sync no longer finds the row at Vobiz; history is kept.
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TeamOwnedQuerySet.as_manager()

    class Meta:
        abstract = True


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


class IpAclEntry(SyncedModel):
    """An IPv4 address or CIDR allowed to send traffic (IP-whitelist auth)."""

    remote_id = models.CharField(max_length=64, unique=True)
    ip_address = models.CharField(max_length=18)
    description = models.CharField(max_length=255, blank=True)
    enabled = models.BooleanField(default=True)

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
