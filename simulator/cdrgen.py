"""Deterministic CDR generation: per seeded day, per bulk batch, per placed call.

Every generator takes its own ``random.Random`` seeded from (seed, day) or
(seed, batch), so a restart rebuilds exactly the same rows from a few numbers in
the snapshot. The randomness is demo data, not security (hence the S311 noqa).
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

from simulator.cdrfields import (
    INBOUND,
    KIND_BULK,
    KIND_SEEDED,
    OUTBOUND,
    Row,
    make_key,
)
from simulator.clock import DAY

# Share of calls per UTC hour: Indian business hours (IST = UTC+5:30) dominate.
_HOUR_WEIGHTS = (
    0.3,
    0.6,
    1.5,
    4.0,
    7.0,
    8.5,
    9.0,
    8.0,
    7.5,
    8.5,
    9.0,
    8.0,
    6.5,
    5.0,
    3.0,
    1.5,
    0.8,
    0.5,
    0.3,
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
)
_HOUR_CUMULATIVE = [sum(_HOUR_WEIGHTS[: i + 1]) for i in range(24)]
# Monday..Sunday volume factors (1970-01-01, day 0, was a Thursday).
_WEEKDAY_FACTOR = (1.0, 1.05, 1.0, 1.0, 0.95, 0.7, 0.45)
CALLS_PER_WEEKDAY = 3300
RATE_OUTBOUND_PAISE = 45  # per started minute, the pricing tier's 0.45 INR
RATE_INBOUND_PAISE = 30
_CTX_VOICE_API, _CTX_SIP_TRUNK, _CTX_INBOUND, _CTX_CAMPAIGN = range(4)


@dataclass(frozen=True)
class CallProfile:
    """How one account's traffic looks: volume share, direction mix, numbers."""

    acct: int
    weight: float
    outbound_share: float
    dids: tuple[int, ...]
    outbound_trunk: int = 0
    inbound_trunk: int = 0
    campaigns: tuple[int, ...] = field(default_factory=tuple)


def weekday(day: int) -> int:
    """Return Monday=0 … Sunday=6 for a UTC day number."""
    return (day + 3) % 7


def calls_for_day(rng: random.Random, day: int) -> int:
    """Return how many calls a seeded day has."""
    jitter = 1.0 + 0.08 * (rng.random() * 2 - 1)
    return int(CALLS_PER_WEEKDAY * _WEEKDAY_FACTOR[weekday(day)] * jitter)


def pick_outcome(rng: random.Random) -> int:
    """Draw how a call ends: ~55% answered, 25% no answer, 10% busy, 10% failed."""
    roll = rng.random()
    if roll < 0.55:
        return 0 if rng.random() < 0.6 else 1
    if roll < 0.80:
        return 2 if rng.random() < 0.85 else 5
    if roll < 0.90:
        return 3 if rng.random() < 0.8 else 4
    return 6 + int(rng.random() * 4)


def _mobile(rng: random.Random) -> int:
    return 910_000_000_000 + rng.randrange(6_000_000_000, 10_000_000_000)


