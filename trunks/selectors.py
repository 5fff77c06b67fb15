"""Reads for trunks, whitelists, credentials and rotations, always scoped.

Admins see every trunk and manage them; team members see their own teams'
trunks and read them. Finance has no business with trunks (docs/ux.md): 403.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.choices import MembershipRole
from accounts.models import AuditEvent, Membership, SubAccount, User, require_admin
from core.rotation import Age, age_of
from trunks.choices import HealthEventKind, RequestStatus, TrunkStatus
from trunks.filters import TrunkFilter
from trunks.models import (
    IpAclEntry,
    RotationJob,
    RotationRequest,
    Trunk,
    TrunkCredential,
    TrunkHealthEvent,
)

AnyUser = User | AnonymousUser

# "Repeated" authentication failures: this many within this window.
AUTH_FAILURE_THRESHOLD = 3
AUTH_FAILURE_WINDOW = dt.timedelta(minutes=15)


def require_trunk_reader(user: AnyUser) -> None:
    """Raise PermissionDenied for finance users, who do not work with trunks."""
    if getattr(user, "is_finance", False) and not getattr(user, "is_admin", False):
        raise PermissionDenied


def _annotated(queryset: QuerySet[Trunk], now: dt.datetime) -> QuerySet[Trunk]:
    entries = IpAclEntry.objects.filter(trunk=OuterRef("pk"), removed_at__isnull=True)
    failures = (
        TrunkHealthEvent.objects.filter(
            trunk=OuterRef("pk"),
            kind=HealthEventKind.AUTH_FAILURE,
            occurred_at__gte=now - AUTH_FAILURE_WINDOW,
        )
        .order_by()
        .values("trunk")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.annotate(
        has_ip=ExpressionWrapper(
            Q(Exists(entries)) | ~Q(ipacl_remote_id=""), output_field=BooleanField()
        ),
        has_password=ExpressionWrapper(
            Q(credential__isnull=False) | ~Q(credential_remote_id=""),
            output_field=BooleanField(),
        ),
        recent_auth_failures=Coalesce(
            Subquery(failures, output_field=IntegerField()), Value(0)
        ),
    )


def trunk_queryset(*, user: AnyUser) -> QuerySet[Trunk]:
    """Return the trunks the user may see, annotated for lists and badges."""
    require_trunk_reader(user)
    queryset = Trunk.objects.visible_to(user).select_related(
        "sub_account", "credential"
    )
    return _annotated(queryset, timezone.now())


def team_choices(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts the user may filter the trunk list by."""
    return SubAccount.objects.visible_to(user).filter(removed_at__isnull=True)


def trunk_list(
    *, user: AnyUser, filters: QueryDict | dict[str, Any] | None = None
) -> TrunkFilter:
    """Return the filter over the trunks the user may see, sub-account first."""
    queryset = trunk_queryset(user=user).order_by("sub_account__name", "name", "pk")
    return TrunkFilter(
        filters or None, queryset=queryset, sub_accounts=team_choices(user=user)
    )


def trunk_get(*, user: AnyUser, trunk_id: int) -> Trunk:
    """Return one trunk the user may see, or raise 404 (403 for finance)."""
    return get_object_or_404(trunk_queryset(user=user), pk=trunk_id)


