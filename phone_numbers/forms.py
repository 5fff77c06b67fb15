"""Forms for number requests, approvals, routing and release. They only validate."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import SubAccount
from phone_numbers.choices import DLT_SERIES, NumberSeries, series_digits
from phone_numbers.models import NumberRequest, PhoneNumber
from phone_numbers.validators import (
    country_code_for,
    national_digits,
    parse_e164,
    region_of,
    validate_country_prefix,
    validate_digits,
    validate_dlt_entity_id,
    validate_dlt_header,
)
from trunks.models import Trunk

COUNTRY_CHOICES = [
    ("IN", "India"),
    ("US", "United States"),
    ("GB", "United Kingdom"),
    ("SG", "Singapore"),
    ("AE", "United Arab Emirates"),
]
MAX_QUANTITY = 50
# Series are Indian; a request for another country picks this one.
NO_SERIES = "none"
MAX_PREFIX = 8
DLT_FIELDS = ("dlt_entity_id", "dlt_header", "dlt_purpose")


def series_of(e164: str) -> str:
    """Return the Indian series of a number (as PhoneNumber.series does)."""
    return PhoneNumber(e164=e164).series


class NumberRequestForm(forms.Form):
    """A team lead asks for numbers for one of their sub-accounts."""

    sub_account = forms.ModelChoiceField(
        queryset=SubAccount.objects.none(), label="Sub-account", empty_label=None
    )
    country = forms.ChoiceField(choices=COUNTRY_CHOICES, initial="IN")
    series = forms.ChoiceField(
        choices=[*NumberSeries.choices, (NO_SERIES, "None — numbers outside India")],
        initial=NumberSeries.S80,
        help_text="80/79/22/11 connect best for local calls; 140 is for "
        "promotional and 160 for service calls (both need a DLT registration); "
        "92 needs Aadhaar verification of each number.",
    )
    quantity = forms.IntegerField(
        min_value=1,
        max_value=MAX_QUANTITY,
        initial=1,
        help_text=f"1–{MAX_QUANTITY} numbers. Vobiz suggests 500–600 cold calls a "
        "day per number, so plan one number per 500 calls.",
    )
    # Named like the model field; Django's metaclass takes declared fields off the
    # class, so the form's own `prefix` attribute (None) is untouched.
    prefix = forms.CharField(  # type: ignore[assignment]
        max_length=MAX_PREFIX + 4,
        required=False,
        help_text="Digits the number should start with after the country code, "
        "e.g. 8041 for Bengaluru 80-41…",
    )
    trunk = forms.ModelChoiceField(
        queryset=Trunk.objects.none(),
        required=False,
        empty_label="No trunk yet",
        help_text="Route the new numbers to this trunk once they are bought.",
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the numbers are for; the approving admin reads this.",
    )
    dlt_entity_id = forms.CharField(
        label="DLT principal entity id",
        max_length=19,
        required=False,
        help_text="Required for 140 and 160 numbers: your entity id on the DLT portal.",
    )
    dlt_header = forms.CharField(
        label="DLT header",
        max_length=11,
        required=False,
        help_text="Required for 140 and 160 numbers: the header registered on DLT.",
    )
    dlt_purpose = forms.CharField(
        label="DLT purpose",
        max_length=200,
        required=False,
        help_text="Required for 140 and 160 numbers: the registered purpose, e.g. "
        "“EMI reminders”.",
    )

    def __init__(
        self, *args: Any, sub_accounts: Any, trunks: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts  # type: ignore[attr-defined]
        trunk_field = self.fields["trunk"]
        trunk_field.queryset = trunks  # type: ignore[attr-defined]
        # Trunks of several teams share one list: say whose each one is.
        trunk_field.label_from_instance = (  # type: ignore[attr-defined]
            lambda trunk: f"{trunk.name} ({trunk.sub_account})"
        )

    def clean_series(self) -> str:
        series: str = self.cleaned_data["series"]
        return "" if series == NO_SERIES else series

    def clean_prefix(self) -> str:
        raw = "".join(self.cleaned_data.get("prefix", "").split())
        country = self.data.get("country") or "IN"
        if raw.startswith("+"):
            code = str(country_code_for(country)) if country else ""
            if not code or not raw[1:].startswith(code):
                raise ValidationError(
                    f"Leave out the country code, or start with +{code}."
                )
            raw = raw[1 + len(code) :]
        validate_digits(raw)
        if len(raw) > MAX_PREFIX:
            raise ValidationError(f"Use at most {MAX_PREFIX} digits.")
        return raw

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError("Say what the numbers are for.")
        return reason

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        country, series = cleaned.get("country"), cleaned.get("series", "")
        if country == "IN" and not series and "series" not in self.errors:
            self.add_error("series", "Choose the series of the Indian numbers.")
        if country and country != "IN" and series:
            self.add_error(
                "series", f"Series are Indian; leave it empty for {country} numbers."
            )
        self._clean_prefix_against(cleaned, country, series)
        self._clean_dlt(cleaned, series)
        self._clean_trunk(cleaned)
        return cleaned

    def _clean_prefix_against(
        self, cleaned: dict[str, Any], country: str | None, series: str
    ) -> None:
        prefix = cleaned.get("prefix")
        if not prefix or not country or "prefix" in self.errors:
            return
        digits = series_digits(series) if series else ""
        if digits and not prefix.startswith(digits):
            self.add_error(
                "prefix",
                f"A prefix for the {series} series starts with {digits} "
                f"(e.g. {digits}{'1' if len(digits) < 4 else ''}).",
            )
            return
        try:
            validate_country_prefix(country, prefix)
        except ValidationError as exc:
            self.add_error("prefix", exc)

    def _clean_dlt(self, cleaned: dict[str, Any], series: str) -> None:
        if series not in DLT_SERIES:
            # Only 140/160 numbers carry a DLT registration; drop stray input.
            for name in DLT_FIELDS:
                cleaned[name] = ""
            return
        checks = {
            "dlt_entity_id": validate_dlt_entity_id,
            "dlt_header": validate_dlt_header,
            "dlt_purpose": None,
        }
        for name, check in checks.items():
            value = " ".join(str(cleaned.get(name) or "").split())
            cleaned[name] = value
            if not value:
                if name not in self.errors:
                    self.add_error(
                        name, f"Required for the {series} series (DLT registration)."
                    )
                continue
            if check is not None:
                try:
                    check(value)
                except ValidationError as exc:
                    self.add_error(name, exc)

    def _clean_trunk(self, cleaned: dict[str, Any]) -> None:
        trunk, sub_account = cleaned.get("trunk"), cleaned.get("sub_account")
        if trunk and sub_account and trunk.sub_account_id != sub_account.pk:
            self.add_error("trunk", f"{trunk.name} is not a trunk of {sub_account}.")


class _AnyValuesField(forms.MultipleChoiceField):
    """A list of typed values; the choices come from a live search, not the form."""

    def valid_value(self, value: Any) -> bool:
        return True


class ApproveForm(forms.Form):
    """Approve a request, optionally choosing the exact numbers to buy."""

    numbers = _AnyValuesField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked to let the portal pick matching numbers.",
    )
    comment = forms.CharField(max_length=500, required=False)

    def __init__(
        self, *args: Any, number_request: NumberRequest, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.number_request = number_request

    def clean_numbers(self) -> list[str]:
        wanted = self.number_request
        numbers: list[str] = []
        for raw in self.cleaned_data.get("numbers") or []:
            e164 = parse_e164(str(raw))
            if region_of(e164) != wanted.country:
                raise ValidationError(f"{e164} is not a {wanted.country} number.")
            if wanted.series and series_of(e164) != wanted.series:
                raise ValidationError(
                    f"{e164} is not in the {wanted.series} series this request "
                    "asks for."
                )
            if wanted.prefix and not national_digits(e164).startswith(wanted.prefix):
                raise ValidationError(f"{e164} does not start with {wanted.prefix}.")
            if e164 not in numbers:
                numbers.append(e164)
        if len(numbers) > wanted.quantity:
            raise ValidationError(
                f"Choose at most {wanted.quantity} number"
                f"{'s' if wanted.quantity != 1 else ''}; {len(numbers)} are ticked."
            )
        return numbers

    def clean_comment(self) -> str:
        return " ".join(self.cleaned_data.get("comment", "").split())


class RejectForm(forms.Form):
    """Reject a request; the requester reads the comment."""

    comment = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why not",
        help_text="The requester sees this.",
    )

    def clean_comment(self) -> str:
        comment = " ".join(self.cleaned_data["comment"].split())
        if not comment:
            raise ValidationError("Say why the request is rejected.")
        return comment


class InventorySearchForm(forms.Form):
    """Search Vobiz's inventory by digits (a whole number is checked as one)."""

    q = forms.CharField(max_length=20, required=False, label="Search the inventory")

    def clean_q(self) -> str:
        raw = "".join(self.cleaned_data.get("q", "").split())
        digits = raw.lstrip("+")
        validate_digits(digits)
        if raw.startswith("+") and len(digits) >= 8:
            # A whole number was typed: it must be a real one.
            return parse_e164(raw).lstrip("+")
        return digits


class AssignTrunkForm(forms.Form):
    """Route a number to one of its sub-account's trunks, or remove the routing."""

    trunk = forms.ModelChoiceField(
        queryset=Trunk.objects.none(),
        required=False,
        empty_label="No trunk (remove the routing)",
    )

    def __init__(self, *args: Any, trunks: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trunk"].queryset = trunks  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    """Move a number to another sub-account, or back to the master account."""

    sub_account = forms.ModelChoiceField(
        queryset=SubAccount.objects.none(),
        required=False,
        label="Move to",
        empty_label="The master account (take it back)",
        help_text="Vobiz lets a number move between sub-accounts once every 15 days; "
        "its trunk routing is removed.",
    )

    def __init__(self, *args: Any, sub_accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts  # type: ignore[attr-defined]


class ReleaseForm(forms.Form):
    """Release a number for a fee, after saying why and confirming."""

    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit log.",
    )
    confirm = forms.BooleanField(
        label="I understand the fee is charged and calls to this number stop."
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise ValidationError("Say why the number is released.")
        return reason
