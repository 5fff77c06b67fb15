"""Choices for the credentials app."""

from django.db import models


class SecretKind(models.TextChoices):
    """A kind of secret the portal holds or depends on."""

    MASTER_TOKEN = "master_token", "Master auth token"
    SUBACCOUNT_TOKEN = "subaccount_token", "Sub-account auth token"
    CONSOLE_PASSWORD = "console_password", "Console password"
    REFRESH_TOKEN = "refresh_token", "Console refresh token"
    TRUNK_PASSWORD = "trunk_password", "SIP trunk password"
    WEBHOOK_SECRET = "webhook_secret", "Webhook signing secret"
    ENCRYPTION_KEY = "encryption_key", "Field-encryption key"


class SecretStatus(models.TextChoices):
    """Where a secret stands against its rotation policy."""

    OK = "ok", "OK"
    DUE = "due", "Due soon"
    OVERDUE = "overdue", "Overdue"
    EXPIRED = "expired", "Expired"
    NOT_HELD = "not_held", "Not held"


class RotationState(models.TextChoices):
    """How one rotation ended (or that it has not yet)."""

    STARTED = "started", "Started"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DrillState(models.TextChoices):
    """Where a compromise drill stands."""

    RUNNING = "running", "Running"
    STOPPED = "stopped", "Stopped at a failed step"
    DONE = "done", "Done"


class StepKind(models.TextChoices):
    """One thing a compromise drill does."""

    AUTH_TOKEN = "auth_token", "Rotate the sub-account's auth token"
    TRUNK_PASSWORD = "trunk_password", "Rotate a SIP trunk password"
    DISABLE = "disable", "Disable the sub-account at Vobiz"


class StepState(models.TextChoices):
    """Where one drill step stands; a done step is never run again."""

    PENDING = "pending", "Not run yet"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Nothing to do"
