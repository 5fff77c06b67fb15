"""Users, the Vobiz accounts they work on, their team memberships, and the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.choices import GlobalRole, MembershipRole, SubAccountKind
from accounts.validators import validate_sub_auth_id
from core.constraints import one_of_choices
from core.fields import EncryptedTextField
from core.validators import validate_name
from sync.models import ProviderAccount

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


class UserManager(BaseUserManager["User"]):
    """Create users that log in by e-mail."""

    use_in_migrations = True

    def create_user(
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        """Create a user; without a password the account cannot log in yet."""
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        """Look e-mail addresses up case-insensitively."""
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser):
    """A person who logs in to the portal, by e-mail.

    `role` is the company-wide role (admin, finance or none); what a user without a
    global role sees comes from their memberships in sub-accounts.
    """

    email = models.EmailField("e-mail", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, validators=[validate_name])
    role = models.CharField(
        max_length=16, choices=GlobalRole.choices, blank=True, default=GlobalRole.NONE
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    objects = UserManager()

    class Meta:
        ordering: ClassVar = ["full_name", "email"]
        constraints: ClassVar = [one_of_choices("role", GlobalRole)]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.pk])

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role == GlobalRole.ADMIN

    @property
    def is_finance(self) -> bool:
        return self.is_active and self.role == GlobalRole.FINANCE

    @property
    def sees_all_teams(self) -> bool:
        """Admins and finance see every sub-account; others only their own."""
        return self.is_admin or self.is_finance


def require_admin(user: User | AnonymousUser) -> None:
    """Raise PermissionDenied (403) unless the user is an admin."""
    if not getattr(user, "is_admin", False):
        raise PermissionDenied


def require_admin_or_finance(user: User | AnonymousUser) -> None:
    """Raise PermissionDenied (403) unless the user is an admin or in finance."""
    if not getattr(user, "sees_all_teams", False):
        raise PermissionDenied


class SubAccountQuerySet(models.QuerySet["SubAccount"]):
    """Queries over sub-accounts."""

    def visible_to(self, user: User | AnonymousUser) -> SubAccountQuerySet:
        """Keep the sub-accounts this user may see: all for admin and finance."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.sees_all_teams:
            return self.all()
        return self.filter(memberships__user=user).distinct()

    def led_by(self, user: User | AnonymousUser) -> SubAccountQuerySet:
        """Keep the sub-accounts this user leads."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(
            memberships__user=user, memberships__role=MembershipRole.LEAD
        ).distinct()


class SubAccount(models.Model):
    """A Vobiz sub-account (`SA_`): one team, application, environment or partner.

    Numbers, trunks and call records belong to a sub-account; memberships decide who
    sees it. `auth_id` is empty until Vobiz has created it.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.PROTECT, related_name="sub_accounts"
    )
    auth_id = models.CharField(
        "auth id",
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_sub_auth_id],
    )
    remote_id = models.CharField(max_length=40, blank=True)
    auth_token = EncryptedTextField(blank=True)
    name = models.CharField(max_length=100, validators=[validate_name])
    description = models.CharField(max_length=500, blank=True)
    kind = models.CharField(
        max_length=16, choices=SubAccountKind.choices, default=SubAccountKind.TEAM
    )
    enabled = models.BooleanField(default=True)
    rate_limit = models.PositiveIntegerField(
        default=1000,
        validators=[MinValueValidator(1), MaxValueValidator(100_000)],
        help_text="API requests per period that Vobiz allows this sub-account.",
    )
    permit_calls = models.BooleanField("may place calls", default=True)
    permit_cdr = models.BooleanField("may read call records", default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Set when a sync no longer finds the sub-account at Vobiz; history is kept.
    removed_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubAccountQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["provider_account", "name"],
                name="%(app_label)s_%(class)s_unique_name",
            ),
            models.CheckConstraint(
                condition=Q(rate_limit__gte=1) & Q(rate_limit__lte=100_000),
                name="%(app_label)s_%(class)s_rate_limit_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:subaccount_detail", args=[self.pk])


class MembershipQuerySet(models.QuerySet["Membership"]):
    """Queries over memberships."""

    def visible_to(self, user: User | AnonymousUser) -> MembershipQuerySet:
        """Keep memberships of sub-accounts the user may see."""
        return self.filter(sub_account__in=SubAccount.objects.visible_to(user))


class Membership(models.Model):
    """A user's place in a sub-account: lead (may request) or viewer (reads)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=MembershipRole.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["sub_account__name", "user__full_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "sub_account"], name="%(app_label)s_%(class)s_unique"
            ),
            one_of_choices("role", MembershipRole),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} of {self.sub_account}"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Queries over audit events; rows are append-only."""

    def visible_to(self, user: User | AnonymousUser) -> AuditEventQuerySet:
        """Keep every event for admin and finance, nothing for anyone else."""
        if not getattr(user, "sees_all_teams", False):
            return self.none()
        return self.all()

    def update(self, **kwargs: Any) -> int:
        raise PermissionDenied("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One change made in (or noticed by) the portal: who, when, where, before/after.

    Written only by services, never edited or deleted. Secrets in `before` and
    `after` are masked. Actor and sub-account are kept by id without a database
    constraint, plus a label, so the history outlives the rows it mentions.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        User,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    sub_account = models.ForeignKey(
        SubAccount,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    sub_account_label = models.CharField(max_length=100, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["sub_account", "-created_at"],
                name="accounts_audit_sa_time_idx",
            ),
            models.Index(
                fields=["actor", "-created_at"], name="accounts_audit_actor_time_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise PermissionDenied("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionDenied("Audit events cannot be deleted.")

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        """List (field, before, after) for every field that differs."""
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [
            (k, before.get(k), after.get(k))
            for k in keys
            if before.get(k) != after.get(k)
        ]
