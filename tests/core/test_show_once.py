"""Show-once tickets: one page view each, for kinds an app registered."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.cache import SessionStore
from django.test import RequestFactory

from core import show_once


@pytest.fixture
def request_with_session():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request


def test_a_ticket_shows_once_then_nothing(request_with_session, monkeypatch):
    seen = []

    def resolver(pk, job):
        seen.append((pk, job))
        return show_once.Shown("T", "Label", "secret", "user", "/back/", "Back")

    monkeypatch.setitem(show_once._resolvers, "test-kind", resolver)
    url = show_once.offer(request_with_session, kind="test-kind", pk=7, job_id=3)
    ticket = url.split("?t=")[1]
    assert show_once.take(request_with_session, ticket).value == "secret"
    assert show_once.take(request_with_session, ticket) is None
    assert seen == [(7, 3)]
    assert "secret" not in str(request_with_session.session.items())


def test_an_unregistered_kind_is_refused(request_with_session):
    with pytest.raises(LookupError):
        show_once.offer(request_with_session, kind="nobody-registered-this", pk=1)


def test_the_apps_register_their_kinds_and_page():
    assert {"credential", "subaccount_token"} <= set(show_once._resolvers)
    assert show_once._page == "trunks:secret_show"