def manageable_teams(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts an admin can create trunks in through the portal.

    They must exist at Vobiz, not be deleted, and the portal must hold their
    auth token (Vobiz only lets a sub-account manage its own trunks).
    """
    require_admin(user)
    return (
        SubAccount.objects.filter(auth_id__isnull=False, removed_at__isnull=True)
        .exclude(auth_token="")
        .select_related("provider_account")
        .order_by("name")
    )


def trunk_whitelist(*, trunk: Trunk) -> QuerySet[IpAclEntry]:
    """Return the whitelist entries shown on a trunk's page."""
    return IpAclEntry.objects.present().filter(trunk=trunk).order_by("ip_address")


def whitelist_entry_get(*, trunk: Trunk, entry_id: int) -> IpAclEntry:
    """Return one present whitelist entry of a trunk, or raise 404."""
    return get_object_or_404(trunk_whitelist(trunk=trunk), pk=entry_id)


def credential_age(
    credential: TrunkCredential, *, now: dt.datetime | None = None
) -> Age:
    """Return the age and due date of a credential's password (core.rotation)."""
    return age_of("trunk_password", credential.age_base, now=now)


def trunk_credential_age(trunk: Trunk) -> Age | None:
    """Return the age of the trunk's password, or None without password auth."""
    credential = trunk.credential
    if credential is None or credential.removed_at:
        return None
    return credential_age(credential)


def credential_usernames(*, trunk: Trunk) -> list[str]:
    """Return the SIP usernames already used in the trunk's account."""
    return list(
        TrunkCredential.objects.present()
        .filter(
            provider_account_id=trunk.provider_account_id,
            account_auth_id=trunk.account_auth_id,
        )
        .values_list("username", flat=True)
    )


def open_rotation(*, trunk: Trunk) -> RotationJob | None:
    """Return the trunk's unfinished rotation, if any."""
    return (
        RotationJob.objects.filter(trunk=trunk)
        .exclude(state__in=["done", "cancelled"])
        .first()
    )


def recent_rotations(*, trunk: Trunk, limit: int = 5) -> list[RotationJob]:
    """Return the trunk's latest rotations, newest first."""
    jobs = RotationJob.objects.filter(trunk=trunk).select_related("started_by")
    return list(jobs[:limit])


def open_request(*, trunk: Trunk) -> RotationRequest | None:
    """Return the trunk's open rotation request, if a lead asked for one."""
    return (
        RotationRequest.objects.filter(trunk=trunk, status=RequestStatus.OPEN)
        .select_related("requested_by")
        .first()
    )


def user_leads_trunk(*, user: AnyUser, trunk: Trunk) -> bool:
    """Say whether the user is a lead of the trunk's sub-account."""
    if not getattr(user, "is_authenticated", False) or trunk.sub_account_id is None:
        return False
    return Membership.objects.filter(
        user_id=user.pk or 0,
        sub_account_id=trunk.sub_account_id,
        role=MembershipRole.LEAD,
    ).exists()


def rotation_job_get(*, user: AnyUser, trunk_id: int, job_id: int) -> RotationJob:
    """Return one rotation of a trunk the user may see (404), for admins (403)."""
    trunk = trunk_get(user=user, trunk_id=trunk_id)
    require_admin(user)
    return get_object_or_404(
        RotationJob.objects.select_related(
            "trunk", "trunk__sub_account", "old_credential", "new_credential"
        ).filter(trunk=trunk),
        pk=job_id,
    )


def reminder_recipients(*, trunk: Trunk) -> list[User]:
    """Return who hears about a trunk's password: its team's leads and admins."""
    leads = Q(
        memberships__sub_account_id=trunk.sub_account_id,
        memberships__role=MembershipRole.LEAD,
    )
    admins = Q(role="admin")
    users = User.objects.filter(is_active=True).filter(
        (leads | admins) if trunk.sub_account_id else admins
    )
    return list(users.distinct().order_by("pk"))


def admins() -> list[User]:
    """Return every active admin."""
    return list(User.objects.filter(is_active=True, role="admin").order_by("pk"))


@dataclass(frozen=True)
class TrunkHealth:
    """What the portal knows about whether a trunk can carry calls.

    `state` is one of active, inactive, auth_failing, disabled, removed.
    """

    state: str
    label: str
    tone: str
    since: dt.datetime | None
    recent_auth_failures: int
    last_event: TrunkHealthEvent | None

    @property
    def is_down(self) -> bool:
        return self.state in ("inactive", "auth_failing")


def _went_inactive_at(trunk: Trunk) -> dt.datetime | None:
    event = (
        TrunkHealthEvent.objects.filter(trunk=trunk, kind=HealthEventKind.WENT_INACTIVE)
        .values_list("occurred_at", flat=True)
        .first()
    )
    if event:
        return event
    audit = AuditEvent.objects.filter(
        action="trunk.went_inactive",
        object_type="trunks.trunk",
        object_id=str(trunk.pk),
    ).values_list("created_at", flat=True)
    return audit.first()


def trunk_state(trunk: Trunk, failures: int | None = None) -> tuple[str, str, str]:
    """Return (state, label, tone) from the trunk's own fields; no queries.

    Without `failures`, uses the `recent_auth_failures` annotation of
    `trunk_queryset` (0 when absent).
    """
    if failures is None:
        failures = getattr(trunk, "recent_auth_failures", 0) or 0
    if trunk.removed_at:
        return "removed", "Deleted", "grey"
    if not trunk.enabled:
        return "disabled", "Disabled", "grey"
    if trunk.status != TrunkStatus.ACTIVE:
        return "inactive", "Inactive", "red"
    if failures >= AUTH_FAILURE_THRESHOLD:
        return "auth_failing", "Auth failures", "red"
    return "active", "Active", "green"


def trunk_health(trunk: Trunk, *, now: dt.datetime | None = None) -> TrunkHealth:
    """Sum up a trunk's health for pages and the alerts engine.

    Inactive at Vobiz (the sync records when), or at least
    AUTH_FAILURE_THRESHOLD authentication failures within AUTH_FAILURE_WINDOW,
    count as down. Disabled and deleted trunks are not down, just off.
    """
    now = now or timezone.now()
    failures = TrunkHealthEvent.objects.filter(
        trunk=trunk,
        kind=HealthEventKind.AUTH_FAILURE,
        occurred_at__gte=now - AUTH_FAILURE_WINDOW,
    ).count()
    last = TrunkHealthEvent.objects.filter(trunk=trunk).first()
    state, label, tone = trunk_state(trunk, failures)
    since: dt.datetime | None = None
    if state == "removed":
        since = trunk.removed_at
    elif state == "inactive":
        since = _went_inactive_at(trunk)
    elif state == "auth_failing" and last is not None:
        since = last.occurred_at
    return TrunkHealth(state, label, tone, since, failures, last)


def credentials_due(*, user: AnyUser, within_days: int = 14) -> list[tuple[Trunk, Age]]:
    """Return the user's trunks whose password is due within `within_days`."""
    trunks = trunk_queryset(user=user).filter(
        removed_at__isnull=True, credential__removed_at__isnull=True
    )
    due = []
    for trunk in trunks.exclude(credential=None):
        age = trunk_credential_age(trunk)
        if age is not None and age.days_left <= within_days:
            due.append((trunk, age))
    return sorted(due, key=lambda pair: pair[1].days_left)


def credential_list_for_reminders() -> QuerySet[TrunkCredential]:
    """Return the credentials in use on a present trunk (they get reminders)."""
    return (
        TrunkCredential.objects.present()
        .filter(trunks__removed_at__isnull=True, trunks__isnull=False)
        .distinct()
        .order_by("pk")
    )
