"""Deciding number requests: approval and rejection (four eyes) and the live
inventory search an admin approves with."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from monitoring.models import Notification
from phone_numbers.models import NumberPurchase, NumberRequest
from tests.phone_numbers.factories import NumberPurchaseFactory, NumberRequestFactory

pytestmark = pytest.mark.django_db


def detail(r):
    return reverse("phone_numbers:request_detail", args=[r.pk])


def approve_url(r):
    return reverse("phone_numbers:request_approve", args=[r.pk])


def reject_url(r):
    return reverse("phone_numbers:request_reject", args=[r.pk])


def inventory_url(r):
    return reverse("phone_numbers:request_inventory", args=[r.pk])


# --- request_approve / request_reject: four eyes --------------------------------


def test_an_admin_approves_and_the_purchase_is_queued_after_commit(
    as_admin, request_a, enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(approve_url(request_a), {"comment": "ok"})
    assert response.status_code == 302 and response["Location"] == detail(request_a)
    request_a.refresh_from_db()
    assert request_a.status == "approved" and request_a.decision_comment == "ok"
    assert NumberPurchase.objects.filter(request=request_a).count() == 2
    assert enqueued == [request_a.pk]
    assert AuditEvent.objects.filter(action="number_request.approve").count() == 1


def test_chosen_numbers_are_kept_in_order(as_admin, request_a, enqueued):
    numbers = ["+918041111111", "+918041222222"]
    as_admin.post(approve_url(request_a), {"numbers": numbers})
    rows = NumberPurchase.objects.filter(request=request_a).order_by("position")
    assert [(r.e164, r.chosen_by_admin) for r in rows] == [
        (numbers[0], True),
        (numbers[1], True),
    ]


@pytest.mark.parametrize(
    ("numbers", "message"),
    [
        (["+912212345678"], "not in the 80 series"),
        (["+14155551234"], "is not a IN number"),
        (["+9180"], "wrong number of digits"),
        (["+918041000001", "+918041000002", "+918041000003"], "at most 2"),
        (["not a number"], "is not a phone number"),
    ],
)
def test_bad_chosen_numbers_get_an_error_and_change_nothing(
    as_admin, request_a, enqueued, htmx_headers, numbers, message
):
    response = as_admin.post(
        approve_url(request_a), {"numbers": numbers}, **htmx_headers
    )
    assert response.status_code == 200 and b"<html" not in response.content
    assert message in response.content.decode()
    request_a.refresh_from_db()
    assert request_a.status == "pending" and not request_a.purchases.exists()
    assert enqueued == []


def test_a_number_another_request_is_buying_cannot_be_chosen(
    as_admin, request_a, request_b, enqueued
):
    NumberPurchaseFactory(request=request_b, position=1, e164="+918041111111")
    response = as_admin.post(approve_url(request_a), {"numbers": ["+918041111111"]})
    assert "Already being bought" in response.content.decode()
    assert not request_a.purchases.exists()


def test_nobody_approves_or_rejects_their_own_request(
    as_admin, admin_user, team_a, enqueued
):
    own = NumberRequestFactory(sub_account=team_a, requested_by=admin_user)
    assert as_admin.post(approve_url(own)).status_code == 403
    assert as_admin.post(reject_url(own), {"comment": "no"}).status_code == 403
    assert as_admin.get(inventory_url(own)).status_code == 403
    own.refresh_from_db()
    assert own.status == "pending" and own.decided_by is None
    assert enqueued == []


@pytest.mark.parametrize("url", [approve_url, reject_url])
def test_leads_get_403_and_other_teams_404(as_lead_a, as_lead_b, request_a, url):
    assert as_lead_a.post(url(request_a), {"comment": "x"}).status_code == 403
    assert as_lead_b.post(url(request_a), {"comment": "x"}).status_code == 404


@pytest.mark.parametrize("url", [approve_url, reject_url, inventory_url])
def test_unknown_requests_are_404(as_admin, url):
    missing = NumberRequest(pk=999999)
    client_call = as_admin.get if url is inventory_url else as_admin.post
    assert client_call(url(missing)).status_code == 404


def test_a_decided_request_cannot_be_decided_again(as_admin, request_a, enqueued):
    NumberRequest.objects.filter(pk=request_a.pk).update(status="rejected")
    response = as_admin.post(approve_url(request_a), follow=True)
    assert "already decided" in response.content.decode()
    assert not request_a.purchases.exists()
    request_a.refresh_from_db()
    assert request_a.status == "rejected"


def test_rejecting_needs_a_comment_and_tells_the_requester(
    as_admin, request_a, lead_a, htmx_headers
):
    response = as_admin.post(reject_url(request_a), {"comment": "  "}, **htmx_headers)
    assert b"<html" not in response.content
    assert "comment" in response.context["reject_form"].errors
    request_a.refresh_from_db()
    assert request_a.status == "pending"

    response = as_admin.post(reject_url(request_a), {"comment": "Use the 79 series"})
    assert response.status_code == 302
    request_a.refresh_from_db()
    assert request_a.status == "rejected" and request_a.finished_at
    notice = Notification.objects.get(user=lead_a)
    assert "Use the 79 series" in notice.body


def test_the_lead_sees_the_rejection_badge(as_lead_a, request_a, as_admin):
    as_admin.post(reject_url(request_a), {"comment": "Use the 79 series"})
    response = as_lead_a.get(detail(request_a))
    assert b"Rejected" in response.content and b"Use the 79 series" in response.content


# --- request_inventory (live search at the simulator) ---------------------------


def ticked_values(response):
    return re.findall(r'name="numbers" value="([^"]+)"', response.content.decode())


@pytest.fixture
def sim_request(world, admin_user):
    return NumberRequestFactory(
        sub_account=world.team, requested_by=world.lead, series="79", quantity=2
    )


@pytest.mark.integration
def test_the_inventory_search_lists_matching_numbers_as_checkboxes(
    as_admin, sim_request, htmx_headers
):
    response = as_admin.get(inventory_url(sim_request), {"q": ""}, **htmx_headers)
    assert response.status_code == 200 and b"<html" not in response.content
    offers = ticked_values(response)
    assert offers and all(e164.startswith("+9179") for e164 in offers)
    assert b'id="inventory"' in response.content
    narrowed = as_admin.get(
        inventory_url(sim_request), {"q": offers[0][-6:]}, **htmx_headers
    )
    assert offers[0] in ticked_values(narrowed)


@pytest.mark.integration
def test_the_inventory_search_without_htmx_renders_the_whole_page(
    as_admin, sim_request
):
    response = as_admin.get(inventory_url(sim_request))
    assert b"<html" in response.content and b'id="approve-form"' in response.content


@pytest.mark.integration
def test_a_vobiz_failure_in_the_search_is_explained(as_admin, sim_request, world):
    world.sim.control.rate_limit(retry_after=30, count=5)
    response = as_admin.get(inventory_url(sim_request))
    assert "try again in 30 s" in response.context["inventory_error"]


def test_bad_search_input_gets_an_error_without_calling_vobiz(as_admin, request_a):
    response = as_admin.get(inventory_url(request_a), {"q": "80-abc"})
    assert response.status_code == 200
    assert response.context["search_form"].errors["q"]
    assert response.context["offers"] == []


def test_the_inventory_search_is_for_admins(as_lead_a, as_lead_b, request_a):
    assert as_lead_a.get(inventory_url(request_a)).status_code == 403
    assert as_lead_b.get(inventory_url(request_a)).status_code == 404
