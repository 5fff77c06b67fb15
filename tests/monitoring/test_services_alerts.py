"""Alert episodes: one alert per episode, resolution, cool-down (under
time-machine), failing evaluators and disabled rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.db import IntegrityError, transaction

from monitoring import services
from monitoring.models import Alert, Delivery, Notification, NotificationChannel
from monitoring.rules import base as rules_base
from tests.monitoring.conftest import NOW, low_balance, only_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def email_channel(db):
    return NotificationChannel.objects.create(
        name="Ops list", kind="email", email_to="ops@example.com"
    )


def test_a_condition_that_holds_fires_one_alert_delivered_once(
    provider, admin_user, email_channel, django_capture_on_commit_callbacks
):
    only_rule("balance_low")
    low_balance(provider, "100")
    with django_capture_on_commit_callbacks(execute=False) as queued:
        for _ in range(3):
            services.alerts_evaluate()
    assert Alert.objects.count() == 1
    assert Delivery.objects.filter(event="fired").count() == 1
    assert Notification.objects.filter(user=admin_user).count() == 1
    assert len(queued) == 1


def test_a_repeat_refreshes_the_alert_instead_of_firing_again(provider):
    only_rule("balance_low")
    low_balance(provider, "900")
    first = services.alerts_evaluate(now=NOW)
    low_balance(provider, "300")
    second = services.alerts_evaluate(now=NOW + dt.timedelta(minutes=1))
    assert (first["fired"], second["fired"], second["ongoing"]) == (1, 0, 1)
    alert = Alert.objects.get()
    assert alert.value == 300 and alert.last_seen_at == NOW + dt.timedelta(minutes=1)
    assert alert.fired_at == NOW


def test_resolving_sends_a_resolved_delivery(provider, email_channel):
    only_rule("balance_low")
    low_balance(provider, "100")
    services.alerts_evaluate()
    low_balance(provider, "5000")
    summary = services.alerts_evaluate()
    assert summary["resolved"] == 1
    alert = Alert.objects.get()
    assert alert.state == "resolved" and alert.resolved_at is not None
    events = list(Delivery.objects.order_by("pk").values_list("event", flat=True))
    assert events == ["fired", "resolved"]


def test_cool_down_holds_back_a_new_episode_until_it_has_passed(provider):
    rule = only_rule("balance_low")
    rule.cooldown_minutes = 60
    rule.save()
    start = dt.datetime(2026, 6, 15, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        low_balance(provider, "100")
        services.alerts_evaluate()
        clock.shift(dt.timedelta(minutes=5))
        low_balance(provider, "5000")
        services.alerts_evaluate()  # resolved at 09:05
        clock.shift(dt.timedelta(minutes=10))
        low_balance(provider, "100")
        held = services.alerts_evaluate()  # 09:15: within the cool-down
        assert held["suppressed"] == 1
        assert Alert.objects.filter(state="firing").count() == 0
        clock.shift(dt.timedelta(minutes=51))
        again = services.alerts_evaluate()  # 10:06: cool-down over
    assert again["fired"] == 1
    assert list(Alert.objects.order_by("pk").values_list("state", flat=True)) == [
        "resolved",
        "firing",
    ]


def test_an_evaluator_that_raises_leaves_its_alerts_firing(provider, monkeypatch):
    only_rule("balance_low")
    low_balance(provider, "100")
    services.alerts_evaluate()

    def broken(rule, now):
        raise RuntimeError("database hiccup")

    monkeypatch.setitem(rules_base.EVALUATORS, "balance_low", broken)
    summary = services.alerts_evaluate()
    assert summary["errors"] == 1
    assert Alert.objects.get().state == "firing"


def test_disabling_a_rule_resolves_its_alerts(provider):
    rule = only_rule("balance_low")
    low_balance(provider, "100")
    services.alerts_evaluate()
    rule.enabled = False
    rule.save()
    services.alerts_evaluate()
    assert Alert.objects.get().state == "resolved"


def test_an_evaluation_already_running_is_not_repeated(provider):
    only_rule("balance_low")
    low_balance(provider, "100")
    cache.add(services.EVALUATE_LEASE_KEY, 1, 60)
    assert services.alerts_evaluate().get("skipped") == 1
    assert Alert.objects.count() == 0


def test_the_database_allows_one_firing_alert_per_key(provider):
    rule = only_rule("balance_low")
    fields = {
        "rule": rule,
        "kind": rule.kind,
        "dedup_key": f"{rule.pk}:provider:{provider.pk}",
        "subject": "Acme",
        "message": "low",
        "fired_at": NOW,
        "last_seen_at": NOW,
    }
    Alert.objects.create(**fields)
    Alert.objects.create(**{**fields, "state": "resolved", "resolved_at": NOW})
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**fields)
