"""The one rotation policy: each kind's period comes from its setting, a secret is
due that many days after it was set, "due soon" starts 14 days before, and the
reminders fall 14, 7 and 1 days before, then daily (SIP passwords) or weekly
(the portal's own secrets) while overdue."""

from __future__ import annotations

import datetime as dt

import pytest

from core.rotation import POLICIES, Age, age_of, period_days, policy_of

SET = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)


def on(kind: str, days_after: int, period: int | None = None) -> Age:
    return age_of(kind, SET, now=SET + dt.timedelta(days=days_after), period=period)


@pytest.mark.parametrize(
    ("kind", "setting", "days"),
    [
        ("trunk_password", "TRUNK_PASSWORD_ROTATION_DAYS", 30),
        ("master_token", "AUTH_TOKEN_ROTATION_DAYS", 45),
        ("subaccount_token", "AUTH_TOKEN_ROTATION_DAYS", 45),
        ("console_password", "CONSOLE_PASSWORD_ROTATION_DAYS", 60),
        ("webhook_secret", "WEBHOOK_SECRET_ROTATION_DAYS", 120),
        ("encryption_key", "ENCRYPTION_KEY_MAX_AGE_DAYS", 200),
    ],
)
def test_each_period_comes_from_its_setting(settings, kind, setting, days):
    setattr(settings, setting, days)
    assert period_days(kind) == days
    assert on(kind, 0).due_on == dt.date(2026, 1, 1) + dt.timedelta(days=days)


def test_refresh_tokens_live_seven_days_and_are_never_reminded():
    assert period_days("refresh_token") == 7
    assert policy_of("refresh_token").reminded is False
    others = [p for kind, p in POLICIES.items() if kind != "refresh_token"]
    assert others and all(policy.reminded for policy in others)


def test_a_kind_without_a_policy_has_no_period():
    assert period_days("fax_password") is None
    with pytest.raises(ValueError, match="No rotation policy"):
        age_of("fax_password", SET)
    assert age_of("fax_password", SET, now=SET, period=10).days_left == 10


@pytest.mark.parametrize(
    ("days_after", "status", "label", "tone"),
    [
        (0, "ok", "OK", "green"),
        (75, "ok", "OK", "green"),
        (76, "due", "Due in 14 days", "amber"),
        (89, "due", "Due in 1 day", "amber"),
        (90, "due", "Due today", "amber"),
        (91, "overdue", "Overdue by 1 day", "red"),
        (100, "overdue", "Overdue by 10 days", "red"),
    ],
)
def test_status_label_and_tone_follow_the_days_left(days_after, status, label, tone):
    age = on("master_token", days_after, period=90)
    assert (age.status, age.label, age.tone) == (status, label, tone)


def test_the_age_counts_calendar_days_in_the_portal_time_zone(settings):
    settings.TRUNK_PASSWORD_ROTATION_DAYS = 90
    age = on("trunk_password", 10)
    assert age.age_days == 10 and age.days_left == 80 and age.period == 90
    assert age.due_at == SET + dt.timedelta(days=90)
    assert age.due_on == dt.date(2026, 4, 1)


@pytest.mark.parametrize(
    ("days_after", "milestone"),
    [(75, None), (76, "d14"), (82, "d14"), (83, "d7"), (89, "d1"), (90, "d1")],
)
def test_reminders_fall_14_7_and_1_days_before(days_after, milestone):
    assert on("trunk_password", days_after, period=90).milestone == milestone
    assert on("webhook_secret", days_after, period=90).milestone == milestone


def test_an_overdue_sip_password_is_reminded_every_day():
    milestones = [on("trunk_password", n, period=90).milestone for n in (91, 92, 93)]
    assert milestones == ["overdue-2026-04-02", "overdue-2026-04-03",
                          "overdue-2026-04-04"]  # fmt: skip


def test_the_portals_own_overdue_secrets_are_reminded_every_week():
    weeks = [on("master_token", n, period=90).milestone for n in (91, 97, 98, 105)]
    assert weeks == ["overdue-w0", "overdue-w0", "overdue-w1", "overdue-w2"]
