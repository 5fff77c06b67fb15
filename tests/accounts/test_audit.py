"""The audit log: append-only, secrets masked, filters, paging and scoping."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.audit import audit_record
from accounts.models import AuditEvent
from core.fields import MASK
from tests.conftest import MAX_LIST_QUERIES, count_queries

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:audit_list")


def make_events(actor, sub_account, count):
    for i in range(count):
        audit_record(
            actor=actor,
            action=f"test.action{i % 3}",
            sub_account=sub_account,
            object_type="test",
            object_id=str(i),
        )


def test_events_cannot_be_changed_or_deleted(admin_user):
    event = audit_record(actor=admin_user, action="x.y", object_type="t")
    event.action = "rewritten"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.filter(pk=event.pk).update(action="rewritten")
    with pytest.raises(PermissionDenied):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


@pytest.mark.postgres
def test_database_refuses_raw_updates_and_deletes(admin_user):
    event = audit_record(actor=admin_user, action="x.y", object_type="t")
    for sql in (
        "UPDATE accounts_auditevent SET action = 'z' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "x.y"


def test_secrets_are_masked_in_before_and_after(admin_user):
    token = secrets.token_urlsafe(24)
    event = audit_record(
        actor=admin_user,
        action="t.rotate",
        object_type="t",
        before={"auth_token": token, "name": "a"},
        after={"password": token, "name": "b"},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.before == {"auth_token": MASK, "name": "a"}
    assert stored.after == {"password": MASK, "name": "b"}
    assert token not in str(stored.before) + str(stored.after)


def test_sub_account_secret_never_reaches_the_audit_log(admin_user, provider):
    sa = services.subaccount_create(
        actor=admin_user, provider_account=provider, name="Ops"
    )
    token = secrets.token_urlsafe(24)
    sa.auth_token = token
    sa.save()
    services.subaccount_update(actor=admin_user, sub_account=sa, name="Ops 2")
    for event in AuditEvent.objects.all():
        assert token not in str(event.before) + str(event.after)


def test_history_outlives_the_actor_label(admin_user):
    event = audit_record(actor=admin_user, action="x.y", object_type="t")
    assert event.actor_label == "admin@example.com"


def test_admin_and_finance_read_the_log(as_admin, as_finance, admin_user, team_a):
    make_events(admin_user, team_a, 3)
    for client in (as_admin, as_finance):
        response = client.get(LIST)
        assert response.status_code == 200
        assert b"test.action1" in response.content


@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a", "as_lead_b"])
def test_team_members_get_403(request, persona, admin_user, team_a):
    make_events(admin_user, team_a, 1)
    client = request.getfixturevalue(persona)
    assert client.get(LIST).status_code == 403
    event = AuditEvent.objects.first()
    assert (
        client.get(reverse("accounts:audit_detail", args=[event.pk])).status_code == 403
    )


def test_unknown_event_is_404(as_admin):
    assert (
        as_admin.get(reverse("accounts:audit_detail", args=[10**9])).status_code == 404
    )


def test_filters_by_actor_action_sub_account_and_dates(
    as_admin, admin_user, finance_user, team_a, team_b, htmx_headers
):
    def get(params):
        return as_admin.get(LIST, params, **htmx_headers)

    make_events(admin_user, team_a, 3)
    audit_record(
        actor=finance_user, action="other.thing", sub_account=team_b, object_type="t"
    )
    by_actor = get({"actor": finance_user.pk})
    assert (
        b"other.thing" in by_actor.content and b"test.action0" not in by_actor.content
    )
    by_action = get({"action": "test.action0"})
    assert (
        b"test.action0" in by_action.content and b"other.thing" not in by_action.content
    )
    by_team = get({"sub_account": team_b.pk})
    assert b"other.thing" in by_team.content and b"test.action1" not in by_team.content
    tomorrow = (timezone.now().date() + dt.timedelta(days=2)).isoformat()
    future = get({"since": tomorrow})
    assert b"test.action0" not in future.content
    assert b"No audit events match" in future.content


def test_bad_filter_values_are_errors_not_crashes(as_admin, admin_user, team_a):
    make_events(admin_user, team_a, 1)
    response = as_admin.get(LIST, {"since": "yesterday", "actor": "abc"})
    assert response.status_code == 200


def test_keyset_paging_walks_every_event_once(
    as_admin, admin_user, team_a, htmx_headers
):
    make_events(admin_user, team_a, 120)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"cursor": cursor} if cursor else {}
        response = as_admin.get(LIST, params, **htmx_headers)
        assert b"<html" not in response.content
        page = response.context["page"]
        seen.extend(e.pk for e in page.items)
        pages += 1
        if not page.older:
            break
        cursor = page.older
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert seen == sorted(seen, reverse=True)


def test_audit_list_query_count_is_flat(as_admin, admin_user, team_a):
    make_events(admin_user, team_a, 5)
    few = count_queries(lambda: as_admin.get(LIST))
    make_events(admin_user, team_a, 300)
    many = count_queries(lambda: as_admin.get(LIST))
    assert few == many <= MAX_LIST_QUERIES


def test_an_audited_update_records_before_and_after_only_when_something_changed(
    admin_user, team_a
):
    from django.core.exceptions import ValidationError

    from accounts.audit import audited_update

    fields = ("name", "rate_limit")
    audited_update(
        actor=admin_user,
        row=team_a,
        changes={"rate_limit": 250},
        fields=fields,
        action="test.update",
        sub_account=team_a,
    )
    event = AuditEvent.objects.get(action="test.update")
    assert event.before["rate_limit"] != 250 and event.after["rate_limit"] == 250
    audited_update(
        actor=admin_user,
        row=team_a,
        changes={"rate_limit": 250},
        fields=fields,
        action="test.update",
    )
    assert AuditEvent.objects.filter(action="test.update").count() == 1
    with pytest.raises(ValidationError):
        audited_update(
            actor=admin_user,
            row=team_a,
            changes={"rate_limit": 0},
            fields=fields,
            action="test.update",
        )
    team_a.refresh_from_db()
    assert team_a.rate_limit == 250
