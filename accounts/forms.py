"""Forms for users, sub-accounts and memberships. They validate; services write."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.choices import GlobalRole, MembershipRole, SubAccountKind
from accounts.models import SubAccount
from core.validators import validate_name
from sync.models import ProviderAccount


class SubAccountForm(forms.Form):
    """Create or edit a sub-account."""

    name = forms.CharField(
        max_length=100,
        validators=[validate_name],
        help_text="Shown in every list; unique within the Vobiz account.",
    )
    description = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What this team or application uses Vobiz for.",
    )
    kind = forms.ChoiceField(
        choices=SubAccountKind.choices, initial=SubAccountKind.TEAM
    )
    rate_limit = forms.IntegerField(
        min_value=1,
        max_value=100_000,
        initial=1000,
        label="API rate limit",
        help_text="Requests per period Vobiz allows this sub-account (default 1000).",
    )
    permit_calls = forms.BooleanField(
        required=False, initial=True, label="May place calls"
    )
    permit_cdr = forms.BooleanField(
        required=False, initial=True, label="May read call records"
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())


class SubAccountCreateForm(SubAccountForm):
    """Create a sub-account under one of the company's Vobiz accounts."""

    provider_account = forms.ModelChoiceField(
        queryset=ProviderAccount.objects.all(),
        label="Vobiz account",
        empty_label=None,
    )

    field_order = ["provider_account", "name", "description", "kind", "rate_limit"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        provider, name = cleaned.get("provider_account"), cleaned.get("name")
        if (
            provider
            and name
            and SubAccount.objects.filter(
                provider_account=provider, name__iexact=name
            ).exists()
        ):
            self.add_error("name", f"A sub-account named “{name}” already exists.")
        return cleaned


class SubAccountEditForm(SubAccountForm):
    """Edit a sub-account; the name must stay unique."""

    def __init__(self, *args: Any, instance: SubAccount, **kwargs: Any) -> None:
        self.instance = instance
        kwargs.setdefault(
            "initial",
            {
                "name": instance.name,
                "description": instance.description,
                "kind": instance.kind,
                "rate_limit": instance.rate_limit,
                "permit_calls": instance.permit_calls,
                "permit_cdr": instance.permit_cdr,
            },
        )
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        name = super().clean_name()
        clash = SubAccount.objects.filter(
            provider_account_id=self.instance.provider_account_id, name__iexact=name
        ).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"A sub-account named “{name}” already exists.")
        return name


class SubAccountDeleteForm(forms.Form):
    """Deleting a sub-account needs its name typed in; the service compares it."""

    confirm_name = forms.CharField(
        max_length=100,
        label="Type the sub-account's name to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class UserForm(forms.Form):
    """Edit a user's name and global role."""

    full_name = forms.CharField(max_length=150, validators=[validate_name])
    role = forms.ChoiceField(
        choices=GlobalRole.choices,
        required=False,
        help_text="Admins manage everything; finance reads every team's figures. "
        "Everyone else works through team memberships.",
    )

    def clean_full_name(self) -> str:
        return " ".join(self.cleaned_data["full_name"].split())


class UserCreateForm(UserForm):
    """Invite a new user by e-mail."""

    email = forms.EmailField(max_length=254, label="E-mail")

    field_order = ["email", "full_name", "role"]

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"]
        return email.strip().lower()


class MembershipForm(forms.Form):
    """Add a user to a sub-account with a role."""

    sub_account = forms.ModelChoiceField(
        queryset=SubAccount.objects.none(), label="Sub-account", empty_label=None
    )
    role = forms.ChoiceField(
        choices=MembershipRole.choices, initial=MembershipRole.VIEWER
    )

    def __init__(self, *args: Any, sub_accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts  # type: ignore[attr-defined]


class ConfirmForm(forms.Form):
    """A confirmation step for a dangerous action."""

    confirm = forms.BooleanField(
        required=True, label="I understand the consequence described above."
    )
