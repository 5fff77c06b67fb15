"""Rotation history, key fingerprints, reminders sent and compromise drills."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import SubAccount, User
from core.constraints import one_of_choices
from core.fields import EncryptedTextField
from credentials.choices import (
    DrillState,
    RotationState,
    SecretKind,
    StepKind,
    StepState,
)
from sync.models import ProviderAccount


class RotationRecord(models.Model):
    """One rotation of one secret: what, who, when and how it ended.

    `object_key` names the secret ("subaccount:12", "provider:1", "channel:3"), so
    the history survives the row it was about. The inventory reads the newest
    finished record of each key for "last rotated" and "by whom".
    """

    kind = models.CharField(max_length=24, choices=SecretKind.choices)
    object_key = models.CharField(max_length=64)
    object_label = models.CharField(max_length=200, blank=True)
    provider_account = models.ForeignKey(
        ProviderAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        max_length=16, choices=RotationState.choices, default=RotationState.STARTED
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # A secret the portal chooses before asking Vobiz (the console password) is
    # kept here, encrypted, until Vobiz has taken it: a lost answer loses nothing.
    pending_secret = EncryptedTextField(blank=True)
    drill = models.ForeignKey(
        "Drill",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rotations",
    )

    class Meta:
        ordering: ClassVar = ["-started_at", "-id"]
        indexes: ClassVar = [
            models.Index(
                fields=["object_key", "state", "-finished_at"],
                name="credentials_rotation_key_idx",
            )
        ]
        constraints: ClassVar = [one_of_choices("state", RotationState)]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.object_label}: {self.state}"


class EncryptionKey(models.Model):
    """A field-encryption key the portal has seen configured, known by fingerprint.

    The key itself is never stored; its first sighting dates its age.
    """

    fingerprint = models.CharField(max_length=16, unique=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    # When it became the first key of FIELD_ENCRYPTION_KEYS (the one that encrypts).
    primary_since = models.DateTimeField(null=True, blank=True)
    # When it was no longer configured.
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["first_seen_at", "id"]

    def __str__(self) -> str:
        return self.fingerprint


class SecretReminder(models.Model):
    """A rotation reminder sent for one secret at one milestone of one due date.

    Sent once, ever: a rotation moves the due date and starts new milestones.
    """

    object_key = models.CharField(max_length=64)
    milestone = models.CharField(max_length=32)
    due_on = models.DateField()
    recipients = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-sent_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["object_key", "due_on", "milestone"],
                name="%(app_label)s_%(class)s_once_per_milestone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.object_key} {self.milestone}"


class Drill(models.Model):
    """A compromise drill for one sub-account: every secret of it rotated, step by
    step, each step kept so an interrupted drill resumes where it stopped."""

    sub_account = models.ForeignKey(
        SubAccount, on_delete=models.CASCADE, related_name="+"
    )
    sub_account_label = models.CharField(max_length=100)
    started_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    disable_at_vobiz = models.BooleanField(default=False)
    state = models.CharField(
        max_length=16, choices=DrillState.choices, default=DrillState.RUNNING
    )
    # A short claim so two clicks on "Resume" never run the same step twice.
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        constraints: ClassVar = [one_of_choices("state", DrillState)]

    def __str__(self) -> str:
        return f"Drill for {self.sub_account_label} ({self.get_state_display()})"

    def get_absolute_url(self) -> str:
        return reverse(
            "credentials:subaccount_drill_detail", args=[self.sub_account_id, self.pk]
        )

    @property
    def is_finished(self) -> bool:
        return self.state == DrillState.DONE


class DrillStep(models.Model):
    """One step of a drill; `done` and `skipped` steps are never run again."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=StepKind.choices)
    label = models.CharField(max_length=200)
    trunk = models.ForeignKey(
        "trunks.Trunk",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        max_length=16, choices=StepState.choices, default=StepState.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # The trunk app's RotationJob this step started (by id: that app owns it).
    rotation_job_id = models.PositiveIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["drill", "position"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["drill", "position"],
                name="%(app_label)s_%(class)s_unique_position",
            ),
            one_of_choices("state", StepState),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.label} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in (StepState.DONE, StepState.SKIPPED)
