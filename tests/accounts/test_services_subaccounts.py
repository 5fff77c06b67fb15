"""Sub-account writes go to Vobiz (the simulator) first; a Vobiz failure leaves
the portal unchanged and reaches the caller as the portal's ProviderError."""

from __future__ import annotations

import pytest
import requests
from django.core.exceptions import PermissionDenied, ValidationError

from accounts import services
from accounts.models import AuditEvent, SubAccount
from core.errors import ProviderError
from tests.accounts.conftest import at_vobiz
from vobiz.errors import ServerError, ValidationFailed

pytestmark = pytest.mark.django_db


def test_provision_creates_at_vobiz_and_stores_the_token_encrypted(
    sim, sim_provider, admin_user
):
    team, token = services.subaccount_provision(
        actor=admin_user,
        provider_account=sim_provider,
        name="Night Desk",
        description="Overnight",
        rate_limit=400,
        permit_cdr=False,
    )
    remote = at_vobiz(sim, team.auth_id).json()
    assert remote["name"] == "Night Desk" and remote["rate_limit"] == 400
    assert remote["permissions"] == {"calls": True, "cdr": False}
    assert team.auth_id.startswith("SA_") and team.remote_id == str(remote["id"])
    stored = SubAccount.objects.get(pk=team.pk)
    assert stored.auth_token.reveal() == token and len(token) >= 20
    # The token works: the sub-account can call its own routes with it.
    own = requests.get(
        f"{sim.base_url}/Account/{team.auth_id}/trunks",
        headers=sim.auth_headers(team.auth_id, token),
        verify=sim.ca_bundle,
        timeout=10,
    )
    assert own.status_code == 200
    event = AuditEvent.objects.get(action="subaccount.create")
    assert token not in str(event.after)


def test_a_vobiz_failure_on_create_changes_nothing(sim, sim_provider, admin_user):
    sim.control.fail(status=500, count=1, path_prefix="/api/v1/accounts")
    with pytest.raises(ProviderError) as raised:
        services.subaccount_provision(
            actor=admin_user, provider_account=sim_provider, name="Night Desk"
        )
    assert isinstance(raised.value.__cause__, ServerError)
    assert not SubAccount.objects.exists()
    assert not AuditEvent.objects.exists()


def test_bad_values_are_refused_before_vobiz_is_called(sim, sim_provider, admin_user):
    sim.control.reset_counters()
    with pytest.raises(ValidationError):
        services.subaccount_provision(
            actor=admin_user, provider_account=sim_provider, name="<b>"
        )
    assert sim.control.counters()["requests"] == 0


def test_update_changes_vobiz_then_the_portal(sim, sim_team, admin_user):
    services.subaccount_update(
        actor=admin_user,
        sub_account=sim_team,
        name="Ops Prime",
        rate_limit=250,
        permit_calls=False,
        permit_cdr=True,
        kind="application",
    )
    remote = at_vobiz(sim, sim_team.auth_id).json()
    assert remote["name"] == "Ops Prime" and remote["rate_limit"] == 250
    assert remote["permissions"] == {"calls": False, "cdr": True}
    sim_team.refresh_from_db()
    assert (sim_team.name, sim_team.kind) == ("Ops Prime", "application")


def test_a_refused_update_leaves_both_sides_unchanged(sim, sim_team, admin_user):
    sim.control.fail(status=422, count=1, path_prefix="/api/v1/accounts", method="PUT")
    with pytest.raises(ProviderError) as raised:
        services.subaccount_update(
            actor=admin_user, sub_account=sim_team, name="Ops Prime"
        )
    assert isinstance(raised.value.__cause__, ValidationFailed)
    sim_team.refresh_from_db()
    assert sim_team.name == "Ops Team"
    assert at_vobiz(sim, sim_team.auth_id).json()["name"] == "Ops Team"
    assert not AuditEvent.objects.filter(action="subaccount.update").exists()


