"""Validators every app uses the same way."""

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
