"""Number pages: inventory, detail, routing, moves, release and undo, utilization."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from billing.models import Cdr
from phone_numbers.models import NumberRelease, PhoneNumber
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.phone_numbers.factories import PhoneNumberFactory, TrunkFactory

pytestmark = pytest.mark.django_db

LIST = reverse("phone_numbers:number_list")
UTILIZATION = reverse("phone_numbers:utilization")


def url(name, number):
    return reverse(f"phone_numbers:{name}", args=[number.pk])


def calls(number, count, *, days_ago=1, inbound=False):
    """Add `count` CDRs for a number on one day (outbound from it, or inbound)."""
    start = timezone.now() - dt.timedelta(days=days_ago)
    Cdr.objects.bulk_create(
        [
            Cdr(
                uuid=uuid.uuid4(),
                provider_account=number.provider_account,
                sub_account=number.sub_account,
                account_auth_id=number.account_auth_id,
                start_time=start + dt.timedelta(seconds=n),
                direction="inbound" if inbound else "outbound",
                from_number="+919845000000" if inbound else number.e164,
                to_number=number.e164 if inbound else "+919845000000",
            )
            for n in range(count)
        ]
    )


# --- number_list ----------------------------------------------------------------


def test_admin_sees_every_number_grouped_for_reading(as_admin, number_a, number_b):
    response = as_admin.get(LIST)
    assert response.status_code == 200 and b"<html" in response.content
    assert [n for n, _ in response.context["rows"]] == [number_b, number_a]
    assert b"+91 80 4123 4567" in response.content
    assert b"+91 22 1234 5678" in response.content


def test_finance_reads_every_number(as_finance, number_a, number_b):
    response = as_finance.get(LIST)
    assert len(response.context["rows"]) == 2
    assert b"Request numbers" not in response.content


def test_members_see_only_their_team(as_lead_a, as_viewer_a, number_a, number_b):
    for client in (as_lead_a, as_viewer_a):
        assert [n for n, _ in client.get(LIST).context["rows"]] == [number_a]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"series": "80"}, ["a"]),
        ({"series": "22"}, ["b"]),
        ({"series": "140"}, ["p"]),
        ({"status": "pending_release"}, ["p"]),
        ({"q": "80 4123"}, ["a"]),
        ({"country": "US"}, []),
    ],
)
def test_filters(as_admin, number_a, number_b, team_a, params, expected):
    promo = PhoneNumberFactory(
        sub_account=team_a, e164="+911401234567", status="pending_release"
    )
    named = {"a": number_a, "b": number_b, "p": promo}
    rows = as_admin.get(LIST, params).context["rows"]
    assert [n for n, _ in rows] == sorted(
        (named[k] for k in expected), key=lambda n: n.e164
    )


def test_filter_by_trunk_and_sub_account(as_admin, number_a, number_b, trunk_a, team_b):
    assert [
        n for n, _ in as_admin.get(LIST, {"trunk": trunk_a.pk}).context["rows"]
    ] == [number_a]
    by_team = as_admin.get(LIST, {"sub_account": team_b.pk}).context["rows"]
    assert [n for n, _ in by_team] == [number_b]


def test_htmx_gets_only_the_rows(as_admin, number_a, htmx_headers):
    response = as_admin.get(LIST, {"series": "80"}, **htmx_headers)
    assert b"<html" not in response.content and b"<table" in response.content
    assert response["Vary"] == "HX-Request" or "HX-Request" in response["Vary"]


def test_numbers_above_the_guidance_are_flagged(as_admin, number_a, number_b, settings):
    settings.NUMBER_UTILIZATION_LIMIT = 5
    calls(number_a, 6, days_ago=1)
    calls(number_a, 3, days_ago=2, inbound=True)
    calls(number_b, 5, days_ago=1)
    calls(number_b, 50, days_ago=9)  # outside the 7 days
    rows = dict(as_admin.get(LIST).context["rows"])
    assert (rows[number_a].total, rows[number_a].peak, rows[number_a].days_over) == (
        9,
        6,
        1,
    )
    assert rows[number_b].total == 5 and not rows[number_b].over_limit
    assert b"Over 5/day on 1 day" in as_admin.get(LIST).content


def test_the_empty_state_says_what_to_do_next(as_lead_a, team_a):
    response = as_lead_a.get(LIST)
    assert b"No numbers yet" in response.content and b"request one" in response.content


def _numbers(team, count, start):
    PhoneNumber.objects.bulk_create(
        [
            PhoneNumber(
                provider_account=team.provider_account,
                sub_account=team,
                e164=f"+9179{start + n:08d}",
            )
            for n in range(count)
        ]
    )


@pytest.mark.parametrize("persona", ["as_admin", "as_lead_a"])
def test_list_query_count_does_not_grow(request, persona, team_a, trunk_a):
    client = request.getfixturevalue(persona)
    _numbers(team_a, 3, 10_000_000)
    small = count_queries(lambda: client.get(LIST))
    _numbers(team_a, 40, 20_000_000)
    large = count_queries(lambda: client.get(LIST))
    assert small == large <= MAX_LIST_QUERIES


# --- number_detail --------------------------------------------------------------


def test_a_lead_reads_their_number_without_the_admin_forms(as_lead_a, number_a):
    response = as_lead_a.get(url("number_detail", number_a))
    assert response.status_code == 200 and b"<html" in response.content
    assert b"Team A Outbound" in response.content
    assert (
        b'id="trunk-form"' not in response.content
        and b"Release" not in response.content
    )


def test_an_admin_gets_the_routing_forms_and_htmx_only_the_partial(
    as_admin, number_a, htmx_headers
):
    full = as_admin.get(url("number_detail", number_a))
    assert b'id="trunk-form"' in full.content and b'id="move-form"' in full.content
    partial = as_admin.get(url("number_detail", number_a), **htmx_headers)
    assert b"<html" not in partial.content and b'id="trunk-form"' in partial.content


def test_the_dlt_registration_is_shown_with_the_number(as_lead_a, number_a):
    PhoneNumber.objects.filter(pk=number_a.pk).update(
        dlt_entity_id="1201159876543210987", dlt_header="ACMEBK", dlt_purpose="EMI"
    )
    response = as_lead_a.get(url("number_detail", number_a))
    assert b"1201159876543210987" in response.content and b"ACMEBK" in response.content


NUMBER_VIEWS = [
    ("number_detail", "get"),
    ("number_trunk", "post"),
    ("number_move", "post"),
    ("number_release", "get"),
    ("number_release_undo", "post"),
]


@pytest.mark.parametrize(("name", "method"), NUMBER_VIEWS)
def test_other_teams_and_unknown_numbers_are_404(
    as_lead_b, as_admin, number_a, name, method
):
    assert getattr(as_lead_b, method)(url(name, number_a)).status_code == 404
    missing = PhoneNumber(pk=999999)
    assert getattr(as_admin, method)(url(name, missing)).status_code == 404


@pytest.mark.parametrize(("name", "method"), NUMBER_VIEWS[1:])
@pytest.mark.parametrize("persona", ["as_lead_a", "as_viewer_a", "as_finance"])
def test_writes_are_for_admins(request, persona, number_a, name, method):
    client = request.getfixturevalue(persona)
    assert getattr(client, method)(url(name, number_a)).status_code == 403
    number_a.refresh_from_db()
    assert number_a.status == "active" and number_a.trunk is not None
    assert not AuditEvent.objects.exists()


def test_an_unknown_trunk_is_a_field_error_and_changes_nothing(
    as_admin, number_a, team_b, htmx_headers
):
    foreign = TrunkFactory(sub_account=team_b)
    response = as_admin.post(
        url("number_trunk", number_a), {"trunk": foreign.pk}, **htmx_headers
    )
    assert response.status_code == 200 and b"<html" not in response.content
    assert b"Select a valid choice" in response.content
    number_a.refresh_from_db()
    assert number_a.trunk.name == "Team A Outbound"


# --- utilization ---------------------------------------------------------------


def test_utilization_lists_the_busiest_first_and_flags_them(
    as_admin, number_a, number_b, settings
):
    settings.NUMBER_UTILIZATION_LIMIT = 4
    calls(number_b, 5)
    calls(number_a, 2)
    response = as_admin.get(UTILIZATION)
    assert response.status_code == 200 and b"<html" in response.content
    assert [n for n, _ in response.context["rows"]] == [number_b, number_a]
    assert response.context["over"] == 1
    assert (
        b"Over 4/day on 1 day" in response.content
        and b"Within guidance" in response.content
    )


def test_utilization_is_scoped_and_htmx_gets_the_rows(
    as_lead_a, number_a, number_b, htmx_headers
):
    response = as_lead_a.get(UTILIZATION, **htmx_headers)
    assert b"<html" not in response.content
    assert b"+91 80 4123 4567" in response.content and b"+91 22" not in response.content


def test_utilization_query_count_does_not_grow(as_admin, team_a):
    _numbers(team_a, 3, 10_000_000)
    small = count_queries(lambda: as_admin.get(UTILIZATION))
    _numbers(team_a, 40, 20_000_000)
    large = count_queries(lambda: as_admin.get(UTILIZATION))
    assert small == large <= MAX_LIST_QUERIES


# --- writes against the simulator -------------------------------------------------


@pytest.fixture
def sim_number(world):
    """A seeded number of the world's team, routed to nothing."""
    return PhoneNumber.objects.filter(sub_account=world.team).order_by("e164").first()


