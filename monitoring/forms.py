"""Forms for alert rules, notification channels and syncs run on demand."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from accounts.models import SubAccount
from monitoring.choices import RULE_HELP, ChannelKind, RuleKind
from monitoring.models import AlertRule, NotificationChannel
from monitoring.services.webhooks import validate_webhook_url
from sync.models import ProviderAccount, SyncKind

MAX_RECIPIENTS = 20
WEEK_MINUTES = 7 * 24 * 60

# (lowest, highest, inclusive low, message) of the threshold of each kind that
# uses one; kinds missing here take no threshold.
THRESHOLDS: dict[str, tuple[Decimal, Decimal, bool, str]] = {
    RuleKind.BALANCE_LOW: (
        Decimal(0),
        Decimal("1e9"),
        True,
        "Enter an amount of 0 or more.",
    ),
    RuleKind.ERROR_RATE: (
        Decimal(0),
        Decimal(100),
        False,
        "Enter a percentage above 0 and at most 100.",
    ),
    RuleKind.RATE_LIMIT: (
        Decimal(1),
        Decimal(100),
        True,
        "Enter a percentage from 1 to 100.",
    ),
    RuleKind.CREDENTIAL_ROTATION: (
        Decimal(0),
        Decimal(89),
        True,
        "Enter a number of days from 0 to 89.",
    ),
    RuleKind.ASR_DROP: (
        Decimal(0),
        Decimal("0.99"),
        False,
        "Enter a fraction above 0 and below 1, such as 0.7.",
    ),
    RuleKind.TOLL_FRAUD: (
        Decimal(1),
        Decimal(1000),
        True,
        "Enter a multiple from 1 to 1000.",
    ),
}


def check_threshold(kind: str, value: Decimal | None) -> None:
    """Raise ValidationError when a threshold does not suit the rule kind."""
    bounds = THRESHOLDS.get(kind)
    if bounds is None:
        if value is not None:
            raise ValidationError("This kind of rule has no threshold; leave it empty.")
        return
    if value is None:
        if kind == RuleKind.BALANCE_LOW:
            return
        raise ValidationError("Enter a threshold.")
    low, high, inclusive, message = bounds
    too_low = value < low if inclusive else value <= low
    if too_low or value > high:
        raise ValidationError(message)


class RuleFieldsForm(forms.Form):
    """The fields an admin may change on any rule."""

    name = forms.CharField(max_length=120, strip=True)
    threshold = forms.DecimalField(
        required=False, max_digits=14, decimal_places=4, label="Threshold"
    )
    min_count = forms.IntegerField(
        min_value=0, max_value=1_000_000, initial=0, label="Minimum count"
    )
    window_minutes = forms.IntegerField(
        min_value=1, max_value=WEEK_MINUTES, initial=15, label="Window (minutes)"
    )
    cooldown_minutes = forms.IntegerField(
        min_value=0,
        max_value=WEEK_MINUTES,
        initial=60,
        label="Cool-down (minutes)",
        help_text="After an alert resolves, the same alert waits this long "
        "before it can fire again.",
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, kind: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_kind = kind
        if kind in RULE_HELP:
            self._describe(kind)

    def _describe(self, kind: str) -> None:
        text = RULE_HELP[kind]
        self.fields["threshold"].help_text = text.threshold
        self.fields["min_count"].help_text = text.min_count or "Not used by this rule."
        self.fields["window_minutes"].help_text = (
            text.window or "Not used by this rule."
        )

    def rule_kind(self) -> str | None:
        return self.fixed_kind

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = self.rule_kind()
        if kind and "threshold" in cleaned:
            try:
                check_threshold(kind, cleaned["threshold"])
            except ValidationError as exc:
                self.add_error("threshold", exc)
        return cleaned


class RuleCreateForm(RuleFieldsForm):
    """A new rule: its kind and, optionally, the one team it watches."""

    kind = forms.ChoiceField(choices=RuleKind.choices, label="Kind")
    sub_account = forms.ModelChoiceField(
        queryset=SubAccount.objects.order_by("name"),
        required=False,
        empty_label="Every sub-account",
        label="Sub-account",
        help_text="A rule for one team; the account-wide rule keeps watching too.",
    )

    field_order = ["kind", "sub_account", "name"]

    def rule_kind(self) -> str | None:
        return self.cleaned_data.get("kind")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind, team = cleaned.get("kind"), cleaned.get("sub_account")
        if kind and AlertRule.objects.filter(kind=kind, sub_account=team).exists():
            self.add_error(
                "sub_account",
                "There already is a rule of this kind for "
                f"{team.name if team else 'every sub-account'}; edit that one.",
            )
        return cleaned


def _split_addresses(value: str) -> list[str]:
    return [a for a in re.split(r"[\s,;]+", value.strip()) if a]


class ChannelFieldsForm(forms.Form):
    """What every channel has: a name, recipients or a URL, and on/off."""

    name = forms.CharField(max_length=100, strip=True)
    email_to = forms.CharField(
        max_length=1000,
        required=False,
        label="Recipients",
        help_text="E-mail addresses, separated by commas.",
    )
    url = forms.CharField(
        max_length=500,
        required=False,
        label="Webhook URL",
        help_text="An https:// URL on a public address. Slack incoming webhooks work.",
        widget=forms.URLInput,
    )
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        channel: NotificationChannel | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel

    def channel_kind(self) -> str | None:
        return self.channel.kind if self.channel else None

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        others = NotificationChannel.objects.filter(name__iexact=name)
        if self.channel is not None:
            others = others.exclude(pk=self.channel.pk)
        if others.exists():
            raise ValidationError("Another channel already has this name.")
        return name

    def clean_email_to(self) -> str:
        addresses = _split_addresses(self.cleaned_data["email_to"])
        if len(addresses) > MAX_RECIPIENTS:
            raise ValidationError(f"Enter at most {MAX_RECIPIENTS} addresses.")
        check = EmailValidator()
        for address in addresses:
            try:
                check(address)
            except ValidationError as exc:
                raise ValidationError(
                    f"{address} is not a valid e-mail address."
                ) from exc
        return ", ".join(a.lower() for a in addresses)

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"].strip()
        return validate_webhook_url(url) if url else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = self.channel_kind()
        if (
            kind == ChannelKind.EMAIL
            and "email_to" in cleaned
            and not cleaned["email_to"]
        ):
            self.add_error("email_to", "Enter at least one e-mail address.")
        needs_url = kind == ChannelKind.WEBHOOK and self.channel is None
        if needs_url and "url" in cleaned and not cleaned["url"]:
            self.add_error("url", "Enter the webhook URL.")
        return cleaned


class ChannelCreateForm(ChannelFieldsForm):
    """A new channel: e-mail or webhook."""

    kind = forms.ChoiceField(choices=ChannelKind.choices, label="Kind")

    field_order = ["kind", "name", "email_to", "url", "enabled"]

    def channel_kind(self) -> str | None:
        return self.cleaned_data.get("kind")


class ChannelEditForm(ChannelFieldsForm):
    """An existing channel: the URL field left empty keeps the current URL."""

    def __init__(self, *args: Any, channel: NotificationChannel, **kwargs: Any) -> None:
        super().__init__(*args, channel=channel, **kwargs)
        if channel.kind == ChannelKind.EMAIL:
            del self.fields["url"]
        else:
            del self.fields["email_to"]
            self.fields[
                "url"
            ].help_text = (
                f"Now {channel.url_display or 'not set'}. Leave empty to keep it."
            )


class ConfirmForm(forms.Form):
    """A checkbox that confirms a dangerous action."""

    confirm = forms.BooleanField(
        required=True, label="Yes, delete this channel and its delivery log"
    )


class SyncRequestForm(forms.Form):
    """Run one sync of one account now; call records may start from a day."""

    provider = forms.ModelChoiceField(
        queryset=ProviderAccount.objects.order_by("label"),
        label="Account",
        empty_label=None,
    )
    kind = forms.ChoiceField(choices=SyncKind.choices, label="What")
    since = forms.DateField(
        required=False,
        label="From day",
        help_text="Call records and the rollup check only; empty: from where the "
        "last sync stopped.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args: Any, providers: list[ProviderAccount] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if providers is not None:
            # Accounts the page has loaded already: no query to draw the select.
            field = self.fields["provider"]
            field.choices = [(p.pk, p.label) for p in providers]  # type: ignore[attr-defined]
