"""Database constraints every app uses the same way."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def one_of_choices(field: str, choices: type[models.Choices]) -> models.CheckConstraint:
    """Check in the database that `field` holds one of its `choices`.

    The constraint is named `<app>_<model>_<field>_valid`, so a raw write of a
    state or role the code does not know fails there too.
    """
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": [c.value for c in choices]}),
        name=f"%(app_label)s_%(class)s_{field}_valid",
    )
