"""Number request pages: the form, the lists, the queue, decisions and progress."""

from __future__ import annotations

import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import AuditEvent
from monitoring.models import Notification
from phone_numbers.models import NumberPurchase, NumberRequest
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.phone_numbers.factories import (
    NumberPurchaseFactory,
    NumberRequestFactory,
    TrunkFactory,
)

pytestmark = pytest.mark.django_db

CREATE = reverse("phone_numbers:request_create")
LIST = reverse("phone_numbers:request_list")
QUEUE = reverse("phone_numbers:request_queue")


def detail(r):
    return reverse("phone_numbers:request_detail", args=[r.pk])


def approve_url(r):
    return reverse("phone_numbers:request_approve", args=[r.pk])


def reject_url(r):
    return reverse("phone_numbers:request_reject", args=[r.pk])


def inventory_url(r):
    return reverse("phone_numbers:request_inventory", args=[r.pk])


VALID = {
    "country": "IN",
    "series": "80",
    "quantity": "2",
    "prefix": "8041",
    "reason": "Collections reminders for Bengaluru",
}


# --- request_create -----------------------------------------------------------


def test_a_lead_requests_numbers_for_their_team(as_lead_a, team_a, lead_a, admin_user):
    response = as_lead_a.post(CREATE, {**VALID, "sub_account": team_a.pk})
    created = NumberRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(created)
    assert (created.sub_account, created.requested_by) == (team_a, lead_a)
    assert (created.quantity, created.prefix, created.status) == (2, "8041", "pending")
    assert AuditEvent.objects.filter(action="number_request.create").count() == 1
    # The admins hear that a request waits for them.
    assert Notification.objects.filter(user=admin_user).count() == 1


def test_the_form_page_says_what_the_button_does(as_lead_a, team_a):
    response = as_lead_a.get(CREATE)
    assert response.status_code == 200 and b"<html" in response.content
    assert b"Request 1 number" in response.content
    assert b"js/numbers.js" in response.content


@pytest.mark.parametrize("persona", ["as_viewer_a", "as_finance"])
def test_people_who_lead_no_team_get_403(request, persona, team_a):
    client = request.getfixturevalue(persona)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, {**VALID, "sub_account": team_a.pk}).status_code == 403
    assert not NumberRequest.objects.exists()


def test_a_lead_cannot_request_for_another_team(as_lead_b, team_a):
    response = as_lead_b.post(CREATE, {**VALID, "sub_account": team_a.pk})
    assert response.status_code == 200
    assert "sub_account" in response.context["form"].errors
    assert not NumberRequest.objects.exists()


def test_an_admin_may_request_for_any_team(as_admin, team_b):
    response = as_admin.post(CREATE, {**VALID, "sub_account": team_b.pk})
    assert response.status_code == 302
    assert NumberRequest.objects.get().sub_account == team_b


def test_htmx_bad_input_gets_the_form_partial_with_field_errors(
    as_lead_a, team_a, htmx_headers
):
    data = {**VALID, "sub_account": team_a.pk, "series": "140", "quantity": "51"}
    response = as_lead_a.post(CREATE, data, **htmx_headers)
    assert response.status_code == 200 and b"<html" not in response.content
    errors = response.context["form"].errors
    assert {"quantity", "prefix", "dlt_entity_id", "dlt_header", "dlt_purpose"} <= set(
        errors
    )
    assert b'id="request-form"' in response.content
    assert not NumberRequest.objects.exists()


def test_a_trunk_of_another_team_is_refused(as_admin, team_a, team_b):
    other = TrunkFactory(sub_account=team_b)
    data = {**VALID, "sub_account": team_a.pk, "trunk": other.pk}
    response = as_admin.post(CREATE, data)
    assert "is not a trunk of Team A" in str(response.context["form"].errors["trunk"])
    assert not NumberRequest.objects.exists()


def test_a_successful_htmx_post_redirects_the_whole_page(
    as_lead_a, team_a, htmx_headers
):
    response = as_lead_a.post(
        CREATE, {**VALID, "sub_account": team_a.pk}, **htmx_headers
    )
    assert response["HX-Redirect"] == detail(NumberRequest.objects.get())


# --- request_list and request_queue ------------------------------------------


def test_members_see_only_their_teams_requests(as_viewer_a, request_a, request_b):
    response = as_viewer_a.get(LIST)
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [request_a]


def test_admin_and_finance_see_every_request(
    as_admin, as_finance, request_a, request_b
):
    for client in (as_admin, as_finance):
        assert set(client.get(LIST).context["page"].object_list) == {
            request_a,
            request_b,
        }


def test_the_list_filters_by_status_through_htmx(
    as_admin, request_a, request_b, htmx_headers
):
    NumberRequest.objects.filter(pk=request_b.pk).update(status="rejected")
    response = as_admin.get(LIST, {"status": "rejected"}, **htmx_headers)
    assert b"<html" not in response.content
    assert list(response.context["page"].object_list) == [request_b]
    assert b"Rejected" in response.content


