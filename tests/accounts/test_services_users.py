"""People in the portal: invitations with a one-time link, roles, deactivation;
each write audited."""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def test_an_invited_user_has_no_password_and_a_link_bound_to_them(admin_user, settings):
    settings.PORTAL_BASE_URL = "https://portal.example/"
    user, link = services.user_create(
        actor=admin_user, email="  New.Person@Example.com ", full_name="New Person"
    )
    assert user.email == "new.person@example.com" and not user.has_usable_password()
    assert link.startswith("https://portal.example/") and "//" not in link[8:]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert default_token_generator.check_token(user, token)
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor == admin_user and event.after["email"] == user.email


def test_an_e_mail_already_taken_in_any_case_is_refused(admin_user, lead_a):
    with pytest.raises(ValidationError) as refused:
        services.user_create(
            actor=admin_user, email="LEAD.A@example.com", full_name="Twin"
        )
    assert "email" in refused.value.message_dict
    assert User.objects.filter(email__iexact="lead.a@example.com").count() == 1


def test_a_role_change_is_audited_and_an_admin_keeps_their_own(admin_user, lead_a):
    services.user_update(
        actor=admin_user, user=lead_a, full_name="Lea Lead", role="finance"
    )
    lead_a.refresh_from_db()
    assert lead_a.role == "finance"
    event = AuditEvent.objects.get(action="user.update")
    assert (event.before["role"], event.after["role"]) == ("", "finance")
    with pytest.raises(ValidationError):
        services.user_update(
            actor=admin_user, user=admin_user, full_name="Ada", role=""
        )
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_deactivation_is_recorded_and_undone(admin_user, lead_a):
    services.user_set_active(actor=admin_user, user=lead_a, active=False)
    lead_a.refresh_from_db()
    assert lead_a.is_active is False and lead_a.deactivated_at is not None
    services.user_set_active(actor=admin_user, user=lead_a, active=True)
    lead_a.refresh_from_db()
    assert lead_a.is_active is True and lead_a.deactivated_at is None
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        "user.deactivate",
        "user.reactivate",
    ]
    with pytest.raises(ValidationError):
        services.user_set_active(actor=admin_user, user=admin_user, active=False)


def test_a_fresh_link_is_audited(admin_user, lead_a):
    link = services.user_password_link(actor=admin_user, user=lead_a)
    assert "/password/set/" in link
    assert AuditEvent.objects.filter(action="user.password_link").count() == 1