def test_a_portal_only_field_does_not_call_vobiz(sim, sim_team, admin_user):
    sim.control.reset_counters()
    services.subaccount_update(actor=admin_user, sub_account=sim_team, kind="partner")
    assert sim.control.counters()["requests"] == 0


def test_disable_and_enable_reach_vobiz(sim, sim_team, admin_user):
    services.subaccount_set_enabled(
        actor=admin_user, sub_account=sim_team, enabled=False
    )
    assert at_vobiz(sim, sim_team.auth_id).json()["enabled"] is False
    sim_team.refresh_from_db()
    assert sim_team.enabled is False and sim_team.disabled_at is not None
    services.subaccount_set_enabled(
        actor=admin_user, sub_account=sim_team, enabled=True
    )
    assert at_vobiz(sim, sim_team.auth_id).json()["enabled"] is True


def test_a_failed_disable_keeps_it_enabled(sim, sim_team, admin_user):
    sim.control.fail(status=500, count=2, path_prefix="/api/v1/accounts", method="PUT")
    with pytest.raises(ProviderError) as raised:
        services.subaccount_set_enabled(
            actor=admin_user, sub_account=sim_team, enabled=False
        )
    assert isinstance(raised.value.__cause__, ServerError)
    sim_team.refresh_from_db()
    assert sim_team.enabled is True


def test_push_creates_a_portal_only_sub_account_at_vobiz(sim, sim_provider, admin_user):
    local = services.subaccount_create(
        actor=None, provider_account=sim_provider, name="Typed In", rate_limit=77
    )
    assert local.auth_id is None
    pushed, token = services.subaccount_push(actor=admin_user, sub_account=local)
    assert pushed.auth_id.startswith("SA_") and pushed.auth_token.reveal() == token
    assert at_vobiz(sim, pushed.auth_id).json()["rate_limit"] == 77
    with pytest.raises(ValidationError):
        services.subaccount_push(actor=admin_user, sub_account=pushed)


def test_only_admins_may_reveal_a_token_and_each_reveal_is_audited(
    sim_team, admin_user, lead_a
):
    with pytest.raises(PermissionDenied):
        services.subaccount_token_reveal(actor=lead_a, sub_account=sim_team)
    services.subaccount_token_reveal(actor=admin_user, sub_account=sim_team)
    event = AuditEvent.objects.get(action="subaccount.token_revealed")
    assert event.actor == admin_user and event.sub_account_id == sim_team.pk


class RefusingClient:
    """A master client whose every change Vobiz refuses, naming the field."""

    def update_sub_account(self, auth_id, **body):
        raise ValidationFailed(
            "Invalid permissions",
            status=422,
            details={"errors": [{"field": "permissions", "message": "not allowed"}]},
        )


def test_a_refusal_names_the_form_field_of_the_vobiz_field(
    team_a, admin_user, monkeypatch
):
    monkeypatch.setattr(
        "accounts.services.subaccounts.master_client", lambda provider: RefusingClient()
    )
    with pytest.raises(ProviderError) as raised:
        services.subaccount_update(
            actor=admin_user, sub_account=team_a, permit_calls=False, permit_cdr=True
        )
    assert raised.value.field_errors == {"permit_calls": ["Vobiz: not allowed"]}
    assert raised.value.message.startswith("Vobiz refused the values")
    team_a.refresh_from_db()
    assert team_a.permit_calls is True


def test_a_refused_disable_is_a_provider_error_and_changes_nothing(
    team_a, admin_user, monkeypatch
):
    monkeypatch.setattr(
        "accounts.services.subaccounts.master_client", lambda provider: RefusingClient()
    )
    with pytest.raises(ProviderError) as raised:
        services.subaccount_set_enabled(
            actor=admin_user, sub_account=team_a, enabled=False
        )
    assert raised.value.kind == "refused"
    team_a.refresh_from_db()
    assert team_a.enabled is True and team_a.disabled_at is None
    assert not AuditEvent.objects.filter(action="subaccount.disable").exists()
