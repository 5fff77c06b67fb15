"""Number requests and their approval: who may file and decide, and what approval
commits before anything is sent to Vobiz."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import AuditEvent
from phone_numbers.models import NumberRequest
from phone_numbers.services import (
    number_request_approve,
    number_request_create,
    number_request_reject,
)
from tests.phone_numbers.factories import NumberRequestFactory

pytestmark = pytest.mark.django_db


@pytest.mark.integration
def test_approval_stores_a_key_per_number_before_any_call(
    world, approve, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        number_request = approve(quantity=3)
    keys = list(number_request.purchases.values_list("idempotency_key", flat=True))
    assert len(set(keys)) == 3 and all(keys)
    assert enqueued == [number_request.pk]
    assert world.purchase_posts() == 0


def test_a_lead_files_only_for_a_team_they_lead(lead_a, team_a, team_b):
    created = number_request_create(
        actor=lead_a,
        sub_account=team_a,
        country="IN",
        series="80",
        quantity=1,
        reason="Reminders",
    )
    assert created.status == "pending" and created.requested_by == lead_a
    with pytest.raises(PermissionDenied):
        number_request_create(
            actor=lead_a,
            sub_account=team_b,
            country="IN",
            series="80",
            quantity=1,
            reason="Reminders",
        )
    assert NumberRequest.objects.count() == 1


def test_an_admin_cannot_decide_their_own_request(admin_user, team_a, enqueued):
    own = NumberRequestFactory(sub_account=team_a, requested_by=admin_user)
    with pytest.raises(PermissionDenied):
        number_request_approve(actor=admin_user, number_request=own)
    with pytest.raises(PermissionDenied):
        number_request_reject(actor=admin_user, number_request=own, comment="no")
    own.refresh_from_db()
    assert own.status == "pending" and not own.purchases.exists()
    assert enqueued == []


def test_a_decided_request_is_not_decided_again(admin_user, request_a, enqueued):
    number_request_reject(actor=admin_user, number_request=request_a, comment="No")
    with pytest.raises(ValidationError, match="already decided"):
        number_request_approve(actor=admin_user, number_request=request_a)
    assert not request_a.purchases.exists() and enqueued == []
    assert AuditEvent.objects.filter(action="number_request.approve").count() == 0


def test_approval_takes_at_most_quantity_chosen_numbers(
    admin_user, request_a, enqueued
):
    numbers = ["+918041000001", "+918041000002", "+918041000003"]
    with pytest.raises(ValidationError, match="at most 2"):
        number_request_approve(
            actor=admin_user, number_request=request_a, numbers=numbers
        )
    request_a.refresh_from_db()
    assert request_a.status == "pending" and not request_a.purchases.exists()


def test_rejecting_needs_a_comment(admin_user, request_a):
    with pytest.raises(ValidationError):
        number_request_reject(actor=admin_user, number_request=request_a, comment=" ")
    request_a.refresh_from_db()
    assert request_a.status == "pending"
