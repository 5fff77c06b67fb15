"""The API call log, sync state, alert rules and alerts, channels and deliveries."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import SubAccount, User
from core.constraints import one_of_choices
from core.fields import EncryptedTextField
from monitoring.choices import (
    RULE_HELP,
    AlertState,
    ChannelKind,
    DeliveryEvent,
    DeliveryStatus,
    RuleHelp,
    RuleKind,
    Severity,
)
from sync.models import ProviderAccount


class AlertRule(models.Model):
    """A condition the portal watches, with its thresholds, window and cool-down.

    A rule without a sub-account watches every sub-account (or the whole account);
    with one, only that sub-account. What `threshold` and `min_count` mean
    depends on the kind (see `choices.RULE_HELP`).
    """

    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    name = models.CharField(max_length=120)
    sub_account = models.ForeignKey(
        SubAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alert_rules",
    )
    threshold = models.DecimalField(
        max_digits=14, decimal_places=4, null=True, blank=True
    )
    min_count = models.PositiveIntegerField(default=0)
    window_minutes = models.PositiveIntegerField(default=15)
    cooldown_minutes = models.PositiveIntegerField(default=60)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["kind", "sub_account__name", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(sub_account__isnull=True),
                name="%(app_label)s_%(class)s_unique_global",
            ),
            models.UniqueConstraint(
                fields=["kind", "sub_account"],
                name="%(app_label)s_%(class)s_unique_team",
            ),
            models.CheckConstraint(
                condition=Q(window_minutes__gte=1) & Q(window_minutes__lte=10080),
                name="%(app_label)s_%(class)s_window_range",
            ),
            models.CheckConstraint(
                condition=Q(cooldown_minutes__lte=10080),
                name="%(app_label)s_%(class)s_cooldown_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("monitoring:rule_edit", args=[self.pk])

    @property
    def help(self) -> RuleHelp:
        return RULE_HELP[self.kind]


class AlertQuerySet(models.QuerySet["Alert"]):
    """Queries over alerts."""

    def visible_to(self, user: User | AnonymousUser) -> AlertQuerySet:
        """Keep every alert for admin and finance, none for anyone else."""
        if not getattr(user, "sees_all_teams", False):
            return self.none()
        return self.all()


class Alert(models.Model):
    """One episode of a rule's condition being true for one subject.

    `dedup_key` names the rule and subject; at most one alert per key is firing
    at a time (a partial unique constraint), and a new episode of a key waits for
    the rule's cool-down after the previous one resolved.
    """

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, choices=RuleKind.choices)
    dedup_key = models.CharField(max_length=200)
    state = models.CharField(
        max_length=16, choices=AlertState.choices, default=AlertState.FIRING
    )
    severity = models.CharField(
        max_length=16, choices=Severity.choices, default=Severity.WARNING
    )
    subject = models.CharField(max_length=200)
    message = models.CharField(max_length=500)
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
    value = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    fired_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-fired_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["dedup_key"],
                condition=Q(state="firing"),
                name="%(app_label)s_%(class)s_one_firing",
            ),
            one_of_choices("state", AlertState),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["dedup_key", "-resolved_at"], name="monitoring_alert_key"
            ),
            models.Index(fields=["state", "-fired_at"], name="monitoring_alert_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("monitoring:alert_detail", args=[self.pk])

    @property
    def is_firing(self) -> bool:
        return self.state == AlertState.FIRING


class NotificationChannel(models.Model):
    """Where alerts are sent besides the portal: an e-mail list or a webhook.

    A webhook's signing secret is stored encrypted and shown once, on creation.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=16, choices=ChannelKind.choices)
    enabled = models.BooleanField(default=True)
    email_to = models.CharField("recipients", max_length=1000, blank=True)
    # Webhook URLs often carry a token in the path (Slack's do), so the URL is
    # encrypted too and pages show only `url_display` (scheme and host).
    url = EncryptedTextField("webhook URL", blank=True)
    url_display = models.CharField(max_length=300, blank=True)
    secret = EncryptedTextField(blank=True)
    # After a rotation the old secret keeps signing, in a second header, until
    # `previous_secret_expires_at`: receivers switch over without losing alerts.
    previous_secret = EncryptedTextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [one_of_choices("kind", ChannelKind)]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("monitoring:channel_edit", args=[self.pk])

    @property
    def recipients(self) -> list[str]:
        return [a.strip() for a in self.email_to.split(",") if a.strip()]

    @property
    def target(self) -> str:
        """Say where the channel sends, for lists (never the secret)."""
        return self.url_display if self.kind == ChannelKind.WEBHOOK else self.email_to

    def previous_secret_active(self, now: dt.datetime) -> bool:
        """Say whether the secret replaced by the last rotation still signs."""
        expires = self.previous_secret_expires_at
        return bool(self.previous_secret) and expires is not None and expires > now


class Delivery(models.Model):
    """One alert event sent (or being sent) to one channel, with every attempt.

    `attempt_log` keeps one entry per attempt: when, how long, the HTTP status
    or the error. Failed attempts are retried with backoff until `MAX_ATTEMPTS`.
    """

    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.CASCADE, related_name="deliveries"
    )
    alert = models.ForeignKey(
        Alert,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="deliveries",
    )
    event = models.CharField(max_length=16, choices=DeliveryEvent.choices)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    attempt_log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes: ClassVar = [
            models.Index(
                fields=["status", "next_attempt_at"], name="monitoring_delivery_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.channel_id}: {self.status}"


class NotificationQuerySet(models.QuerySet["Notification"]):
    """Queries over in-portal notifications."""

    def for_user(self, user: User | AnonymousUser) -> NotificationQuerySet:
        """Keep the notifications addressed to this user."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(user_id=user.pk)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An alert or notice shown to one user in the portal, until they mark it read."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notifications"
    )
    # An alert's notification links to it; other notices (reminders, "your
    # numbers are ready") carry their own title, text and link.
    alert = models.ForeignKey(
        Alert,
        on_delete=models.CASCADE,
        related_name="notifications",
        null=True,
        blank=True,
    )
    title = models.CharField(max_length=200, blank=True)
    body = models.CharField(max_length=1000, blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "alert"], name="%(app_label)s_%(class)s_unique"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=["user", "read_at"], name="monitoring_notif_unread"),
            models.Index(fields=["user", "-created_at"], name="monitoring_notif_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.alert_id}"


class SyntheticCheck(models.Model):
    """One synthetic test call: did it connect fast, leave a CDR and get billed.

    `steps` records what each stage saw, for the check's detail row.
    """

    provider_account = models.ForeignKey(
        ProviderAccount, on_delete=models.CASCADE, related_name="+"
    )
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    call_uuid = models.CharField(max_length=64, blank=True)
    from_number = models.CharField(max_length=32)
    to_number = models.CharField(max_length=32)
    api_ms = models.FloatField(null=True, blank=True)
    pdd_seconds = models.FloatField(null=True, blank=True)
    cdr_found = models.BooleanField(default=False)
    answered = models.BooleanField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=5, null=True, blank=True)
    debited = models.BooleanField(null=True, blank=True)
    mos = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    steps = models.JSONField(default=list, blank=True)

    class Meta:
        ordering: ClassVar = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"
