"""Deleting a sub-account: at Vobiz (the simulator) first, then the row goes, or
stays as history when anything refers to it."""

from __future__ import annotations

import pytest
import requests
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import services
from accounts.models import AuditEvent, SubAccount
from core.errors import ProviderError
from sync.models import ApiCall
from tests.accounts.conftest import at_vobiz
from tests.trunks.factories import TrunkFactory
from vobiz.errors import ServerError

pytestmark = pytest.mark.django_db


def test_delete_needs_the_exact_name(sim, sim_team, admin_user):
    with pytest.raises(ValidationError):
        services.subaccount_delete(
            actor=admin_user, sub_account=sim_team, confirm_name="ops team"
        )
    assert at_vobiz(sim, sim_team.auth_id).status_code == 200


def test_delete_of_an_unreferenced_sub_account_removes_the_row(
    sim, sim_team, admin_user
):
    auth_id = sim_team.auth_id
    outcome = services.subaccount_delete(
        actor=admin_user, sub_account=sim_team, confirm_name="Ops Team"
    )
    assert outcome == "deleted"
    assert at_vobiz(sim, auth_id).status_code == 404
    assert not SubAccount.objects.filter(pk=sim_team.pk).exists()
    event = AuditEvent.objects.get(action="subaccount.delete")
    assert event.sub_account_label == "Ops Team"  # history outlives the row


def test_delete_of_a_referenced_sub_account_keeps_it_as_history(
    sim, sim_team, admin_user
):
    trunk = TrunkFactory(sub_account=sim_team)
    outcome = services.subaccount_delete(
        actor=admin_user, sub_account=sim_team, confirm_name="Ops Team"
    )
    assert outcome == "removed"
    sim_team.refresh_from_db()
    trunk.refresh_from_db()
    assert sim_team.removed_at and not sim_team.enabled and not sim_team.auth_token
    assert trunk.removed_at is not None


def test_a_failed_delete_keeps_everything(sim, sim_team, admin_user):
    sim.control.fail(
        status=500, count=2, path_prefix="/api/v1/accounts", method="DELETE"
    )
    with pytest.raises(ProviderError) as raised:
        services.subaccount_delete(
            actor=admin_user, sub_account=sim_team, confirm_name="Ops Team"
        )
    assert isinstance(raised.value.__cause__, ServerError)
    sim_team.refresh_from_db()
    assert sim_team.removed_at is None and sim_team.auth_token
    assert at_vobiz(sim, sim_team.auth_id).status_code == 200


def test_one_already_gone_at_vobiz_is_still_deleted_here(sim, sim_team, admin_user):
    master = sim.credentials["auth_id"]
    gone = requests.delete(
        f"{sim.base_url}/accounts/{master}/sub-accounts/{sim_team.auth_id}",
        headers=sim.auth_headers(),
        verify=sim.ca_bundle,
        timeout=10,
    )
    assert gone.status_code in (200, 204)
    outcome = services.subaccount_delete(
        actor=admin_user, sub_account=sim_team, confirm_name="Ops Team"
    )
    assert outcome == "deleted"
    assert not SubAccount.objects.filter(pk=sim_team.pk).exists()


def test_logged_api_calls_and_memberships_are_not_history(team_a, lead_a):
    # lead_a is a member of team_a; an API call of the team is only a log line.
    ApiCall.objects.create(
        created_at=timezone.now(),
        provider_account=team_a.provider_account,
        sub_account=team_a,
        method="GET",
        path_template="/Account/{id}/trunks",
        url="https://api.example/Account/SA_X/trunks",
        duration_ms=1.0,
        outcome="ok",
    )
    assert services.subaccount_is_referenced(team_a) is False
    TrunkFactory(sub_account=team_a)
    assert services.subaccount_is_referenced(team_a) is True
