"""What the database itself refuses, whatever the code above it does."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_self_decision_too(request_a, lead_a):
    request_a.decided_by = lead_a
    with pytest.raises(IntegrityError), transaction.atomic():
        request_a.save()
