"""Routing and moving numbers: Vobiz first, the portal only once Vobiz accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AuditEvent
from core.errors import ProviderError
from phone_numbers.models import PhoneNumber
from phone_numbers.services import number_assign_trunk, number_move
from tests.phone_numbers.factories import TrunkFactory

pytestmark = pytest.mark.django_db


def test_a_trunk_of_another_team_is_refused_before_vobiz(admin_user, number_a, team_b):
    with pytest.raises(ValidationError) as error:
        number_assign_trunk(
            actor=admin_user, number=number_a, trunk=TrunkFactory(sub_account=team_b)
        )
    assert "trunk" in error.value.error_dict
    assert not AuditEvent.objects.exists()


@pytest.fixture
def sim_number(world):
    return PhoneNumber.objects.filter(sub_account=world.team).order_by("e164").first()


@pytest.mark.integration
def test_a_move_in_the_cool_off_is_a_provider_error_and_changes_nothing(
    admin_user, world, sim_number
):
    number_move(actor=admin_user, number=sim_number, sub_account=world.other_team)
    sim_number.refresh_from_db()

    with pytest.raises(ProviderError) as error:
        number_move(actor=admin_user, number=sim_number, sub_account=world.team)

    until = timezone.localtime(timezone.now() + dt.timedelta(days=15))
    assert error.value.kind == "cool_off"
    assert error.value.message == (
        f"This number can move again on {until:%-d %b %Y} (15-day cool-off)."
    )
    sim_number.refresh_from_db()
    assert sim_number.sub_account == world.other_team
    assert AuditEvent.objects.filter(action="number.move").count() == 1
