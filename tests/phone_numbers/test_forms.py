"""The number request form: every combination of series, quantity and prefix, and
the DLT rules for the 140 and 160 series."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import SubAccount
from phone_numbers.choices import NumberSeries
from phone_numbers.forms import ApproveForm, InventorySearchForm, NumberRequestForm
from trunks.models import Trunk

pytestmark = pytest.mark.django_db

SERIES = [value for value, _ in NumberSeries.choices]
DIGITS = {"toll-free": "1800"}
DLT = {
    "dlt_entity_id": "1201159876543210987",
    "dlt_header": "ACMEBK",
    "dlt_purpose": "EMI reminders",
}


def form(team, **data):
    base = {
        "sub_account": team.pk,
        "country": "IN",
        "series": "80",
        "quantity": "1",
        "reason": "Reminders",
    }
    base.update(data)
    return NumberRequestForm(
        base,
        sub_accounts=SubAccount.objects.filter(pk=team.pk),
        trunks=Trunk.objects.filter(sub_account=team),
    )


def expected_valid(series, quantity, prefix):
    """The rules, written out independently of the form."""
    if not isinstance(quantity, int) or not 1 <= quantity <= 50:
        return False
    digits = prefix.replace(" ", "")
    if digits.startswith("+91"):
        digits = digits[3:]
    if digits and (not digits.isascii() or not digits.isdigit() or len(digits) > 8):
        return False
    start = DIGITS.get(series, series)
    return not digits or digits.startswith(start)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    series=st.sampled_from(SERIES),
    quantity=st.one_of(st.integers(min_value=-5, max_value=60), st.just("two")),
    prefix=st.one_of(
        st.just(""),
        st.sampled_from(
            ["80", "8041", "79", "2261", "11", "140", "1601", "92", "1800"]
        ),
        st.from_regex(r"\A\+91[0-9]{1,6}\Z"),
        st.from_regex(r"\A[0-9]{1,10}\Z"),
        st.from_regex(r"\A[0-9a-z -]{1,6}\Z"),
    ),
)
def test_quantity_prefix_and_series_combinations(team_a, series, quantity, prefix):
    data = {"series": series, "quantity": str(quantity), "prefix": prefix, **DLT}
    bound = form(team_a, **data)
    assert bound.is_valid() == expected_valid(series, quantity, prefix), bound.errors
    if bound.is_valid():
        cleaned = bound.cleaned_data
        assert cleaned["prefix"].isdigit() or cleaned["prefix"] == ""
        assert not cleaned["prefix"].startswith("+")


@pytest.mark.parametrize("series", ["140", "160"])
def test_dlt_fields_are_required_for_140_and_160(team_a, series):
    bound = form(team_a, series=series)
    assert not bound.is_valid()
    for name in DLT:
        assert f"Required for the {series} series" in bound.errors[name][0]
    assert form(team_a, series=series, **DLT).is_valid()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("dlt_entity_id", "12345", "12–19 digits"),
        ("dlt_entity_id", "1201159876543210987x", "at most 19"),
        ("dlt_header", "AB", "3–11 letters or digits"),
        ("dlt_header", "ACME-BK", "3–11 letters or digits"),
        ("dlt_purpose", "   ", "Required for the 160 series"),
    ],
)
def test_malformed_dlt_fields_get_field_errors(team_a, field, value, message):
    bound = form(team_a, series="160", **{**DLT, field: value})
    assert not bound.is_valid()
    assert message in " ".join(bound.errors[field])


@pytest.mark.parametrize("series", ["80", "92", "toll-free"])
def test_other_series_drop_stray_dlt_input(team_a, series):
    bound = form(team_a, series=series, **DLT)
    assert bound.is_valid(), bound.errors
    assert all(bound.cleaned_data[name] == "" for name in DLT)


def test_series_is_required_for_india_and_refused_elsewhere(team_a):
    assert "series" in form(team_a, series="").errors
    assert "Choose the series" in form(team_a, series="none").errors["series"][0]
    us = form(team_a, country="US", series="80")
    assert "Series are Indian" in us.errors["series"][0]
    outside = form(team_a, country="US", series="none", prefix="415")
    assert outside.is_valid() and outside.cleaned_data["series"] == ""


def test_a_prefix_that_contradicts_the_series_says_how_to_fix_it(team_a):
    bound = form(team_a, series="79", prefix="8041")
    assert "starts with 79" in bound.errors["prefix"][0]


def test_a_foreign_country_code_in_the_prefix_is_refused(team_a):
    assert "start with +91" in form(team_a, prefix="+18041").errors["prefix"][0]


def test_the_reason_cannot_be_blank(team_a):
    assert "reason" in form(team_a, reason="   ").errors


@pytest.mark.parametrize(
    ("typed", "valid", "cleaned"),
    [
        ("8041", True, "8041"),
        ("+91 80 4123 4567", True, "918041234567"),
        ("+91 80", True, "9180"),
        ("+91 123", True, "91123"),
        ("+9180412345678901", False, None),
        ("80-41", False, None),
    ],
)
def test_the_inventory_search_checks_typed_numbers(typed, valid, cleaned):
    bound = InventorySearchForm({"q": typed})
    assert bound.is_valid() == valid
    if valid:
        assert bound.cleaned_data["q"] == cleaned


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_approve_form_survives_hostile_input(team_a, lead_a, data):
    # tests/security/test_form_fuzz.py needs a request to build this form; the
    # same checks, with one.
    from tests.phone_numbers.factories import NumberRequestFactory
    from tests.security.test_form_fuzz import assert_validates_cleanly, value_for

    number_request = NumberRequestFactory(sub_account=team_a, requested_by=lead_a)
    probe = ApproveForm(data={}, number_request=number_request)
    values = data.draw(
        st.fixed_dictionaries({n: value_for(f) for n, f in probe.fields.items()})
    )
    assert_validates_cleanly(ApproveForm, {"number_request": number_request}, values)
