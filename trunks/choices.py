"""Choices for trunks."""

from django.db import models


class TrunkDirection(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    BOTH = "both", "Both"


class TrunkStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"


class Transport(models.TextChoices):
    UDP = "udp", "UDP"
    TCP = "tcp", "TCP"
    TLS = "tls", "TLS"


class AuthType(models.TextChoices):
    """How a trunk's SIP traffic is authenticated at Vobiz."""

    IP = "ip", "IP whitelist"
    PASSWORD = "password", "Password"
    BOTH = "both", "IP whitelist and password"


class RotationState(models.TextChoices):
    """Where a password rotation stands; each step is kept once it succeeded."""

    CREATED = "created", "Started"
    CREDENTIAL_CREATED = "credential_created", "New credential created at Vobiz"
    ATTACHED = "attached", "New credential attached to the trunk"
    OLD_REMOVED = "old_removed", "Old credential removed"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class RotationReason(models.TextChoices):
    """Why a password was rotated."""

    SCHEDULED = "scheduled", "Scheduled rotation"
    REQUESTED = "requested", "Requested by the team"
    COMPROMISED = "compromised", "Suspected compromise"
    ADDED = "added", "Password authentication added"


class RequestStatus(models.TextChoices):
    """A team's request for a rotation."""

    OPEN = "open", "Open"
    DONE = "done", "Rotated"
    CANCELLED = "cancelled", "Withdrawn"


class HealthEventKind(models.TextChoices):
    """Something the portal noticed about a trunk's health."""

    WENT_INACTIVE = "went_inactive", "Went inactive at Vobiz"
    ACTIVE_AGAIN = "active_again", "Active again"
    AUTH_FAILURE = "auth_failure", "Authentication failure"
