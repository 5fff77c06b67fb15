"""The in-memory CDR store: one immutable column block per UTC day.

Seeded blocks are built once and kept pristine; a day that gains placed or
bulk-generated calls gets a new block (copy on write), so ``reset`` is a dict copy
and a query result can keep pointing at the blocks it was computed from while
writers move on. Filtered results are cached per (filter, version) so paging
through 300k rows re-scans nothing.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulator.cdrfields import (
    ACCT,
    ANSWERED_OUTCOMES,
    BILLSEC,
    CAMPAIGN,
    CONTEXTS,
    COST,
    CTX,
    DIRECTION,
    DURATION,
    FROM_NUM,
    KEY,
    OUTCOME,
    OUTCOMES,
    TO_NUM,
    TS,
    TYPECODES,
    Row,
    UuidCodec,
    cdr_object,
    key_day,
)
from simulator.clock import DAY, iso_seconds


class DayBlock:
    """The rows of one UTC day as typed column arrays, sorted by start time."""

    __slots__ = ("cols", "n")

    def __init__(self, rows: Sequence[Row]) -> None:
        self.n = len(rows)
        if rows:
            self.cols = [
                array(tc, col)
                for tc, col in zip(TYPECODES, zip(*rows, strict=True), strict=True)
            ]
        else:
            self.cols = [array(tc) for tc in TYPECODES]

    def row(self, index: int) -> Row:
        """Return row ``index`` as a tuple."""
        return tuple(col[index] for col in self.cols)

    def with_rows(self, extra: Iterable[Row]) -> DayBlock:
        """Return a new block holding this block's rows plus ``extra``."""
        rows = list(zip(*self.cols, strict=True))
        rows.extend(extra)
        rows.sort()
        return DayBlock(rows)


@dataclass
class Tables:
    """Interned strings the rows refer to by index (index 0 of trunks is None)."""

    accounts: list[str] = field(default_factory=list)
    trunks: list[str | None] = field(default_factory=lambda: [None])
    campaigns: list[str | None] = field(default_factory=lambda: [None])

    def account(self, auth_id: str) -> int:
        """Return the index of ``auth_id``, adding it if new."""
        return _intern(self.accounts, auth_id)

    def trunk(self, trunk_id: str | None) -> int:
        """Return the index of ``trunk_id`` (0 for none), adding it if new."""
        return 0 if trunk_id is None else _intern(self.trunks, trunk_id)

    def campaign(self, campaign_id: str | None) -> int:
        """Return the index of ``campaign_id`` (0 for none), adding it if new."""
        return 0 if campaign_id is None else _intern(self.campaigns, campaign_id)


def _intern(table: list[Any], value: Any) -> int:
    try:
        return table.index(value)
    except ValueError:
        table.append(value)
        return len(table) - 1


@dataclass(frozen=True)
class CdrFilter:
    """A parsed CDR query; every field None means "no constraint"."""

    acct: int | None = None
    day_range: tuple[int, int] | None = None
    direction: int | None = None
    from_number: str | None = None
    to_number: str | None = None
    min_duration: int | None = None
    outcomes: frozenset[int] | None = None
    context: int | None = None
    campaign: int | None = None
    key: int | None = None
    answered_only: bool = False
    search: str | None = None
    impossible: bool = False


@dataclass
class QueryResult:
    """The rows matching a filter, newest first, with the documented summary."""

    segments: list[tuple[DayBlock, Sequence[int]]]
    total: int
    summary: dict[str, Any]
    _starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        running = 0
        for _, indices in self.segments:
            self._starts.append(running)
            running += len(indices)

    def rows(self, start: int = 0, stop: int | None = None) -> Iterator[Row]:
        """Yield rows ``start:stop`` of the newest-first result."""
        stop = self.total if stop is None else min(stop, self.total)
        if start >= stop:
            return
        seg = max(bisect.bisect_right(self._starts, start) - 1, 0)
        position = start
        while position < stop and seg < len(self.segments):
            block, indices = self.segments[seg]
            local = position - self._starts[seg]
            take = min(len(indices) - local, stop - position)
            for index in indices[local : local + take]:
                yield block.row(index)
            position += take
            seg += 1


