"""Number request pages: the form, the lists, the queue and the progress (deciding
is in test_views_requests_decisions.py)."""

from __future__ import annotations

import pytest
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
