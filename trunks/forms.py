"""Forms for trunks, whitelist entries and rotations. They validate; services write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from accounts.models import SubAccount
from core.validators import validate_name
from trunks.choices import AuthType, TrunkDirection
from trunks.models import Trunk, TrunkCredential
from trunks.validators import (
    IpEntry,
    suggest_username,
    validate_acl_description,
    validate_ip_entry,
    validate_sip_username,
)

# Vobiz counts concurrent calls in blocks of 10 and sells CPS in blocks of 3;
# these bounds keep a typo from asking for a thousand times what anyone has.
MAX_CONCURRENT_CALLS = 1000
MAX_CPS = 100
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Trim a free-text value and refuse control characters."""
    if CONTROL_CHARS.search(value.replace("\n", " ").replace("\r", " ")):
        raise ValidationError("Remove the control characters.")
    return " ".join(value.split())


class TrunkForm(forms.Form):
    """The settings every trunk has."""

    name = forms.CharField(
        max_length=100,
        validators=[validate_name],
        help_text="Shown in the portal and the Vobiz console.",
    )
    description = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    direction = forms.ChoiceField(
        choices=TrunkDirection.choices,
        initial=TrunkDirection.OUTBOUND,
        help_text="Outbound: your PBX calls out through Vobiz. Inbound: Vobiz "
        "delivers calls to your numbers. Both: either way.",
    )
    concurrent_calls_limit = forms.IntegerField(
        min_value=1,
        max_value=MAX_CONCURRENT_CALLS,
        initial=10,
        label="Concurrent calls",
        help_text="Calls at the same time; Vobiz's default is 10 and the account's "
        "own limit still applies.",
    )
    cps_limit = forms.IntegerField(
        min_value=1,
        max_value=MAX_CPS,
        initial=2,
        label="Calls per second",
        help_text="New calls per second; Vobiz's default is 2.",
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_description(self) -> str:
        return clean_text(self.cleaned_data.get("description", ""))


class TrunkCreateForm(TrunkForm):
    """Create a trunk in a sub-account, with IP and/or password authentication."""

    sub_account = forms.ModelChoiceField(
        queryset=SubAccount.objects.none(), label="Sub-account", empty_label=None
    )
    auth_type = forms.ChoiceField(
        choices=AuthType.choices,
        initial=AuthType.PASSWORD,
        widget=forms.RadioSelect,
        label="Authentication",
        help_text="IP whitelist: only listed addresses may use the trunk. "
        "Password: SIP digest with a password the portal generates.",
    )
    username = forms.CharField(
        max_length=32,
        required=False,
        label="SIP username",
        help_text="3–32 letters and digits, unique in the sub-account. Leave empty "
        "to use one made from the trunk name.",
    )
    first_ip = forms.CharField(
        max_length=43,
        required=False,
        label="First whitelisted IP",
        help_text="An IPv4 address or range, such as 8.8.4.4 or 10.20.30.0/24. "
        "More can be added on the trunk's page.",
    )
    ip_description = forms.CharField(
        max_length=100, required=False, label="What is at this address"
    )
    wide_confirm = forms.BooleanField(
        required=False, label="I confirm this wide range (wider than /24)"
    )

    field_order = [
        "sub_account",
        "name",
        "description",
        "direction",
        "concurrent_calls_limit",
        "cps_limit",
        "auth_type",
        "username",
        "first_ip",
        "ip_description",
        "wide_confirm",
    ]

    def __init__(self, *args: Any, sub_accounts: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sub_account"].queryset = sub_accounts  # type: ignore[attr-defined]
        self.ip_entry: IpEntry | None = None

    def clean_ip_description(self) -> str:
        return validate_acl_description(self.cleaned_data.get("ip_description"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        auth = cleaned.get("auth_type")
        team = cleaned.get("sub_account")
        if auth in (AuthType.PASSWORD, AuthType.BOTH) and team is not None:
            self._clean_username(cleaned, team)
        if auth in (AuthType.IP, AuthType.BOTH):
            self._clean_ip(cleaned, team)
        return cleaned

    def _clean_username(self, cleaned: dict[str, Any], team: SubAccount) -> None:
        taken = TrunkCredential.objects.present().filter(sub_account=team)
        names = list(taken.values_list("username", flat=True))
        raw = cleaned.get("username") or ""
        if not raw:
            cleaned["username"] = suggest_username(cleaned.get("name") or "", names)
            return
        try:
            username = validate_sip_username(raw)
        except ValidationError as exc:
            self.add_error("username", exc)
            return
        if username.lower() in {n.lower() for n in names}:
            self.add_error(
                "username",
                f"{team.name} already has a SIP username “{username}”; try "
                f"“{suggest_username(username, names)}”.",
            )
        cleaned["username"] = username

    def _clean_ip(self, cleaned: dict[str, Any], team: SubAccount | None) -> None:
        from trunks.models import IpAclEntry

        existing: list[str] = []
        if team is not None:
            existing = list(
                IpAclEntry.objects.present()
                .filter(sub_account=team)
                .values_list("ip_address", flat=True)
            )
        try:
            self.ip_entry = validate_ip_entry(
                cleaned.get("first_ip"),
                allow_wide=bool(cleaned.get("wide_confirm")),
                existing=existing,
            )
        except ValidationError as exc:
            self.add_error("first_ip", exc)


class TrunkEditForm(TrunkForm):
    """Edit a trunk's settings; disabling it stops its calls."""

    enabled = forms.BooleanField(
        required=False, label="Enabled (a disabled trunk carries no calls)"
    )

    @classmethod
    def for_trunk(cls, trunk: Trunk, data: Any = None) -> TrunkEditForm:
        """Return the form filled with the trunk's current values."""
        initial = {
            "name": trunk.name,
            "description": trunk.description,
            "direction": trunk.direction,
            "concurrent_calls_limit": trunk.concurrent_calls_limit,
            "cps_limit": trunk.cps_limit,
            "enabled": trunk.enabled,
        }
        return cls(data, initial=initial)


class IpEntryForm(forms.Form):
    """Add one address or range to a trunk's whitelist."""

    ip_address = forms.CharField(
        max_length=43,
        label="IPv4 address or range",
        help_text="Such as 8.8.4.4 or 10.20.30.0/24. IPv6 is not supported by Vobiz.",
    )
    description = forms.CharField(
        max_length=100, required=False, label="What is at this address"
    )
    wide_confirm = forms.BooleanField(
        required=False, label="I confirm this wide range (wider than /24)"
    )

    def __init__(self, *args: Any, existing: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = existing
        self.entry: IpEntry | None = None

    def clean_description(self) -> str:
        return validate_acl_description(self.cleaned_data.get("description"))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "ip_address" in cleaned:
            try:
                self.entry = validate_ip_entry(
                    cleaned["ip_address"],
                    allow_wide=bool(cleaned.get("wide_confirm")),
                    existing=self.existing,
                )
            except ValidationError as exc:
                self.add_error("ip_address", exc)
        return cleaned


class RotateForm(forms.Form):
    """Confirm a password rotation."""

    confirm = forms.BooleanField(
        required=True,
        label="I understand the old password stops working once the new one "
        "is attached.",
    )
    note = forms.CharField(
        max_length=300,
        required=False,
        label="Note for the audit log",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_note(self) -> str:
        return clean_text(self.cleaned_data.get("note", ""))


class RotationRequestForm(forms.Form):
    """A team lead asks an admin to rotate the password."""

    reason = forms.CharField(
        max_length=300,
        required=False,
        label="Why (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_reason(self) -> str:
        return clean_text(self.cleaned_data.get("reason", ""))
