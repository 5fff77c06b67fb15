"""The portal's one provider error, shown on forms."""

from __future__ import annotations

from django import forms

from core.errors import ProviderError


class TrunkForm(forms.Form):
    name = forms.CharField()
    concurrent_calls_limit = forms.IntegerField()


def test_named_fields_get_their_messages_and_nothing_goes_on_top():
    form = TrunkForm(data={"name": "x", "concurrent_calls_limit": 5})
    form.is_valid()
    error = ProviderError(
        "Vobiz refused the values", field_errors={"concurrent_calls_limit": ["too big"]}
    )
    error.add_to_form(form)
    assert form.errors["concurrent_calls_limit"] == ["too big"]
    assert not form.non_field_errors()


def test_without_a_known_field_the_message_goes_on_top():
    form = TrunkForm(data={"name": "x", "concurrent_calls_limit": 5})
    form.is_valid()
    ProviderError("Vobiz is rate-limiting", field_errors={"other": ["no"]}).add_to_form(
        form
    )
    assert form.non_field_errors() == ["Vobiz is rate-limiting"]
