"""The CDR sync's cursor: the last UTC day whose rows are all committed."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sync.models import SyncState


def cdrs_watermark_advance(*, state_id: int, day: dt.date) -> None:
    """Move the cursor of a CDR sync state to `day`, never backwards.

    Call it only once every row of `day` is committed and the day is over.
    """
    with transaction.atomic():
        state = SyncState.objects.select_for_update().get(pk=state_id)
        if state.watermark is None or day > state.watermark:
            state.watermark = day
            state.save(update_fields=["watermark"])
