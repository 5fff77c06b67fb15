"""Parsing what Vobiz sends: bad values become the default, never an exception."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from vobiz.parse import parse_datetime, parse_decimal


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
def test_parse_decimal(value, expected):
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
def test_parse_datetime(value, expected):
    assert parse_datetime(value) == expected
