"""The sign-in form: e-mail and password."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm


class EmailAuthenticationForm(AuthenticationForm):
    """Sign in with an e-mail address; one message for every kind of failure."""

    username = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an active account.",
        "inactive": "That e-mail and password do not match an active account.",
    }


class OtpTokenForm(forms.Form):
    """A six-digit code from the app, or a ten-character backup code."""

    token = forms.RegexField(
        label="Code",
        regex=r"^\s*([0-9]{6}|[0-9a-fA-F]{10}|[0-9]{3} ?[0-9]{3})\s*$",
        max_length=16,
        error_messages={
            "invalid": "Enter the 6-digit code from your app, or a backup code."
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
            }
        ),
    )
