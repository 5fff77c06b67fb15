"""Script and SQL payloads: rejected where names must be safe, otherwise stored as
plain text and rendered escaped; search boxes treat them as text."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from accounts.audit import audit_record
from accounts.models import AuditEvent, SubAccount, User

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('x')</script>"
PAYLOADS = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "'; DROP TABLE accounts_user; --",
    "' OR '1'='1",
    "{{ 7*7 }}{% debug %}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_names_with_payloads_are_refused(as_admin, payload):
    response = as_admin.post(
        reverse("accounts:user_create"),
        {"email": "p@example.com", "full_name": payload, "role": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="p@example.com").exists()


@pytest.mark.parametrize("payload", PAYLOADS)
def test_free_text_is_stored_inert_and_rendered_escaped(as_admin, team_a, payload):
    SubAccount.objects.filter(pk=team_a.pk).update(description=payload)
    audit_record(
        actor=None,
        action="test.payload",
        object_type="t",
        sub_account=team_a,
        object_id="1",
        after={"note": payload},
    )
    event_url = reverse(
        "accounts:audit_detail", args=[AuditEvent.objects.latest("pk").pk]
    )
    for url in (
        reverse("accounts:subaccount_detail", args=[team_a.pk]),
        reverse("accounts:subaccount_list"),
        event_url,
    ):
        body = as_admin.get(url).content.decode()
        if "<" in payload:
            assert payload not in body, f"raw markup on {url}"
        assert 'href="javascript' not in body
    detail = as_admin.get(reverse("accounts:subaccount_detail", args=[team_a.pk]))
    shown = detail.content.decode()
    assert html.escape(payload, quote=False) in shown or html.escape(payload) in shown
    # Shown literally, never evaluated (a "49" nearby could be the clock's minute).
    assert "{{ 7*7 }}" in shown or "{{ 7*7 }}" not in payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_search_boxes_treat_payloads_as_text(as_admin, team_a, payload):
    for name in ("accounts:subaccount_list", "accounts:user_list"):
        response = as_admin.get(reverse(name), {"q": payload[:100]})
        assert response.status_code == 200
    assert User.objects.exists() and SubAccount.objects.filter(pk=team_a.pk).exists()