def call_metrics(
    rng: random.Random, outcome: int, direction: int
) -> tuple[int, int, int, int, int, int, int]:
    """Return ring, duration, billsec, cost (paise), MOS×10, loss×100, jitter×10."""
    if outcome <= 1:
        ring = 2 + int(rng.random() * 12)
        billsec = min(1 + int(rng.lognormvariate(3.8, 0.9)), 3600)
        rate = RATE_OUTBOUND_PAISE if direction == OUTBOUND else RATE_INBOUND_PAISE
        cost = ((billsec + 59) // 60) * rate
        bad = rng.random() < 0.04
        mos = 25 + int(rng.random() * 10) if bad else 36 + int(rng.random() * 9)
        loss = min(int(rng.expovariate(1 / (120 if bad else 15))), 900)
        jitter = min(int(rng.expovariate(1 / (150 if bad else 35))), 2000)
        return ring, billsec + ring, billsec, cost, mos, loss, jitter
    if outcome in (2, 5):
        ring = 18 + int(rng.random() * 28)
    elif outcome in (3, 4):
        ring = 1 + int(rng.random() * 5)
    else:
        ring = int(rng.random() * 3)
    return ring, ring + int(rng.random() * 2), 0, 0, 0, 0, 0


def make_row(
    rng: random.Random, ts: int, key: int, profile: CallProfile, outcome: int | None
) -> Row:
    """Build one compact row for a call of ``profile`` starting at ``ts``."""
    direction = OUTBOUND if rng.random() < profile.outbound_share else INBOUND
    if outcome is None:
        outcome = pick_outcome(rng)
    ring, duration, billsec, cost, mos, loss, jitter = call_metrics(
        rng, outcome, direction
    )
    did = profile.dids[int(rng.random() * len(profile.dids))] if profile.dids else 0
    other = _mobile(rng)
    campaign = 0
    if direction == INBOUND:
        ctx, trunk, src, dst = _CTX_INBOUND, profile.inbound_trunk, other, did
    else:
        trunk, src, dst = profile.outbound_trunk, did, other
        if profile.campaigns and rng.random() < 0.5:
            ctx = _CTX_CAMPAIGN
            campaign = profile.campaigns[int(rng.random() * len(profile.campaigns))]
        else:
            ctx = _CTX_VOICE_API if rng.random() < 0.5 else _CTX_SIP_TRUNK
    if not src:
        src = _mobile(rng)
    if not dst:
        dst = _mobile(rng)
    return (
        ts,
        key,
        profile.acct,
        trunk,
        direction,
        outcome,
        ring,
        duration,
        billsec,
        cost,
        src,
        dst,
        mos,
        loss,
        jitter,
        ctx,
        campaign,
    )


class ProfilePicker:
    """Pick an account profile by its traffic weight."""

    def __init__(self, profiles: list[CallProfile]) -> None:
        if not profiles:
            raise ValueError("at least one call profile is needed")
        self._profiles = profiles
        total = 0.0
        self._cumulative: list[float] = []
        for profile in profiles:
            total += profile.weight
            self._cumulative.append(total)
        self._total = total

    def pick(self, rng: random.Random) -> CallProfile:
        """Return a profile chosen in proportion to the weights."""
        index = bisect.bisect(self._cumulative, rng.random() * self._total)
        return self._profiles[min(index, len(self._profiles) - 1)]


def generate_day(
    seed: int, day: int, picker: ProfilePicker, window: tuple[float, float]
) -> list[Row]:
    """Return the seeded rows of one UTC day that fall inside ``window``, sorted."""
    rng = random.Random(f"{seed}:day:{day}")  # noqa: S311 - deterministic demo data
    count = calls_for_day(rng, day)
    start = day * DAY
    times = []
    for _ in range(count):
        hour = bisect.bisect(_HOUR_CUMULATIVE, rng.random() * _HOUR_CUMULATIVE[-1])
        times.append(start + min(hour, 23) * 3600 + int(rng.random() * 3600))
    times.sort()
    low, high = window
    rows = []
    for n, ts in enumerate(times):
        row = make_row(
            rng, ts, make_key(KIND_SEEDED, day, 0, n), picker.pick(rng), None
        )
        if low <= ts < high:
            rows.append(row)
    return rows


def generate_batch(
    seed: int, batch: int, count: int, span: tuple[float, float], picker: ProfilePicker
) -> list[Row]:
    """Return ``count`` rows spread uniformly over ``span`` for a bulk batch."""
    rng = random.Random(f"{seed}:bulk:{batch}")  # noqa: S311 - deterministic demo data
    low, high = int(span[0]), int(span[1])
    width = max(high - low, 1)
    rows = []
    for n in range(count):
        ts = low + int(rng.random() * width)
        key = make_key(KIND_BULK, int(ts // DAY), batch, n)
        rows.append(make_row(rng, ts, key, picker.pick(rng), None))
    return rows
