"""Abstract models and querysets the domain apps share.

Foreign keys name their models as text: the kernel imports no app.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class TeamOwnedQuerySet(models.QuerySet):  # type: ignore[type-arg]
    """Rows that belong to a sub-account; scoped like the sub-account itself."""

    def visible_to(self, user: Any) -> TeamOwnedQuerySet:
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
        "sync.ProviderAccount", on_delete=models.PROTECT, related_name="+"
    )
    sub_account = models.ForeignKey(
        "accounts.SubAccount",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
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
