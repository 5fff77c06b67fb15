"""Sign-in by e-mail, sign-out, password change; request ids and headers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("accounts:login")


def test_login_page_renders_for_anonymous(client):
    response = client.get(LOGIN)
    assert response.status_code == 200 and b"Sign in" in response.content


def test_login_by_email_is_case_insensitive(client, lead_a):
    response = client.post(
        LOGIN, {"username": "LEAD.A@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:dashboard"
    )


def test_wrong_password_and_unknown_user_get_the_same_message(client, lead_a):
    wrong = client.post(LOGIN, {"username": "lead.a@example.com", "password": "nope"})
    unknown = client.post(LOGIN, {"username": "ghost@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "That e-mail and password do not match an active account."
    assert message in wrong.content.decode() and message in unknown.content.decode()


def test_logout_needs_post_and_ends_the_session(as_lead_a):
    assert as_lead_a.post(reverse("accounts:logout")).status_code == 302
    assert as_lead_a.get(reverse("portal:dashboard")).status_code == 302


def test_password_change(client, lead_a):
    client.force_login(lead_a)
    new = "another long passphrase 77"
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    lead_a.refresh_from_db()
    assert lead_a.check_password(new)


def test_short_password_is_refused(client, lead_a):
    client.force_login(lead_a)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert "too short" in response.content.decode()
    lead_a.refresh_from_db()
    assert lead_a.check_password(PASSWORD)


def test_every_response_has_a_request_id_and_security_headers(client):
    response = client.get(LOGIN)
    assert len(response["X-Request-ID"]) >= 8
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_incoming_request_id_is_kept_when_sane(client):
    assert (
        client.get(LOGIN, HTTP_X_REQUEST_ID="abc12345-trace").headers["X-Request-ID"]
        == "abc12345-trace"
    )
    assert (
        client.get(LOGIN, HTTP_X_REQUEST_ID="<bad id>").headers["X-Request-ID"]
        != "<bad id>"
    )
