"""CDR ingest: idempotent upserts, late changes, odd values; rollups match raw rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum

from billing.models import Cdr, CdrCauseRollup, CdrDailyRollup
from billing.services.cdr_ingest import (
    cdrs_watermark_advance,
    ingest_cdrs,
    ingest_raw_cdrs,
    parse_cdr,
)
from sync.models import SyncState
from tests.billing.cdr_data import cdr_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def owners(team_a, team_b):
    return {team_a.auth_id: team_a.pk, team_b.auth_id: team_b.pk}


def parsed(raws, provider, owners):
    return [parse_cdr(r, provider_id=provider.pk, owners=owners) for r in raws]


def assert_rollups_match_raw(provider):
    raw = {
        (r["account_auth_id"], r["direction"], r["day"]): r
        for r in Cdr.objects.filter(provider_account=provider)
        .extra(select={"day": "date(start_time)"})
        .values("account_auth_id", "direction", "day")
        .annotate(
            n=Count("id"),
            ok=Count("id", filter=Q(billsec__gt=0) | Q(answer_time__isnull=False)),
            bill=Sum("billsec"),
            money=Sum("cost"),
            ring=Sum("ring_time"),
        )
    }
    rolled = {
        (r.account_auth_id, r.direction, str(r.day)): r
        for r in CdrDailyRollup.objects.filter(provider_account=provider)
    }
    assert {(a, d, str(day)) for a, d, day in raw} == set(rolled)
    for (account, direction, day), r in raw.items():
        roll = rolled[(account, direction, str(day))]
        assert (
            roll.calls,
            roll.answered,
            roll.billable_seconds,
            roll.ring_time_sum,
        ) == (r["n"], r["ok"], r["bill"], r["ring"])
        assert Decimal(roll.cost) == Decimal(r["money"])


def test_parse_accepts_json_and_csv_shapes(provider, owners, team_a):
    raw = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=1)[0]
    as_csv = {k: ("" if v is None else str(v)) for k, v in raw.items()}
    from_json = parse_cdr(raw, provider_id=provider.pk, owners=owners)
    from_csv = parse_cdr(as_csv, provider_id=provider.pk, owners=owners)
    assert from_json == from_csv
    assert from_json[2] == str(team_a.pk)


@pytest.mark.parametrize(
    "bad",
    [
        {"uuid": "nope", "start_time": "2026-01-01T00:00:00Z"},
        {"uuid": "9b2f0c1e-1111-4222-8333-444455556666"},
    ],
)
def test_unusable_rows_are_skipped(provider, owners, bad):
    assert parse_cdr(bad, provider_id=provider.pk, owners=owners) is None


def test_ingest_then_reingest_identical_rows_writes_nothing(
    provider, owners, team_a, team_b
):
    raws = cdr_batch(account_ids=[team_a.auth_id, team_b.auth_id], days=3, per_day=40)
    rows = parsed(raws, provider, owners)
    assert ingest_cdrs(provider_id=provider.pk, rows=rows) == 120
    assert_rollups_match_raw(provider)

    assert ingest_cdrs(provider_id=provider.pk, rows=rows) == 0
    assert Cdr.objects.count() == 120
    assert_rollups_match_raw(provider)


def test_a_late_change_updates_the_row_and_its_rollup(provider, owners, team_a):
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=10)
    ingest_cdrs(provider_id=provider.pk, rows=parsed(raws, provider, owners))
    changed = dict(raws[0], total_cost=99.5, cost=99.5)
    assert (
        ingest_cdrs(provider_id=provider.pk, rows=parsed([changed], provider, owners))
        == 1
    )
    assert Cdr.objects.get(uuid=raws[0]["uuid"]).cost == Decimal("99.5")
    assert_rollups_match_raw(provider)


def test_duplicates_within_a_batch_make_one_row(provider, owners, team_a):
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=5)
    rows = parsed(raws + raws, provider, owners)
    ingest_cdrs(provider_id=provider.pk, rows=rows)
    assert Cdr.objects.count() == 5


def test_unknown_accounts_are_kept_unattributed(provider, owners):
    raws = cdr_batch(account_ids=["SA_UNKNOWN01"], days=1, per_day=3)
    ingest_cdrs(provider_id=provider.pk, rows=parsed(raws, provider, owners))
    assert set(Cdr.objects.values_list("sub_account", flat=True)) == {None}
    assert CdrDailyRollup.objects.get().account_auth_id == "SA_UNKNOWN01"


def test_raw_ingest_matches_the_checked_path(provider, owners, team_a, team_b):
    raws = cdr_batch(account_ids=[team_a.auth_id, team_b.auth_id], days=2, per_day=30)
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners) == 60
    stored = sorted(Cdr.objects.values_list("uuid", "cost", "billsec", "sub_account"))
    assert_rollups_match_raw(provider)
    Cdr.objects.all().delete()
    ingest_cdrs(provider_id=provider.pk, rows=parsed(raws, provider, owners))
    assert (
        sorted(Cdr.objects.values_list("uuid", "cost", "billsec", "sub_account"))
        == stored
    )


def test_raw_ingest_of_known_rows_changes_only_what_changed(provider, owners, team_a):
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=20)
    ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners)
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners) == 0
    changed = [dict(raws[0], total_cost=12.5, cost=12.5), *raws[1:]]
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=changed, owners=owners) == 1
    assert Cdr.objects.count() == 20
    assert_rollups_match_raw(provider)


def test_raw_ingest_drops_a_bad_row_and_keeps_the_others(provider, owners, team_a):
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=10)
    raws[3] = dict(raws[3], uuid="not-a-uuid")
    raws[5] = dict(raws[5], duration="forever", hangup_cause="x" * 500)
    ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners)
    assert Cdr.objects.count() == 9
    assert len(Cdr.objects.get(uuid=raws[5]["uuid"]).hangup_cause) == 48
    assert_rollups_match_raw(provider)


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [
        ("duration", "forever", 0),  # only the COPY can tell: uuid and times are fine
        ("billsec", "12.0", 12),
        ("mos", "excellent", None),
        ("hangup_cause", "NORMAL\x00CLEARING", "NORMALCLEARING"),  # no NUL in text
        ("start_time", "2026-11-30T10:00:00+05:30", None),  # not UTC: checked path
    ],
)
def test_raw_ingest_falls_back_for_a_value_the_copy_refuses(
    provider, owners, team_a, field, value, stored
):
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=6)
    raws[3] = dict(raws[3], **{field: value})
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners) == 6
    row = Cdr.objects.get(uuid=raws[3]["uuid"])
    if field != "start_time":
        assert getattr(row, field) == stored
    assert_rollups_match_raw(provider)


@pytest.mark.parametrize(
    "text", ["tab\there", "line\nbreak", "back\\slash", "x\\Ny", "cr\rx"]
)
def test_raw_ingest_keeps_special_characters_exactly(provider, owners, team_a, text):
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=2)
    raws[0] = dict(raws[0], hangup_source=text[:16])
    ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners)
    assert Cdr.objects.get(uuid=raws[0]["uuid"]).hangup_source == text[:16]


def assert_cause_rollups_match_raw(provider):
    raw = {
        (r["account_auth_id"], r["direction"], str(r["day"]), r["hangup_cause"]): r["n"]
        for r in Cdr.objects.filter(provider_account=provider)
        .extra(select={"day": "date(start_time)"})
        .values("account_auth_id", "direction", "day", "hangup_cause")
        .annotate(n=Count("id"))
    }
    rolled = {
        (r.account_auth_id, r.direction, str(r.day), r.hangup_cause): r.calls
        for r in CdrCauseRollup.objects.filter(provider_account=provider)
    }
    assert rolled == raw


@pytest.mark.postgres
def test_raw_ingest_of_many_pieces_escapes_only_the_odd_row(
    provider, owners, team_a, team_b, monkeypatch
):
    """A batch larger than one COPY piece, with a tab and a NULL-heavy row inside."""
    from billing.services.cdr_ingest import batch
    from billing.services.cdr_ingest.postgres import PIECE_ROWS

    checked = batch.ingest_cdrs

    def not_expected(**kwargs):
        raise AssertionError("new rows should take the one-COPY path")

    raws = cdr_batch(account_ids=[team_a.auth_id, team_b.auth_id], days=2, per_day=700)
    odd = PIECE_ROWS + 7
    raws[odd] = dict(raws[odd], hangup_source="a\tb\\c")
    raws[odd + 1] = dict(raws[odd + 1], mos=None, jitter=None, answer_time=None)
    monkeypatch.setattr(batch, "ingest_cdrs", not_expected)
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners) == 1400
    assert Cdr.objects.get(uuid=raws[odd]["uuid"]).hangup_source == "a\tb\\c"
    assert Cdr.objects.get(uuid=raws[odd + 1]["uuid"]).mos is None
    assert_rollups_match_raw(provider)
    assert_cause_rollups_match_raw(provider)
    monkeypatch.setattr(batch, "ingest_cdrs", checked)
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners) == 0
    assert_cause_rollups_match_raw(provider)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_time", "2026-13-45T10:00:00Z"),
        ("answer_time", "2026-02-30T10:00:00Z"),
        ("end_time", "2026-11-30T25:61:00Z"),
        ("updated_at", "2026-11-30T10:00:00+99:99"),
        ("duration", 10**12),
        ("hangup_cause_code", "99999999999"),
        ("cost", "1e400"),
        ("cost", "99999999999"),
        ("mos", "NaN"),
        ("jitter", "Infinity"),
        ("uuid", "00000000-0000-0000-0000-00000000000G"),
        ("account_id", ["SA_X"]),
        ("trunk_id", {"id": 1}),
    ],
)
def test_one_malformed_value_never_fails_the_batch(
    provider, owners, team_a, field, value
):
    """What Vobiz sends is not trusted: the odd row is normalised or dropped."""
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=6)
    raws[3] = dict(raws[3], **{field: value})
    written = ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners)
    others = [r["uuid"] for i, r in enumerate(raws) if i != 3]
    assert Cdr.objects.filter(uuid__in=others).count() == 5
    assert written == Cdr.objects.count() in (5, 6)
    assert_rollups_match_raw(provider)


@pytest.mark.parametrize("written", ["T24:00:00Z", "T24:00Z", " 24:00:00.000+00:00"])
def test_the_end_of_a_day_counts_for_the_next_day(provider, owners, team_a, written):
    """ISO 8601's 24:00 is the next day's 00:00, for the row and for the rollups."""
    raws = cdr_batch(account_ids=[team_a.auth_id], days=1, per_day=3)
    day = raws[0]["start_time"][:10]
    raws[1] = dict(raws[1], start_time=f"{day}{written}", answer_time=None)
    assert ingest_raw_cdrs(provider_id=provider.pk, raws=raws, owners=owners) == 3
    start = Cdr.objects.get(uuid=raws[1]["uuid"]).start_time
    next_day = dt.date.fromisoformat(day) + dt.timedelta(days=1)
    assert start == dt.datetime.combine(next_day, dt.time.min, tzinfo=dt.UTC)
    assert_rollups_match_raw(provider)
    assert CdrDailyRollup.objects.filter(day=next_day).exists()


def test_the_cdr_cursor_only_moves_forward(provider):
    state = SyncState.objects.create(provider_account=provider, kind="cdrs")
    day = dt.date(2026, 11, 18)
    cdrs_watermark_advance(state_id=state.pk, day=day)
    cdrs_watermark_advance(state_id=state.pk, day=day - dt.timedelta(days=3))
    state.refresh_from_db()
    assert state.watermark == day
