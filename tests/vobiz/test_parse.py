"""Odd values from Vobiz become something storable, never an exception."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal

import pytest

from vobiz.parse import (
    MONEY_LIMIT,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_money,
    text,
)

IST = dt.timezone(dt.timedelta(hours=5, minutes=30))


def test_text_is_cut_to_its_column():
    assert text("x" * 600, 500) == "x" * 500


def test_text_drops_nul_before_cutting():
    assert text("a\x00b\x00c", 2) == "ab"


def test_text_turns_numbers_and_json_into_their_text():
    assert text(123456, 3) == "123"
    assert text(["a", "list"], 40) == "['a', 'list']"


@pytest.mark.parametrize("value", [None, "", "\x00\x00"])
def test_text_that_ends_up_empty_gives_the_default(value):
    assert text(value, 5, "udp") == "udp"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 7),
        ("", 7),
        ("12", 12),
        (12.9, 12),
        ("12.9", 12),
        (Decimal("3.5"), 3),
        ("lots", 7),
        ({"nested": True}, 7),
        ("NaN", 7),
        ("1e400", 7),
        ("inf", 7),
    ],
)
def test_parse_int_reads_numbers_as_text_and_junk_as_the_default(value, expected):
    assert parse_int(value, 7) == expected


@pytest.mark.parametrize(
    ("value", "low", "high", "expected"),
    [
        (-5, 0, 2**31 - 1, 0),
        (10**12, 0, 2**31 - 1, 2**31 - 1),
        (0, 1, 100_000, 1),
        (250_000, 1, 100_000, 100_000),
        (500, 1, 100_000, 500),
    ],
)
def test_parse_int_clamps_into_range(value, low, high, expected):
    assert parse_int(value, 7, low=low, high=high) == expected


def test_parse_int_defaults_to_a_postgresql_integer_range():
    assert parse_int(-5, 7) == 0
    assert parse_int(10**12, 7) == 2**31 - 1


def test_parse_int_clamps_its_default_too():
    assert parse_int("junk", 0, low=1, high=10) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Decimal(0)),
        ("", Decimal(0)),
        ("12.5", Decimal("12.5")),
        (7, Decimal(7)),
        (0.1, Decimal("0.1")),
        (Decimal("23906.83"), Decimal("23906.83")),
        ("23906.83000", Decimal("23906.83")),
        ("-3.25", Decimal("-3.25")),
        ("999999999.99999", Decimal("999999999.99999")),
    ],
)
def test_parse_decimal_reads_numbers_and_strings(value, expected):
    assert parse_decimal(value) == expected


@pytest.mark.parametrize(
    "value",
    ["abc", "NaN", float("nan"), "Infinity", "-inf", float("inf"), "1e20", [1]],
)
def test_unusable_money_gives_the_default_and_a_warning(value, caplog):
    with caplog.at_level(logging.WARNING, logger="vobiz.parse"):
        assert parse_decimal(value, default="1.5") == Decimal("1.5")

    assert [r.message for r in caplog.records] == ["unusable amount from Vobiz"]


def test_money_at_the_limit_is_unusable_just_below_it_is_kept(caplog):
    assert parse_decimal(MONEY_LIMIT) == 0
    assert parse_decimal(-MONEY_LIMIT) == 0
    assert parse_decimal(MONEY_LIMIT - 1) == MONEY_LIMIT - 1


def test_absent_money_is_no_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="vobiz.parse"):
        parse_decimal(None)
        parse_decimal("")

    assert caplog.records == []


def test_parse_money_says_none_for_absent_and_unusable():
    assert parse_money(None) is None
    assert parse_money("NaN") is None
    assert parse_money("1e9") is None
    assert parse_money("0") == Decimal(0)


def test_the_warning_shows_at_most_40_characters_of_the_value(caplog):
    with caplog.at_level(logging.WARNING, logger="vobiz.parse"):
        parse_decimal("x" * 100)

    assert caplog.records[0].value == "x" * 40


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-25T10:00:00Z", dt.datetime(2026, 3, 25, 10, tzinfo=dt.UTC)),
        (
            "2025-10-22T03:57:35.997500Z",
            dt.datetime(2025, 10, 22, 3, 57, 35, 997500, tzinfo=dt.UTC),
        ),
        # Vobiz's release answer has nanoseconds; the microseconds are kept.
        (
            "2026-07-21T09:18:26.785758533Z",
            dt.datetime(2026, 7, 21, 9, 18, 26, 785758, tzinfo=dt.UTC),
        ),
        ("2026-03-25T10:00:00+05:30", dt.datetime(2026, 3, 25, 10, tzinfo=IST)),
        ("2026-03-25 10:00:00", dt.datetime(2026, 3, 25, 10, tzinfo=dt.UTC)),
        ("2026-03-25", dt.datetime(2026, 3, 25, tzinfo=dt.UTC)),
        ("2026-03-25Tlunchtime", dt.datetime(2026, 3, 25, tzinfo=dt.UTC)),
    ],
)
def test_parse_datetime_reads_iso_8601_and_bare_dates(value, expected):
    parsed = parse_datetime(value)

    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value", [None, "", 0, "yesterday", "2026-02-30T10:00:00Z", "2026-13-01", 1e9]
)
def test_bad_times_are_none(value):
    assert parse_datetime(value) is None


# Cases carried over from the portal's earlier parse tests.


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Decimal(0)),
        ("", Decimal(0)),
        ("12.5", Decimal("12.5")),
        (7, Decimal(7)),
        (Decimal("-3.25000"), Decimal("-3.25")),
        ("abc", Decimal(0)),
        ("NaN", Decimal(0)),
        ("Infinity", Decimal(0)),
        ("-inf", Decimal(0)),
        ("1e20", Decimal(0)),
        ("999999999.99999", Decimal("999999999.99999")),
        ([1], Decimal(0)),
    ],
)
def test_parse_decimal_cases(value, expected):
    assert parse_decimal(value) == expected


def test_parse_decimal_keeps_its_default():
    assert parse_decimal("junk", default="1.5") == Decimal("1.5")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-30T10:00:00Z", dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)),
        ("2026-11-30 10:00:00", dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)),
        ("2026-11-30", dt.datetime(2026, 11, 30, tzinfo=dt.UTC)),
        ("2026-02-30T10:00:00Z", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_datetime_cases(value, expected):
    assert parse_datetime(value) == expected