def _number_matcher(value: str, column: array[int]) -> list[int] | None:
    """Return matching indices for a number filter, or None for "all rows"."""
    digits = value.strip().lstrip("+").replace(" ", "")
    if not digits:
        return None
    if value.strip().startswith("+") and len(digits) >= 11 and digits.isdigit():
        wanted = int(digits)
        return [i for i, number in enumerate(column) if number == wanted]
    return [i for i, number in enumerate(column) if digits in str(number)]


def _narrow(block: DayBlock, flt: CdrFilter) -> Sequence[int]:
    """Return the ascending indices of ``block`` that pass ``flt``."""
    cols = block.cols
    indices: Sequence[int] = range(block.n)
    if flt.key is not None:
        try:
            indices = [cols[KEY].index(flt.key)]
        except ValueError:
            return []
    checks: list[tuple[int, Any]] = []
    if flt.acct is not None:
        checks.append((ACCT, flt.acct))
    if flt.direction is not None:
        checks.append((DIRECTION, flt.direction))
    if flt.context is not None:
        checks.append((CTX, flt.context))
    if flt.campaign is not None:
        checks.append((CAMPAIGN, flt.campaign))
    for column, wanted in checks:
        col = cols[column]
        indices = [i for i in indices if col[i] == wanted]
    if flt.outcomes is not None or flt.answered_only:
        allowed = flt.outcomes if flt.outcomes is not None else ANSWERED_OUTCOMES
        if flt.answered_only:
            allowed = allowed & ANSWERED_OUTCOMES
        col = cols[OUTCOME]
        indices = [i for i in indices if col[i] in allowed]
    if flt.min_duration is not None:
        col, minimum = cols[DURATION], flt.min_duration
        indices = [i for i in indices if col[i] >= minimum]
    for value, column in ((flt.from_number, FROM_NUM), (flt.to_number, TO_NUM)):
        if value is not None:
            matched = _number_matcher(value, cols[column])
            if matched is not None:
                keep = set(matched)
                indices = [i for i in indices if i in keep]
    if flt.search:
        indices = _search(block, indices, flt.search)
    return indices


def _search(block: DayBlock, indices: Sequence[int], text: str) -> list[int]:
    """Match free text against numbers, hangup causes and contexts."""
    needle = text.strip().lstrip("+").lower()
    cols = block.cols
    if needle.isdigit():
        src, dst = cols[FROM_NUM], cols[TO_NUM]
        return [i for i in indices if needle in str(src[i]) or needle in str(dst[i])]
    outcomes = {
        n
        for n, o in enumerate(OUTCOMES)
        if needle in o.cause.lower() or needle in o.name.lower()
    }
    contexts = {n for n, c in enumerate(CONTEXTS) if needle in c}
    out, ctx = cols[OUTCOME], cols[CTX]
    return [i for i in indices if out[i] in outcomes or ctx[i] in contexts]


def _summarise(segments: list[tuple[DayBlock, Sequence[int]]]) -> dict[str, Any]:
    total = answered = billsec = duration = cost = 0
    last: int | None = None
    for block, indices in segments:
        if not indices:
            continue
        cols = block.cols
        if isinstance(indices, range) and len(indices) == block.n:
            outcome_values: Sequence[int] = cols[OUTCOME]
            billsec += sum(cols[BILLSEC])
            duration += sum(cols[DURATION])
            cost += sum(cols[COST])
        else:
            outcome_values = list(map(cols[OUTCOME].__getitem__, indices))
            billsec += sum(map(cols[BILLSEC].__getitem__, indices))
            duration += sum(map(cols[DURATION].__getitem__, indices))
            cost += sum(map(cols[COST].__getitem__, indices))
        total += len(indices)
        answered += sum(outcome_values.count(o) for o in ANSWERED_OUTCOMES)
        newest = cols[TS][indices[0]]
        last = newest if last is None else max(last, newest)
    return {
        "answerRate": round(100 * answered / total, 1) if total else 0,
        "answeredCalls": answered,
        "avgCallDuration": f"{round(billsec / answered) if answered else 0}s",
        "last_call_at": iso_seconds(last),
        "totalCalls": total,
        "total_billable_seconds": billsec,
        "total_cost": round(cost / 100, 2),
        "total_duration_seconds": duration,
    }


