"""Forms of the credentials pages: inventory filters and the confirmations."""

from __future__ import annotations

from typing import Any

from django import forms

from credentials.choices import SecretKind, SecretStatus


class InventoryFilterForm(forms.Form):
    """Filter the secret inventory by kind and status."""

    kind = forms.ChoiceField(
        label="Kind",
        required=False,
        choices=[("", "Any kind"), *SecretKind.choices],
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Any status"),
            ("attention", "Due soon or overdue"),
            *SecretStatus.choices,
        ],
    )


class InventoryFilter:
    """What `includes/filter_bar.html` expects: an object with a bound `form`."""

    def __init__(self, data: Any) -> None:
        self.form = InventoryFilterForm(data or None)

    @property
    def values(self) -> dict[str, str]:
        """Return the valid filter values (bad values filter nothing)."""
        if not self.form.is_bound or not self.form.is_valid():
            return {}
        return {k: v for k, v in self.form.cleaned_data.items() if v}


class RotateConfirmForm(forms.Form):
    """Confirm a rotation whose consequence the page states."""

    confirm = forms.BooleanField(
        label="I understand the current secret stops working",
        error_messages={"required": "Tick the box to confirm the rotation."},
    )


class DrillStartForm(forms.Form):
    """Start a compromise drill: type the sub-account's name; choose to disable."""

    confirm_name = forms.CharField(
        label="Type the sub-account's name to confirm",
        max_length=100,
        strip=True,
    )
    disable = forms.BooleanField(
        label="Also disable the sub-account at Vobiz (stops its calls and API access)",
        required=False,
    )

    def __init__(self, *args: Any, expected_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected_name = expected_name
        self.fields["confirm_name"].help_text = f"Type “{expected_name}” exactly."

    def clean_confirm_name(self) -> str:
        value: str = self.cleaned_data["confirm_name"]
        if value != self.expected_name:
            raise forms.ValidationError(
                f"Type the name exactly as shown: {self.expected_name}"
            )
        return value
