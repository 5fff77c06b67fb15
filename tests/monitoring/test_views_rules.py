"""Alert rule pages: the seeded defaults, editing thresholds, adding a team
rule, validation that changes nothing, audit, roles and htmx."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from monitoring.choices import RuleKind
from monitoring.models import AlertRule
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.monitoring.conftest import seeded_rule

pytestmark = pytest.mark.django_db

LIST = reverse("monitoring:rule_list")
CREATE = reverse("monitoring:rule_create")


def edit(rule):
    return reverse("monitoring:rule_edit", args=[rule.pk])


def form_data(rule, **changes):
    data = {
        "name": rule.name,
        "threshold": "" if rule.threshold is None else str(rule.threshold),
        "min_count": rule.min_count,
        "window_minutes": rule.window_minutes,
        "cooldown_minutes": rule.cooldown_minutes,
        "enabled": "on" if rule.enabled else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_every_kind_has_a_seeded_account_wide_rule(db):
    rules = AlertRule.objects.filter(sub_account=None)
    assert set(rules.values_list("kind", flat=True)) == set(RuleKind.values)
    error_rate = seeded_rule("error_rate")
    assert (error_rate.threshold, error_rate.min_count) == (Decimal(5), 20)
    assert seeded_rule("asr_drop").threshold == Decimal("0.7")


def test_the_list_shows_every_rule(as_admin):
    response = as_admin.get(LIST)
    assert response.status_code == 200
    for rule in AlertRule.objects.all():
        assert rule.name.encode() in response.content


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a"])
def test_only_admins_see_or_change_rules(persona, request):
    client = request.getfixturevalue(persona)
    rule = seeded_rule("error_rate")
    assert client.get(LIST).status_code == 403
    assert client.get(CREATE).status_code == 403
    assert client.post(edit(rule), form_data(rule, threshold="9")).status_code == 403
    rule.refresh_from_db()
    assert rule.threshold == Decimal(5)


def test_an_admin_changes_a_threshold_and_it_is_audited(as_admin, admin_user):
    rule = seeded_rule("error_rate")
    response = as_admin.post(
        edit(rule), form_data(rule, threshold="2.5", cooldown_minutes=90)
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.threshold, rule.cooldown_minutes) == (Decimal("2.5"), 90)
    event = AuditEvent.objects.get(action="alert_rule.update")
    assert event.actor == admin_user
    assert Decimal(event.before["threshold"]) == Decimal(5)
    assert Decimal(event.after["threshold"]) == Decimal("2.5")


def test_disabling_a_rule(as_admin):
    rule = seeded_rule("trunk_down")
    as_admin.post(edit(rule), form_data(rule, enabled=""))
    rule.refresh_from_db()
    assert rule.enabled is False


@pytest.mark.parametrize(
    ("kind", "changes", "field", "message"),
    [
        ("error_rate", {"threshold": "150"}, "threshold", "at most 100"),
        ("error_rate", {"threshold": "0"}, "threshold", "above 0"),
        ("error_rate", {"threshold": ""}, "threshold", "Enter a threshold"),
        ("asr_drop", {"threshold": "1.5"}, "threshold", "below 1"),
        ("budget", {"threshold": "50"}, "threshold", "no threshold"),
        ("rate_limit", {"threshold": "abc"}, "threshold", "number"),
        ("error_rate", {"window_minutes": "0"}, "window_minutes", "greater than"),
        ("error_rate", {"cooldown_minutes": "20000"}, "cooldown_minutes", "less than"),
        ("error_rate", {"name": ""}, "name", "required"),
    ],
)
def test_bad_input_gets_a_field_error_and_changes_nothing(
    as_admin, kind, changes, field, message
):
    rule = seeded_rule(kind)
    before = AlertRule.objects.values().get(pk=rule.pk)
    response = as_admin.post(edit(rule), form_data(rule, **changes))
    assert response.status_code == 200
    errors = response.context["form"].errors[field]
    assert any(message in e for e in errors), errors
    assert AlertRule.objects.values().get(pk=rule.pk) == before
    assert not AuditEvent.objects.filter(action="alert_rule.update").exists()


def test_an_invalid_htmx_post_re_renders_only_the_form(as_admin, htmx_headers):
    rule = seeded_rule("error_rate")
    response = as_admin.post(
        edit(rule), form_data(rule, threshold="500"), **htmx_headers
    )
    assert response.status_code == 200
    assert b"<html" not in response.content and b"at most 100" in response.content


def test_a_valid_htmx_post_redirects_the_whole_page(as_admin, htmx_headers):
    rule = seeded_rule("error_rate")
    response = as_admin.post(edit(rule), form_data(rule, threshold="4"), **htmx_headers)
    assert response["HX-Redirect"] == LIST


def test_an_unknown_rule_is_404(as_admin):
    assert (
        as_admin.get(reverse("monitoring:rule_edit", args=[999999])).status_code == 404
    )


def test_the_edit_form_explains_the_numbers_of_its_kind(as_admin):
    response = as_admin.get(edit(seeded_rule("toll_fraud")))
    assert b"international (non +91)" in response.content


def test_an_admin_adds_a_stricter_rule_for_one_team(as_admin, team_a):
    response = as_admin.post(
        CREATE,
        {
            "kind": "error_rate",
            "sub_account": team_a.pk,
            "name": "Team A errors",
            "threshold": "1",
            "min_count": "5",
            "window_minutes": "10",
            "cooldown_minutes": "30",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.get(sub_account=team_a)
    assert (rule.kind, rule.threshold) == ("error_rate", Decimal(1))
    assert AuditEvent.objects.filter(action="alert_rule.create", sub_account=team_a)


def test_a_second_rule_of_the_same_kind_and_scope_is_refused(as_admin):
    response = as_admin.post(
        CREATE,
        {
            "kind": "error_rate",
            "name": "Again",
            "threshold": "3",
            "min_count": "0",
            "window_minutes": "15",
            "cooldown_minutes": "60",
        },
    )
    assert response.status_code == 200
    assert "already is a rule" in response.context["form"].errors["sub_account"][0]
    assert AlertRule.objects.filter(kind="error_rate").count() == 1


def test_the_create_page_explains_every_kind(as_admin):
    response = as_admin.get(CREATE)
    assert response.status_code == 200
    assert (
        b"Toll-fraud pattern" in response.content
        and b"50%, 80% and 100%" in response.content
    )


def test_rule_list_htmx_gets_only_rows(as_admin, htmx_headers):
    response = as_admin.get(LIST, **htmx_headers)
    assert b"<html" not in response.content and b"<table" in response.content
    assert b"<html" in as_admin.get(LIST).content


def test_rule_list_query_count_is_flat(as_admin, team_a, team_b):
    small = count_queries(lambda: as_admin.get(LIST))
    for team in (team_a, team_b):
        for kind in ("error_rate", "toll_fraud", "budget"):
            AlertRule.objects.create(kind=kind, name=f"{kind} {team}", sub_account=team)
    big = count_queries(lambda: as_admin.get(LIST))
    assert small == big <= MAX_LIST_QUERIES
