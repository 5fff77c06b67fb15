"""Validators of the accounts models and forms."""

from __future__ import annotations

from django.core.validators import RegexValidator

validate_sub_auth_id = RegexValidator(
    r"^SA_[A-Za-z0-9]{6,32}$",
    "A sub-account id looks like SA_ followed by 6–32 letters or digits.",
    code="invalid_auth_id",
)
