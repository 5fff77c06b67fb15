"""Notices go through the kernel to the sender the monitoring app installs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from core import notify


def test_without_a_sender_notifying_fails_loudly(monkeypatch):
    monkeypatch.setattr(notify, "_sender", None)
    with pytest.raises(ImproperlyConfigured):
        notify.notify(users=[], title="t", body="b")


def test_the_call_reaches_the_installed_sender(monkeypatch):
    calls = []

    def sender(**kwargs):
        calls.append(kwargs)
        return 3

    monkeypatch.setattr(notify, "_sender", sender)
    assert notify.notify(users=["u"], title="t", body="b", url="/x/") == 3
    assert calls == [
        {"users": ["u"], "title": "t", "body": "b", "url": "/x/", "email": True}
    ]


def test_the_monitoring_app_installs_its_sender():
    from monitoring.notify import notify_send

    assert notify._sender is notify_send