@pytest.mark.integration
def test_an_admin_routes_a_number_to_a_trunk_and_back(as_admin, world, sim_number):
    response = as_admin.post(url("number_trunk", sim_number), {"trunk": world.trunk.pk})
    assert response.status_code == 302
    sim_number.refresh_from_db()
    assert sim_number.trunk == world.trunk
    remote = next(world.sim_client().list_numbers(search=sim_number.e164[1:]))
    assert remote["trunk_group_id"] == world.trunk.remote_id
    assert AuditEvent.objects.filter(action="number.assign_trunk").count() == 1

    as_admin.post(url("number_trunk", sim_number), {"trunk": ""})
    sim_number.refresh_from_db()
    assert sim_number.trunk is None


@pytest.mark.integration
def test_the_cool_off_is_shown_plainly_and_nothing_changes(
    as_admin, world, sim_number, htmx_headers
):
    first = as_admin.post(
        url("number_move", sim_number), {"sub_account": world.other_team.pk}
    )
    assert first.status_code == 302
    sim_number.refresh_from_db()
    assert sim_number.sub_account == world.other_team

    response = as_admin.post(
        url("number_move", sim_number), {"sub_account": world.team.pk}, **htmx_headers
    )
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content
    until = timezone.localtime(timezone.now() + dt.timedelta(days=15))
    assert (
        f"This number can move again on {until:%-d %b %Y} (15-day cool-off)." in content
    )
    sim_number.refresh_from_db()
    assert sim_number.sub_account == world.other_team
    assert AuditEvent.objects.filter(action="number.move").count() == 1


