"""Choices for the accounts app."""

from django.db import models


class GlobalRole(models.TextChoices):
    """A user's company-wide role; most users have none and work through teams."""

    NONE = "", "Member"
    ADMIN = "admin", "Admin"
    FINANCE = "finance", "Finance"


class MembershipRole(models.TextChoices):
    """A user's role inside one sub-account."""

    LEAD = "lead", "Team lead"
    VIEWER = "viewer", "Viewer"


class SubAccountKind(models.TextChoices):
    """What a sub-account stands for in the company."""

    TEAM = "team", "Team"
    APPLICATION = "application", "Application"
    ENVIRONMENT = "environment", "Environment"
    PARTNER = "partner", "Partner"
