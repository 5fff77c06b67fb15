"""Validators for typed numbers, prefixes and DLT registration fields."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

# TRAI DLT principal entity ids are long digit strings (19 digits on the
# operators' portals; older registrations are shorter).
validate_dlt_entity_id = RegexValidator(
    r"^[0-9]{12,19}$",
    "A DLT principal entity id is 12–19 digits, as the DLT portal shows it.",
    code="invalid_dlt_entity_id",
)
validate_dlt_header = RegexValidator(
    r"^[A-Za-z0-9]{3,11}$",
    "A DLT header is 3–11 letters or digits, exactly as registered.",
    code="invalid_dlt_header",
)
validate_digits = RegexValidator(
    r"^[0-9]*$", "Use digits only, without spaces or +.", code="digits_only"
)

_SEPARATORS = re.compile(r"[\s().-]")


def parse_e164(raw: str, *, region: str | None = None) -> str:
    """Return a typed phone number in E.164, or raise ValidationError.

    Vobiz's pools hold numbers that libphonenumber does not list as assigned yet
    (new 22/11 blocks), so a number must be *possible* for its country, not
    necessarily known to be in use.
    """
    text = _SEPARATORS.sub("", raw or "")
    if not text:
        raise ValidationError("Enter a phone number.", code="required")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            f"“{raw}” is not a phone number; write it as +91 80 1234 5678.",
            code="invalid_number",
        ) from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValidationError(
            f"“{raw}” has the wrong number of digits for its country.",
            code="impossible_number",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str:
    """Return the ISO country of an E.164 number ('' when unknown)."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return phonenumbers.region_code_for_number(parsed) or ""


def national_digits(e164: str) -> str:
    """Return the digits after the country code of an E.164 number."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    return str(parsed.national_number)


def country_code_for(region: str) -> int:
    """Return the calling code of an ISO country (91 for IN)."""
    return int(phonenumbers.country_code_for_region(region.upper()))


def validate_country_prefix(country: str, prefix: str) -> None:
    """Raise ValidationError unless a number of `country` can start with `prefix`."""
    if not prefix:
        return
    sample = phonenumbers.example_number(country.upper())
    full = len(str(sample.national_number)) if sample else 10
    if len(prefix) >= full:
        raise ValidationError(
            f"A prefix must be shorter than a whole number ({full} digits).",
            code="prefix_too_long",
        )
    padded = f"+{country_code_for(country)}{prefix}{'0' * (full - len(prefix))}"
    if not phonenumbers.is_possible_number(phonenumbers.parse(padded, None)):
        raise ValidationError(
            f"No {country.upper()} number starts with {prefix}.",
            code="impossible_prefix",
        )