@pytest.mark.integration
def test_moving_back_to_the_master_account(as_admin, world, sim_number):
    response = as_admin.post(url("number_move", sim_number), {"sub_account": ""})
    assert response.status_code == 302
    sim_number.refresh_from_db()
    assert sim_number.sub_account is None
    assert sim_number.account_auth_id == world.provider.auth_id


@pytest.mark.integration
def test_release_shows_the_fee_and_where_it_comes_from_then_undo(
    as_admin, world, sim_number
):
    page = as_admin.get(url("number_release", sim_number))
    assert b"700.00 INR" in page.content
    assert b"documented default" in page.content
    # Without the confirmation nothing is sent.
    refused = as_admin.post(url("number_release", sim_number), {"reason": "Unused"})
    assert "confirm" in refused.context["form"].errors
    sim_number.refresh_from_db()
    assert sim_number.status == "active"

    NumberReleaseTrunk = world.trunk
    PhoneNumber.objects.filter(pk=sim_number.pk).update(trunk=NumberReleaseTrunk)
    response = as_admin.post(
        url("number_release", sim_number),
        {"reason": "Unused", "confirm": "on"},
        follow=True,
    )
    release = NumberRelease.objects.get()
    assert release.fee == Decimal("700") and release.cooldown_ends_at > timezone.now()
    assert release.previous_trunk == world.trunk
    assert b"Vobiz charged 700.00 INR" in response.content
    assert b"Undo release" in response.content
    sim_number.refresh_from_db()
    assert sim_number.status == "pending_release" and sim_number.trunk is None
    assert AuditEvent.objects.filter(action="number.release").count() == 1

    # The next release shows the fee this one charged.
    other = PhoneNumber.objects.filter(sub_account=world.team).exclude(
        pk=sim_number.pk
    )[0]
    assert (
        b"the fee Vobiz charged for the last release"
        in as_admin.get(url("number_release", other)).content
    )

    undone = as_admin.post(url("number_release_undo", sim_number), follow=True)
    content = undone.content.decode()
    assert "Release undone" in content and "does not restore trunk" in content
    assert world.trunk.name in content
    sim_number.refresh_from_db()
    release.refresh_from_db()
    assert sim_number.status == "active" and release.status == "cancelled"
    # The routing form offers the trunk it had before.
    assert undone.context["trunk_form"].initial["trunk"] == world.trunk.pk
    assert AuditEvent.objects.filter(action="number.release_cancel").count() == 1


@pytest.mark.integration
def test_undo_after_the_window_is_refused(as_admin, world, sim_number):
    as_admin.post(
        url("number_release", sim_number), {"reason": "Unused", "confirm": "on"}
    )
    NumberRelease.objects.update(
        cooldown_ends_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = as_admin.post(url("number_release_undo", sim_number), follow=True)
    assert b"window to undo this release has passed" in response.content
    sim_number.refresh_from_db()
    assert sim_number.status == "pending_release"


@pytest.mark.integration
def test_a_vobiz_error_on_release_changes_nothing(as_admin, world, sim_number):
    world.sim.control.fail(status=500, count=10, method="DELETE")
    response = as_admin.post(
        url("number_release", sim_number), {"reason": "Unused", "confirm": "on"}
    )
    assert response.status_code == 200
    assert b"Vobiz did not answer properly" in response.content
    sim_number.refresh_from_db()
    assert sim_number.status == "active" and not NumberRelease.objects.exists()
