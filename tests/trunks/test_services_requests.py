"""A team lead's request for a password rotation: the admins are told, one open
request per trunk, and the rotation that follows closes it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from monitoring.models import Notification
from trunks import services
from trunks.choices import RequestStatus, RotationReason
from trunks.models import RotationRequest

pytestmark = pytest.mark.django_db


def test_a_lead_asks_and_the_admins_are_told(sim_trunk, sim_lead, admin_user):
    request = services.rotation_request_create(
        actor=sim_lead, trunk=sim_trunk, reason="Contractor left"
    )
    assert request.status == RequestStatus.OPEN
    notice = Notification.objects.get(user=admin_user)
    assert "Ops Trunk" in notice.title and "Contractor left" in notice.body
    with pytest.raises(ValidationError):
        services.rotation_request_create(actor=sim_lead, trunk=sim_trunk)
    # A request opens the routine rotation; doing it closes the request.
    assert services.normal_rotation_allowed(sim_trunk)
    job = services.rotation_start(
        actor=admin_user, trunk=sim_trunk, reason=RotationReason.REQUESTED
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.DONE and request.job == job


def test_viewers_and_other_teams_cannot_ask(sim_trunk, viewer_a, lead_b):
    for user in (viewer_a, lead_b):
        with pytest.raises(PermissionDenied):
            services.rotation_request_create(actor=user, trunk=sim_trunk)
    assert not RotationRequest.objects.exists()
