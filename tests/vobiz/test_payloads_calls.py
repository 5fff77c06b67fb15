"""Placing a call and reading its CDR: what the synthetic check relies on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal

import pytest

from tests.vobiz.bodies import (
    CALL_PLACED,
    CALL_UUID,
    CDR,
    UNANSWERED_CDR,
    as_client_sees,
)
from vobiz.payloads import CallPlaced, CallRecord

START = dt.datetime(2026, 10, 7, 4, 28, 14, tzinfo=dt.UTC)


def test_call_placed_from_the_call_answer():
    assert CallPlaced.from_api(CALL_PLACED) == CallPlaced(
        request_uuid=CALL_UUID,
        message="call fired",
        api_id="3b9d2f0e-7c41-4a55-8e2b-1f6a9c0d4e77",
    )


@pytest.mark.parametrize("junk", [None, "", 0, False, [], {}])
def test_a_call_without_a_usable_uuid_has_none(junk):
    assert CallPlaced.from_api({"request_uuid": junk}).request_uuid == ""


def test_call_uuids_are_text_cut_to_the_column_without_nul():
    placed = CallPlaced.from_api({"request_uuid": "a\x00b" + "c" * 100})

    assert placed.request_uuid == "ab" + "c" * 62
    assert CallPlaced.from_api({"request_uuid": 12345}).request_uuid == "12345"


def test_call_record_from_the_cdr_list():
    assert CallRecord.from_api(as_client_sees(CDR)) == CallRecord(
        uuid=CALL_UUID,
        start_time=START,
        progress_time=START + dt.timedelta(seconds=1),
        answer_time=START + dt.timedelta(seconds=5),
        billsec=42,
        cost=Decimal("0.45"),
        mos=Decimal("4.4"),
    )


def test_an_unanswered_call_record():
    record = CallRecord.from_api(as_client_sees(UNANSWERED_CDR))

    assert (record.answer_time, record.billsec) == (None, 0)
    assert (record.cost, record.mos) == (Decimal(0), Decimal(0))


def test_total_cost_wins_whenever_it_is_sent():
    assert CallRecord.from_api({"cost": "1.5", "total_cost": "2.5"}).cost == Decimal(
        "2.5"
    )
    assert CallRecord.from_api({"cost": "1.5"}).cost == Decimal("1.5")
    # Sent as null, total_cost still wins: the call is free, as before.
    assert CallRecord.from_api({"cost": "1.5", "total_cost": None}).cost == 0


@pytest.mark.parametrize(
    ("sent", "read"),
    [(None, None), ("", None), (0, Decimal(0)), ("3.875", Decimal("3.875"))],
)
def test_mos_is_none_only_when_not_sent(sent, read):
    assert CallRecord.from_api({"mos": sent}).mos == read
    assert CallRecord.from_api({}).mos is None


@pytest.mark.parametrize("junk", ["NaN", "excellent", "Infinity", "1e12", [1]])
def test_unusable_money_and_mos_are_zero_with_a_warning(junk, caplog):
    with caplog.at_level(logging.WARNING, logger="vobiz.parse"):
        record = CallRecord.from_api({"total_cost": junk, "mos": junk})

    assert (record.cost, record.mos) == (Decimal(0), Decimal(0))
    assert len(caplog.records) == 2


@pytest.mark.parametrize(
    ("sent", "read"),
    [("42", 42), (Decimal("4.5"), 4), (None, 0), ("", 0), ("x", 0), (-3, 0)],
)
def test_billsec_is_whole_seconds_never_negative(sent, read):
    assert CallRecord.from_api({"billsec": sent}).billsec == read


def test_bad_times_are_none_and_good_ones_are_aware():
    record = CallRecord.from_api(
        {
            "start_time": "2026-10-07T09:58:14+05:30",
            "progress_time": "2026-02-30T10:00:00Z",
            "answer_time": "2026-10-07 04:28:19",
        }
    )

    assert record.start_time == START
    assert record.progress_time is None  # 30 February does not exist
    assert record.answer_time == START + dt.timedelta(seconds=5)
    assert CallRecord.from_api({"answer_time": "not yet"}).answer_time is None


def test_a_record_without_a_uuid_never_matches_a_call():
    assert CallRecord.from_api({"uuid": None}).uuid == ""


@pytest.mark.parametrize("cls", [CallPlaced, CallRecord])
def test_call_payloads_are_frozen(cls):
    payload = cls.from_api(as_client_sees(CDR | CALL_PLACED))

    with pytest.raises(dataclasses.FrozenInstanceError):
        payload.__setattr__(dataclasses.fields(payload)[0].name, "x")
    assert not hasattr(payload, "__dict__")
