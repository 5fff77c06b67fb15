"""Validators shared by the accounts models and forms."""

from __future__ import annotations

from django.core.validators import RegexValidator

# Letters, digits, spaces and a few separators: safe in every place a name shows up
# (HTML, CSV, e-mail subjects, Vobiz's console).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._()&'-]*$"

validate_name = RegexValidator(
    NAME_PATTERN,
    "Use letters, digits, spaces and . _ - ( ) & ' only, starting with a letter "
    "or digit.",
    code="invalid_name",
)
validate_master_auth_id = RegexValidator(
    r"^MA_[A-Z0-9]{6,32}$",
    "A master account id looks like MA_ followed by 6–32 capital letters or digits.",
    code="invalid_auth_id",
)
validate_sub_auth_id = RegexValidator(
    r"^SA_[A-Za-z0-9]{6,32}$",
    "A sub-account id looks like SA_ followed by 6–32 letters or digits.",
    code="invalid_auth_id",
)
