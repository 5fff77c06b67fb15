"""CDR dicts in Vobiz's shape, generated for tests."""

from __future__ import annotations

import datetime as dt
import random
import uuid


def cdr_dict(
    *,
    account_id: str,
    start: dt.datetime,
    rng: random.Random,
    direction: str | None = None,
) -> dict:
    answered = rng.random() < 0.55
    ring = rng.randint(1, 12)
    billsec = rng.randint(5, 600) if answered else 0
    duration = billsec + ring
    cost = round(billsec / 60 * 0.45, 4) if answered else 0
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
        "account_id": account_id,
        "start_time": start.isoformat().replace("+00:00", "Z"),
        "answer_time": (start + dt.timedelta(seconds=ring)).isoformat()
        if answered
        else None,
        "end_time": (start + dt.timedelta(seconds=duration)).isoformat(),
        "call_direction": direction or rng.choice(["inbound", "outbound"]),
        "caller_id_number": f"+9180{rng.randint(10**7, 10**8 - 1)}",
        "destination_number": f"+9122{rng.randint(10**7, 10**8 - 1)}",
        "duration": duration,
        "billsec": billsec,
        "hangup_cause": "NORMAL_CLEARING" if answered else "NO_ANSWER",
        "hangup_cause_code": 4000 if answered else 4100,
        "hangup_source": "Caller",
        "cost": cost,
        "total_cost": cost,
        "currency": "INR",
        "trunk_id": None,
        "ring_time": ring,
        "mos": 4.4 if answered else 0,
        "packet_loss": 0.1,
        "jitter": 0.2,
        "updated_at": (start + dt.timedelta(seconds=duration + 1)).isoformat(),
    }


def cdr_batch(*, account_ids, days, per_day, seed=7, first_day=None):
    """Return CDR dicts spread over `days` days ending yesterday (UTC)."""
    rng = random.Random(seed)
    end = first_day or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days))
    rows = []
    for d in range(days):
        day = end + dt.timedelta(days=d)
        base = dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)
        for _ in range(per_day):
            start = base + dt.timedelta(seconds=rng.randint(0, 86_399))
            rows.append(
                cdr_dict(account_id=rng.choice(account_ids), start=start, rng=rng)
            )
    return rows
