"""Memberships: a role in a sub-account given, changed or taken away, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import AuditEvent, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_role_is_given_changed_and_a_repeat_changes_nothing(admin_user, team_a):
    member = UserFactory()
    services.membership_set(
        actor=admin_user, user=member, sub_account=team_a, role="viewer"
    )
    services.membership_set(
        actor=admin_user, user=member, sub_account=team_a, role="lead"
    )
    services.membership_set(
        actor=admin_user, user=member, sub_account=team_a, role="lead"
    )
    assert Membership.objects.get(user=member).role == "lead"
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["membership.create", "membership.update"]
    assert events[1].before == {"user": member.email, "role": "viewer"}
    assert events[1].sub_account == team_a


def test_an_unknown_role_is_refused(admin_user, team_a):
    with pytest.raises(ValidationError):
        services.membership_set(
            actor=admin_user, user=UserFactory(), sub_account=team_a, role="owner"
        )
    assert not Membership.objects.exists() and not AuditEvent.objects.exists()


def test_removal_is_audited_with_who_had_which_role(admin_user, lead_a, team_a):
    membership = Membership.objects.get(user=lead_a, sub_account=team_a)
    services.membership_remove(actor=admin_user, membership=membership)
    assert not Membership.objects.filter(user=lead_a).exists()
    event = AuditEvent.objects.get(action="membership.delete")
    assert event.before == {"user": lead_a.email, "role": "lead"}
