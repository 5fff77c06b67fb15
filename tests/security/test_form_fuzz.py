"""Hypothesis drives every form of the project with at least 200 examples each.

No input raises; invalid input gives field errors in words; what validates stays
within the model's limits. Every Form subclass in the apps must be listed in
FORMS below (with the keyword arguments it needs), so a new form is fuzzed too.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import pkgutil
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

APPS = ["accounts", "trunks", "phone_numbers", "billing", "monitoring", "credentials"]
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE x;--",
    "' OR '1'='1",
    "{{ settings.SECRET_KEY }}",
    "\x00",
    "\U0001d54dobiz \u2713",
    "a" * 5000,
    " ",
    "",
    "../../etc/passwd",
    "%00",
    "0.0.0.0/0",
    "+91 80 1234 5678",
    "-1",
    "1e309",
]


def project_forms() -> list[type[forms.Form]]:
    """Every concrete Form class defined in the apps' modules."""
    found = []
    for app in APPS:
        try:
            package = importlib.import_module(app)
        except ImportError:
            continue
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{app}."):
            if ".migrations" in info.name or ".tests" in info.name:
                continue
            module = importlib.import_module(info.name)
            for obj in vars(module).values():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, forms.BaseForm)
                    and obj.__module__ == module.__name__
                    and not obj.__name__.startswith("_")
                ):
                    found.append(obj)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__name__}")


def _kwargs(world: dict[str, Any]) -> dict[str, Any]:
    from accounts.models import SubAccount
    from trunks.models import Trunk

    teams = SubAccount.objects.all()
    return {
        "accounts.forms.SubAccountEditForm": {"instance": world["team"]},
        "accounts.forms.MembershipForm": {"sub_accounts": teams},
        "accounts.forms_auth.EmailAuthenticationForm": {"request": world["request"]},
        "trunks.forms.TrunkCreateForm": {"sub_accounts": teams},
        "trunks.forms.IpEntryForm": {"existing": ["198.51.100.7"]},
        "phone_numbers.forms.NumberRequestForm": {
            "sub_accounts": teams,
            "trunks": Trunk.objects.all(),
        },
        "phone_numbers.forms.ApproveForm": {
            "number_request": world.get("number_request")
        },
        "phone_numbers.forms.AssignTrunkForm": {"trunks": Trunk.objects.all()},
        "phone_numbers.forms.MoveForm": {"sub_accounts": teams},
        "billing.forms.CdrReportForm": {
            "teams": [(world["team"].pk, world["team"].name)],
            "trunks": [],
        },
        "monitoring.forms.ChannelEditForm": {"channel": world["channel"]},
        "credentials.forms.DrillStartForm": {"expected_name": world["team"].name},
    }


def value_for(field: forms.Field) -> st.SearchStrategy[Any]:
    """A strategy that mixes valid-looking values with hostile ones."""
    hostile = st.sampled_from(PAYLOADS)
    if isinstance(field, forms.BooleanField):
        return st.one_of(st.sampled_from(["on", "", "true", "false"]), hostile)
    if isinstance(field, forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
        return st.lists(st.one_of(st.integers(-5, 10**6).map(str), hostile), max_size=3)
    if isinstance(field, forms.ModelChoiceField):
        return st.one_of(st.integers(-5, 10**6).map(str), hostile)
    if isinstance(field, forms.ChoiceField):
        choices = [str(k) for k, _ in field.choices if not isinstance(_, list | tuple)]
        return st.one_of(st.sampled_from(choices or [""]), hostile)
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return st.one_of(
            st.integers(-(10**12), 10**12).map(str),
            st.decimals(allow_nan=True).map(str),
            hostile,
        )
    if isinstance(field, forms.DateField | forms.DateTimeField):
        return st.one_of(
            st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)).map(str), hostile
        )
    if isinstance(field, forms.EmailField):
        return st.one_of(st.emails(), hostile)
    return st.one_of(st.text(max_size=300), hostile)


def assert_validates_cleanly(form_class, kwargs, data) -> None:
    form = (
        form_class(data=data, **kwargs)
        if "request" not in kwargs
        else form_class(kwargs["request"], data=data)
    )
    valid = form.is_valid()  # must not raise
    if not valid:
        assert form.errors, "an invalid form must say why"
        for name, messages in form.errors.items():
            assert name == "__all__" or name in form.fields
            assert all(isinstance(m, str) and m.strip() for m in messages)
        return
    for name, value in form.cleaned_data.items():
        limit = getattr(form.fields[name], "max_length", None)
        if isinstance(value, str) and limit:
            assert len(value) <= limit, f"{name} longer than its limit"
        if isinstance(value, Decimal):
            assert value.is_finite()


FORMS = project_forms()


def test_the_forms_of_every_app_are_found():
    modules = {c.__module__.split(".")[0] for c in FORMS}
    assert {"accounts", "billing", "monitoring"} <= modules
    assert len(FORMS) >= 15


def _required_kwargs(form_class) -> list[str]:
    params = inspect.signature(form_class.__init__).parameters.values()
    return [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]


@pytest.fixture
def fuzz_world(db, team_a, admin_user):
    from monitoring.models import NotificationChannel

    world: dict[str, Any] = {
        "team": team_a,
        "request": RequestFactory().post("/login/"),
        "channel": NotificationChannel.objects.create(
            name="Fuzz", kind="email", email_to="ops@example.com"
        ),
    }
    world["request"].user = admin_user
    try:
        from tests.security.world import number_request_for

        world["number_request"] = number_request_for(team_a, admin_user)
    except ImportError:
        pass
    return world


@pytest.mark.parametrize(
    "form_class", FORMS, ids=lambda c: f"{c.__module__}.{c.__name__}"
)
def test_form_survives_hostile_input(form_class, fuzz_world):
    name = f"{form_class.__module__}.{form_class.__name__}"
    kwargs = _kwargs(fuzz_world).get(name, {})
    missing = [
        k for k in _required_kwargs(form_class) if k not in kwargs or kwargs[k] is None
    ]
    assert not missing, f"register the arguments {missing} of {name} in _kwargs"
    probe = (
        form_class(data={}, **kwargs)
        if "request" not in kwargs
        else form_class(kwargs["request"], data={})
    )
    strategy = st.fixed_dictionaries({n: value_for(f) for n, f in probe.fields.items()})

    @settings(
        max_examples=200,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=strategy)
    def run(data):
        assert_validates_cleanly(form_class, kwargs, data)

    run()
