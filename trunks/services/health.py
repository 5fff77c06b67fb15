"""What the portal learns about a trunk's health besides the sync."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from trunks.choices import HealthEventKind
from trunks.models import Trunk, TrunkHealthEvent


@transaction.atomic
def trunk_auth_failure_record(
    *, trunk: Trunk, source: str, detail: str = "", at: dt.datetime | None = None
) -> TrunkHealthEvent:
    """Record that traffic on a trunk failed authentication.

    Vobiz's REST API reports no SIP authentication failures; the trunk webhook
    (a CallInitiated event with Allowed false) is where they show. Whatever
    sees one calls this; `selectors.trunk_health` counts them.
    """
    return TrunkHealthEvent.objects.create(
        trunk=trunk,
        kind=HealthEventKind.AUTH_FAILURE,
        source=source[:32],
        detail=detail[:300],
        occurred_at=at or timezone.now(),
    )
