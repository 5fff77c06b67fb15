"""The inventory search: what fits a request, what is left out, and Vobiz failing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import ProviderError
from phone_numbers.services import inventory_search
from tests.phone_numbers.factories import NumberPurchaseFactory, NumberRequestFactory

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def sim_request(world):
    return NumberRequestFactory(
        sub_account=world.team, requested_by=world.lead, series="79", quantity=2
    )


def test_offers_fit_the_series_and_skip_numbers_being_bought(
    admin_user, sim_request, request_b
):
    offers = inventory_search(actor=admin_user, number_request=sim_request)
    assert offers and all(o.e164.startswith("+9179") for o in offers)
    assert all(o.cost == o.setup_fee + o.monthly_fee for o in offers)
    NumberPurchaseFactory(request=request_b, position=1, e164=offers[0].e164)

    again = inventory_search(actor=admin_user, number_request=sim_request)
    assert offers[0].e164 not in [o.e164 for o in again]


def test_the_search_is_for_admins(world, sim_request):
    with pytest.raises(PermissionDenied):
        inventory_search(actor=world.lead, number_request=sim_request)
    assert world.sim.control.counters()["requests_by_path"] == {}


def test_vobiz_failing_is_a_provider_error(admin_user, sim_request, world):
    world.sim.control.rate_limit(retry_after=30, count=5)
    with pytest.raises(ProviderError) as error:
        inventory_search(actor=admin_user, number_request=sim_request)
    assert error.value.kind == "rate_limited" and error.value.retry_after == 30
    assert error.value.message == "Vobiz is rate-limiting requests; try again in 30 s."
