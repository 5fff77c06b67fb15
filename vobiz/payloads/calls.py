"""Calls and their records (docs/vobiz-api.md §9, §10).

Only the synthetic test call reads these: the CDR ingest keeps raw rows for
COPY speed (``billing/services/cdr_ingest/``). Ids are cut to the portal's
``call_uuid`` column (64 characters); both sides of a match are cut alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Self

from vobiz.parse import parse_datetime, parse_decimal, parse_int, text

UUID_LIMIT = 64


@dataclass(frozen=True, slots=True)
class CallPlaced:
    """The answer to placing a call (§10, ``POST /Call/``: "call fired").

    ``request_uuid`` names the call and becomes its CDR's ``uuid``; "" means
    Vobiz accepted the call without naming it.
    """

    request_uuid: str
    message: str
    api_id: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from the whole ``/Call/`` response."""
        return cls(
            # A falsy id (0, false, []) is no id at all, as before the payload.
            request_uuid=text(data.get("request_uuid") or "", UUID_LIMIT),
            message=text(data.get("message"), 200),
            api_id=text(data.get("api_id"), 64),
        )


@dataclass(frozen=True, slots=True)
class CallRecord:
    """The parts of a CDR (§9) that tell whether a call connected and cost money.

    Times are aware datetimes, None when missing or unreadable. ``billsec``
    is the talk time in whole seconds (junk or negative is 0). ``cost`` is
    ``total_cost`` when Vobiz sent that key, even as null, else ``cost``;
    unusable money is 0 with a warning. ``mos`` is None when not sent (or "")
    and 0 when unusable; it is not rounded (the caller fits its column).
    """

    uuid: str
    start_time: dt.datetime | None
    progress_time: dt.datetime | None
    answer_time: dt.datetime | None
    billsec: int
    cost: Decimal
    mos: Decimal | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a record from one Vobiz CDR object."""
        mos = data.get("mos")
        return cls(
            uuid=text(data.get("uuid"), UUID_LIMIT),
            start_time=parse_datetime(data.get("start_time")),
            progress_time=parse_datetime(data.get("progress_time")),
            answer_time=parse_datetime(data.get("answer_time")),
            billsec=parse_int(data.get("billsec"), 0),
            cost=parse_decimal(data.get("total_cost", data.get("cost"))),
            mos=None if mos is None or mos == "" else parse_decimal(mos),
        )
