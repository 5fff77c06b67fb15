"""The export audit trail: what was exported, by whom, with which filters."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import AuditEvent
from billing import services
from billing.filters import CdrCriteria

pytestmark = pytest.mark.django_db


def test_export_record_keeps_the_filters(lead_a, team_a):
    criteria = CdrCriteria(
        since=dt.date(2026, 11, 1),
        until=dt.date(2026, 11, 7),
        sub_account_id=team_a.pk,
        hangup_cause="NO_ANSWER",
    )
    services.cdr_export_record(actor=lead_a, criteria=criteria)
    event = AuditEvent.objects.get()
    assert (event.action, event.sub_account_label) == ("cdr.export", "Team A")
    assert event.after["filters"]["hangup_cause"] == "NO_ANSWER"


def test_only_admin_and_finance_may_export_the_ledger(lead_a, finance_user):
    with pytest.raises(PermissionDenied):
        services.transaction_export_record(actor=lead_a, filters={})
    assert not AuditEvent.objects.exists()
    services.transaction_export_record(actor=finance_user, filters={"type": "debit"})
    event = AuditEvent.objects.get()
    assert event.action == "transaction.export"
    assert event.after == {"filters": {"type": "debit"}}
