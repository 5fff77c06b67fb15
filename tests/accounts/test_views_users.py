"""User pages: admin only, one-time set-password links, memberships."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Membership, User
from tests.conftest import MAX_LIST_QUERIES, count_queries
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:user_list")
CREATE = reverse("accounts:user_create")


def url(name, obj):
    return reverse(f"accounts:{name}", args=[obj.pk])


def test_admin_lists_users(as_admin, lead_a):
    response = as_admin.get(LIST)
    assert response.status_code == 200
    assert b"lead.a@example.com" in response.content


def test_htmx_list_gets_only_rows(as_admin, lead_a, htmx_headers):
    response = as_admin.get(LIST, {"q": "lead"}, **htmx_headers)
    assert (
        b"<html" not in response.content and b"lead.a@example.com" in response.content
    )


@pytest.mark.parametrize("persona", ["as_finance", "as_lead_a", "as_viewer_a"])
def test_non_admins_get_403_on_every_user_page(request, persona, lead_a):
    client = request.getfixturevalue(persona)
    assert client.get(LIST).status_code == 403
    assert client.get(CREATE).status_code == 403
    assert client.get(url("user_detail", lead_a)).status_code == 403
    assert client.post(url("user_toggle_active", lead_a)).status_code == 403


def test_unknown_user_is_404(as_admin):
    assert (
        as_admin.get(reverse("accounts:user_detail", args=[424242])).status_code == 404
    )


def test_invite_shows_a_one_time_link_that_works_once(as_admin, client):
    response = as_admin.post(
        CREATE,
        {"email": "New.Person@Example.com", "full_name": "New Person", "role": ""},
    )
    assert response.status_code == 200
    link = response.context["link"]
    assert "This is the only time it is shown" in response.content.decode()
    user = User.objects.get(email="new.person@example.com")
    assert not user.has_usable_password()

    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    set_url = (
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else "/" + path
    )
    new_password = "a long and unusual passphrase 42"
    done = client.post(
        set_url, {"new_password1": new_password, "new_password2": new_password}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)

    again = client.get("/" + path, follow=True)
    assert "already been used" in again.content.decode()
    assert AuditEvent.objects.filter(
        action="user.create", object_id=str(user.pk)
    ).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-email", "full_name": "X"}, "Enter a valid email address"),
        ({"email": "a@example.com", "full_name": ""}, "This field is required"),
        ({"email": "a@example.com", "full_name": "<b>x</b>"}, "Use letters, digits"),
        ({"email": "admin@example.com", "full_name": "Dup"}, "already exists"),
        (
            {"email": "a@example.com", "full_name": "X", "role": "root"},
            "Select a valid choice",
        ),
    ],
)
def test_bad_invite_gets_an_error_and_creates_nothing(as_admin, data, message):
    before = User.objects.count()
    response = as_admin.post(CREATE, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_admin_changes_a_role(as_admin, lead_a):
    response = as_admin.post(
        url("user_edit", lead_a), {"full_name": "Lea L", "role": "finance"}
    )
    assert response.status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.role == "finance"
    event = AuditEvent.objects.get(action="user.update")
    assert event.before["role"] == "" and event.after["role"] == "finance"


def test_admin_cannot_demote_themselves(as_admin, admin_user):
    response = as_admin.post(
        url("user_edit", admin_user), {"full_name": "Ada", "role": ""}
    )
    assert "cannot remove your own admin role" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.role == "admin"


def test_deactivated_user_loses_their_session(as_admin, as_lead_a, lead_a):
    assert as_lead_a.get(reverse("portal:dashboard")).status_code == 200
    as_admin.post(url("user_toggle_active", lead_a), {"confirm": "on"})
    lead_a.refresh_from_db()
    assert lead_a.is_active is False
    response = as_lead_a.get(reverse("portal:dashboard"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_cannot_deactivate_themselves(as_admin, admin_user):
    as_admin.post(url("user_toggle_active", admin_user), {"confirm": "on"})
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_memberships_are_added_and_removed(as_admin, team_b):
    person = UserFactory(email="p@example.com")
    as_admin.post(
        url("membership_add", person), {"sub_account": team_b.pk, "role": "lead"}
    )
    membership = Membership.objects.get(user=person)
    assert membership.role == "lead"
    as_admin.post(url("membership_remove", membership))
    assert not Membership.objects.filter(user=person).exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["membership.create", "membership.delete"]


def test_membership_with_bad_role_changes_nothing(as_admin, team_b):
    person = UserFactory(email="p@example.com")
    as_admin.post(
        url("membership_add", person), {"sub_account": team_b.pk, "role": "owner"}
    )
    assert not Membership.objects.filter(user=person).exists()


def test_lead_cannot_remove_memberships(as_lead_a, lead_a):
    membership = Membership.objects.get(user=lead_a)
    assert as_lead_a.post(url("membership_remove", membership)).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_user_list_query_count_is_flat(as_admin):
    UserFactory.create_batch(2)
    few = count_queries(lambda: as_admin.get(LIST))
    UserFactory.create_batch(60)
    many = count_queries(lambda: as_admin.get(LIST))
    assert few == many <= MAX_LIST_QUERIES


def test_deactivation_needs_confirmation(as_admin, lead_a):
    page = as_admin.get(url("user_toggle_active", lead_a))
    assert b"signed out at their next request" in page.content
    as_admin.post(url("user_toggle_active", lead_a), {})
    lead_a.refresh_from_db()
    assert lead_a.is_active is True