class CdrStore:
    """Hold every CDR row and answer filtered, paged, summarised queries."""

    def __init__(self, codec: UuidCodec, tables: Tables) -> None:
        self.codec = codec
        self.tables = tables
        self._lock = threading.RLock()
        self._seeded: dict[int, DayBlock] = {}
        self._days: dict[int, DayBlock] = {}
        self._version = 0
        self._cache: OrderedDict[CdrFilter, tuple[int, QueryResult]] = OrderedDict()

    @property
    def count(self) -> int:
        """Return the number of rows held."""
        with self._lock:
            return sum(block.n for block in self._days.values())

    def set_seeded(self, blocks: dict[int, DayBlock]) -> None:
        """Install the pristine seeded blocks and drop everything else."""
        with self._lock:
            self._seeded = dict(blocks)
            self.reset()

    def reset(self) -> None:
        """Forget every row that is not seeded."""
        with self._lock:
            self._days = dict(self._seeded)
            self._bump()

    def add_rows(self, rows: Iterable[Row]) -> int:
        """Insert rows (any days, any order) and return how many were added."""
        by_day: dict[int, list[Row]] = {}
        for row in rows:
            by_day.setdefault(key_day(row[KEY]), []).append(row)
        with self._lock:
            for day, extra in by_day.items():
                current = self._days.get(day)
                self._days[day] = (
                    current.with_rows(extra) if current else DayBlock(sorted(extra))
                )
            self._bump()
        return sum(len(extra) for extra in by_day.values())

    def _bump(self) -> None:
        self._version += 1
        self._cache.clear()

    def query(self, flt: CdrFilter) -> QueryResult:
        """Return the rows passing ``flt``, newest first, with their summary."""
        with self._lock:
            cached = self._cache.get(flt)
            if cached and cached[0] == self._version:
                self._cache.move_to_end(flt)
                return cached[1]
            days = sorted(self._days.items(), reverse=True)
        result = self._compute(days, flt)
        with self._lock:
            self._cache[flt] = (self._version, result)
            while len(self._cache) > 32:
                self._cache.popitem(last=False)
        return result

    @staticmethod
    def _compute(days: list[tuple[int, DayBlock]], flt: CdrFilter) -> QueryResult:
        segments: list[tuple[DayBlock, Sequence[int]]] = []
        if not flt.impossible:
            for day, block in days:
                if flt.day_range and not flt.day_range[0] <= day <= flt.day_range[1]:
                    continue
                if flt.key is not None and key_day(flt.key) != day:
                    continue
                indices = _narrow(block, flt)
                if isinstance(indices, range):
                    indices = range(block.n - 1, -1, -1)
                else:
                    indices = indices[::-1]
                if indices:
                    segments.append((block, indices))
        total = sum(len(indices) for _, indices in segments)
        return QueryResult(segments, total, _summarise(segments))

    def find(self, uuid_text: str) -> Row | None:
        """Return the row whose ``uuid`` is ``uuid_text``, if any."""
        key = self.codec.decode("u", uuid_text)
        if key is None:
            return None
        with self._lock:
            block = self._days.get(key_day(key))
        if block is None:
            return None
        try:
            return block.row(block.cols[KEY].index(key))
        except ValueError:
            return None

    def number_rows(self, number: int, since: float) -> list[Row]:
        """Return rows from or to ``number`` starting at or after ``since``."""
        first_day = int(since // DAY)
        with self._lock:
            blocks = [b for d, b in sorted(self._days.items()) if d >= first_day]
        found: list[Row] = []
        for block in blocks:
            src, dst, ts = block.cols[FROM_NUM], block.cols[TO_NUM], block.cols[TS]
            for i in range(block.n):
                if (src[i] == number or dst[i] == number) and ts[i] >= since:
                    found.append(block.row(i))
        return found

    def to_object(self, row: Row) -> dict[str, Any]:
        """Return the documented 43-field dict for a row."""
        t = self.tables
        return cdr_object(row, self.codec, t.accounts, t.trunks, t.campaigns)

    def day_totals(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Return (cost in paise, calls) per (day, account index) over every row."""
        totals: dict[tuple[int, int], tuple[int, int]] = {}
        with self._lock:
            days = list(self._days.items())
        for day, block in days:
            acct, cost = block.cols[ACCT], block.cols[COST]
            for i in range(block.n):
                slot = (day, acct[i])
                spent, calls = totals.get(slot, (0, 0))
                totals[slot] = (spent + cost[i], calls + 1)
        return totals
