"""Releasing a number and undoing it: what Vobiz answered is what the portal keeps."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from core.errors import ProviderError
from phone_numbers.choices import ReleaseStatus
from phone_numbers.models import NumberRelease, PhoneNumber
from phone_numbers.services import number_release, number_release_cancel

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def sim_number(world):
    return PhoneNumber.objects.filter(sub_account=world.team).order_by("e164").first()


def test_a_release_keeps_vobiz_s_fee_and_window_and_undo_restores_it(
    admin_user, world, sim_number
):
    release = number_release(actor=admin_user, number=sim_number, reason="Unused")
    assert release.fee == Decimal("700")
    assert release.status == ReleaseStatus.PENDING
    assert release.cooldown_ends_at > timezone.now()
    sim_number.refresh_from_db()
    assert sim_number.status == "pending_release"
    assert sim_number.cancel_release_until == release.cooldown_ends_at

    number_release_cancel(actor=admin_user, number=sim_number)
    sim_number.refresh_from_db()
    release.refresh_from_db()
    assert sim_number.status == "active" and release.status == "cancelled"


def test_vobiz_failing_is_a_provider_error_and_changes_nothing(
    admin_user, world, sim_number
):
    world.sim.control.fail(status=500, count=10, method="DELETE")
    with pytest.raises(ProviderError) as error:
        number_release(actor=admin_user, number=sim_number, reason="Unused")
    assert error.value.kind == "unavailable"
    assert error.value.message.startswith("Vobiz did not answer properly")
    sim_number.refresh_from_db()
    assert sim_number.status == "active" and not NumberRelease.objects.exists()