def _requests(team, user, count):
    for _ in range(count):
        r = NumberRequestFactory(sub_account=team, requested_by=user)
        NumberPurchaseFactory(request=r, position=1)


@pytest.mark.parametrize("url", [LIST, QUEUE])
def test_list_query_counts_do_not_grow_with_the_rows(as_admin, team_a, lead_a, url):
    _requests(team_a, lead_a, 3)
    small = count_queries(lambda: as_admin.get(url))
    _requests(team_a, lead_a, 20)
    large = count_queries(lambda: as_admin.get(url))
    assert small == large <= MAX_LIST_QUERIES


def test_the_queue_is_for_admins_and_lists_pending_oldest_first(
    as_admin, request_a, request_b, htmx_headers
):
    NumberRequest.objects.filter(pk=request_b.pk).update(status="approved")
    response = as_admin.get(QUEUE)
    assert list(response.context["page"].object_list) == [request_a]
    assert b"<html" in response.content
    partial = as_admin.get(QUEUE, **htmx_headers)
    assert b"<html" not in partial.content and b"#%d" % request_a.pk in partial.content


def test_the_pending_count_is_for_admins(admin_user, lead_a, request_a, request_b):
    from phone_numbers.selectors import pending_request_count

    NumberRequest.objects.filter(pk=request_b.pk).update(status="done")
    assert pending_request_count(user=admin_user) == 1
    assert pending_request_count(user=lead_a) == 0


@pytest.mark.parametrize("persona", ["as_lead_a", "as_finance", "as_viewer_a"])
def test_the_queue_is_403_for_everyone_else(request, persona):
    assert request.getfixturevalue(persona).get(QUEUE).status_code == 403


# --- request_detail -----------------------------------------------------------


def test_the_requester_follows_the_status(as_lead_a, request_a):
    response = as_lead_a.get(detail(request_a))
    assert response.status_code == 200 and b"<html" in response.content
    assert b"Pending approval" in response.content
    # A lead never gets the decision forms.
    assert b'id="approve-form"' not in response.content


def test_another_team_and_unknown_ids_get_404(as_lead_b, as_admin, request_a):
    assert as_lead_b.get(detail(request_a)).status_code == 404
    missing = reverse("phone_numbers:request_detail", args=[999999])
    assert as_admin.get(missing).status_code == 404


def test_progress_polls_every_2s_while_buying_and_stops_when_done(
    as_lead_a, request_a, htmx_headers
):
    NumberRequest.objects.filter(pk=request_a.pk).update(status="buying")
    NumberPurchaseFactory(
        request=request_a, position=1, status="done", e164="+918041000001"
    )
    NumberPurchaseFactory(
        request=request_a, position=2, status="buying", e164="+918041000002"
    )
    busy = as_lead_a.get(detail(request_a), **htmx_headers)
    assert b"<html" not in busy.content and b'id="progress"' in busy.content
    assert b'hx-trigger="every 2s"' in busy.content
    assert (
        b"+91 80 4100 0001" in busy.content and b"Bought and attached" in busy.content
    )

    NumberRequest.objects.filter(pk=request_a.pk).update(status="done")
    NumberPurchase.objects.filter(request=request_a).update(status="done")
    finished = as_lead_a.get(detail(request_a), **htmx_headers)
    assert b"hx-trigger" not in finished.content
    assert b"Done" in finished.content


def test_a_failed_request_shows_exactly_which_numbers_were_bought(as_lead_a, request_a):
    NumberRequest.objects.filter(pk=request_a.pk).update(
        status="failed", failure_reason="1 of 2 bought; 1 not bought."
    )
    NumberPurchaseFactory(
        request=request_a, position=1, status="done", e164="+918041000001"
    )
    NumberPurchaseFactory(
        request=request_a, position=2, status="not_bought", reason="Not bought: balance"
    )
    response = as_lead_a.get(detail(request_a))
    content = response.content.decode()
    assert "1 of 2 bought" in content and "Not bought: balance" in content
    assert "hx-trigger" not in content


def test_an_admin_sees_the_decision_forms_but_not_on_their_own_request(
    as_admin, admin_user, request_a, team_a
):
    response = as_admin.get(detail(request_a))
    assert b'id="approve-form"' in response.content
    own = NumberRequestFactory(sub_account=team_a, requested_by=admin_user)
    response = as_admin.get(detail(own))
    assert b'id="approve-form"' not in response.content
    assert b"another admin must approve or reject it" in response.content


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


def test_the_database_refuses_a_self_decision_too(request_a, lead_a):
    request_a.decided_by = lead_a
    with pytest.raises(IntegrityError), transaction.atomic():
        request_a.save()


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
