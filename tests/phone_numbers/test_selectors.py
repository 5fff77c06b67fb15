"""Reads of the phone numbers app that no page test covers on its own."""

from __future__ import annotations

import pytest

from phone_numbers.models import NumberRequest
from phone_numbers.selectors import pending_request_count

pytestmark = pytest.mark.django_db


def test_the_pending_count_is_for_admins(admin_user, lead_a, request_a, request_b):
    NumberRequest.objects.filter(pk=request_b.pk).update(status="done")
    assert pending_request_count(user=admin_user) == 1
    assert pending_request_count(user=lead_a) == 0
