"""Forms for the billing pages. They validate and normalise; services write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.http import QueryDict

from billing.filters import DIRECTIONS, CdrCriteria
from core.dates import today_utc

DEFAULT_DAYS = 7
MAX_RANGE_DAYS = 731
# A monthly budget above this is a typo, not a plan.
MAX_BUDGET = Decimal("100000000")

number_chars = RegexValidator(
    r"^\+?[0-9]{1,31}$", "Use digits only, optionally starting with +."
)
cause_chars = RegexValidator(
    r"^[A-Z0-9_]{1,48}$", "Use a Vobiz hangup cause such as NO_ANSWER."
)


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CdrReportForm(forms.Form):
    """The CDR report filter; an empty or missing date means the last 7 days."""

    since = forms.DateField(required=False, label="From", widget=date_input())
    until = forms.DateField(required=False, label="To", widget=date_input())
    sub_account = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, label="Sub-account"
    )
    direction = forms.ChoiceField(
        choices=(("", "Both directions"), *DIRECTIONS), required=False
    )
    from_number = forms.CharField(
        required=False, max_length=32, label="From number", validators=[number_chars]
    )
    to_number = forms.CharField(
        required=False, max_length=32, label="To number", validators=[number_chars]
    )
    hangup_cause = forms.CharField(
        required=False, max_length=48, label="Hangup cause", validators=[cause_chars]
    )
    min_duration = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=86_400,
        label="Min. duration (s)",
        widget=forms.NumberInput(attrs={"min": 0, "max": 86400, "step": 1}),
    )
    trunk = forms.ChoiceField(required=False, label="Trunk")

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None,
        *,
        teams: list[tuple[int, str]],
        trunks: list[tuple[str, str]],
    ) -> None:
        # Always bound: no query string simply means "the defaults".
        values = data.copy() if data is not None else {}
        # Hangup causes are upper-case at Vobiz; accept what people type.
        self._fill_default_dates(values)
        cause = values.get("hangup_cause")
        if isinstance(cause, str):
            values["hangup_cause"] = cause.strip().upper()
        super().__init__(values)
        # Only the user's own teams are choices: another team's id is refused.
        self.fields["sub_account"].choices = [("", "All sub-accounts"), *teams]  # type: ignore[attr-defined]
        self.fields["trunk"].choices = [("", "Any trunk"), *trunks]  # type: ignore[attr-defined]

    @staticmethod
    def _fill_default_dates(values: Any) -> None:
        # Show the dates the report covers in the inputs (and in pushed URLs).
        if not values.get("until"):
            values["until"] = today_utc().isoformat()
        if not values.get("since"):
            try:
                until = dt.date.fromisoformat(str(values["until"]))
            except ValueError:
                return
            values["since"] = (until - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        until = cleaned.get("until") or today_utc()
        since = cleaned.get("since") or until - dt.timedelta(days=DEFAULT_DAYS - 1)
        if since > until:
            self.add_error("until", "The end date is before the start date.")
        elif (until - since).days + 1 > MAX_RANGE_DAYS:
            self.add_error("since", f"Choose a range of at most {MAX_RANGE_DAYS} days.")
        cleaned["since"], cleaned["until"] = since, until
        return cleaned

    def criteria(self) -> CdrCriteria:
        """Return the validated filter (call after `is_valid()` returned True)."""
        data = self.cleaned_data
        return CdrCriteria(
            since=data["since"],
            until=data["until"],
            sub_account_id=data.get("sub_account") or None,
            direction=data.get("direction") or "",
            from_number=data.get("from_number") or "",
            to_number=data.get("to_number") or "",
            hangup_cause=data.get("hangup_cause") or "",
            min_duration=data.get("min_duration") or None,
            trunk=data.get("trunk") or "",
        )


class BudgetForm(forms.Form):
    """Set a sub-account's monthly budget, in the account currency."""

    monthly_amount = forms.DecimalField(
        label="Monthly budget",
        max_digits=12,
        decimal_places=2,
        help_text="Spend on calls this month is compared with it; "
        "50%, 80% and 100% raise a status.",
        widget=forms.NumberInput(attrs={"min": "0.01", "step": "0.01"}),
    )

    def clean_monthly_amount(self) -> Decimal:
        amount: Decimal = self.cleaned_data["monthly_amount"]
        if amount <= 0:
            raise forms.ValidationError("A budget must be more than zero.")
        if amount > MAX_BUDGET:
            raise forms.ValidationError(
                f"{amount:,.2f} is more than {MAX_BUDGET:,.0f} a month; "
                "check the number of digits."
            )
        return amount
