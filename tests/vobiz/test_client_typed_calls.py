"""``client.typed`` for calls, CDRs and the console password: same requests as
the raw methods, payloads back."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from tests.vobiz.bodies import (
    ACCESS_JWT,
    CALL_PLACED,
    CALL_UUID,
    CDR,
    PASSWORD_CHANGED,
    REFRESH_JWT,
    UNANSWERED_CDR,
)
from vobiz import VobizClient
from vobiz.errors import InsufficientBalance, ServerError
from vobiz.payloads import CallPlaced, CallRecord, ConsoleTokens, PasswordChanged

BASE = "https://api.vobiz.test/api/v1"
MA = "MA_TEST0001"
EMAIL = "ops@acme.example"
CDRS = f"{BASE}/Account/{MA}/cdr"
CALLS = f"{BASE}/Account/{MA}/Call/"
CHANGE = f"{BASE}/auth/change-password"
LOGIN = f"{BASE}/auth/login"


def cdr_page(rows, *, has_next=False):
    return {
        "data": rows,
        "pagination": {"page": 1, "per_page": 100, "has_next": has_next},
        "success": True,
    }


@pytest.fixture
def api():
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def password():
    return secrets.token_urlsafe()


@pytest.fixture
def client(password):
    return VobizClient(
        BASE,
        MA,
        secrets.token_urlsafe(),
        login_email=EMAIL,
        login_password=password,
        sleep=lambda s: None,
        jitter=lambda: 0.0,
    )


def test_make_call_sends_what_the_raw_method_sends(api, client):
    api.post(CALLS, status=201, json=CALL_PLACED)

    placed = client.typed.make_call(
        "+918000000001", "+918000000099", "https://portal.test/a/", time_limit=5
    )

    assert isinstance(placed, CallPlaced)
    assert (placed.request_uuid, placed.message) == (CALL_UUID, "call fired")
    assert json.loads(api.calls[0].request.body) == {
        "from": "+918000000001",
        "to": "+918000000099",
        "answer_url": "https://portal.test/a/",
        "time_limit": 5,
    }


def test_make_call_is_never_resent_and_errors_pass_through(api, client):
    api.post(CALLS, status=503)
    with pytest.raises(ServerError):
        client.typed.make_call("+918000000001", "+918000000099", "https://p.test/")
    assert len(api.calls) == 1

    api.replace(
        responses.POST,
        CALLS,
        status=402,
        json={"error": {"code": "INSUFFICIENT_BALANCE", "message": "Insufficient"}},
    )
    with pytest.raises(InsufficientBalance):
        client.typed.make_call("+918000000001", "+918000000099", "https://p.test/")


def test_iter_cdrs_sends_the_dates_and_filters_and_reads_records(api, client):
    api.get(CDRS, json=cdr_page([CDR, UNANSWERED_CDR]))

    records = list(
        client.typed.iter_cdrs(
            dt.date(2026, 10, 6), "2026-10-08", call_direction="outbound"
        )
    )

    query = parse_qs(urlsplit(api.calls[0].request.url).query)
    assert (query["start_date"], query["end_date"]) == (["2026-10-06"], ["2026-10-08"])
    assert query["call_direction"] == ["outbound"]
    assert all(isinstance(r, CallRecord) for r in records)
    answered, missed = records
    assert (answered.uuid, answered.billsec, answered.cost) == (
        CALL_UUID,
        42,
        Decimal("0.45"),
    )
    assert answered.mos == Decimal("4.4")  # parsed exactly, never via float
    assert (missed.answer_time, missed.billsec, missed.cost) == (None, 0, 0)


def test_iter_cdrs_stays_lazy_and_pages_through(api, client):
    second = {**CDR, "uuid": "u-second"}
    api.get(CDRS, json=cdr_page([CDR], has_next=True))
    api.get(CDRS, json=cdr_page([second]))

    records = client.typed.iter_cdrs("2026-10-07", "2026-10-07")

    assert len(api.calls) == 0
    assert next(records).uuid == CALL_UUID
    assert len(api.calls) == 1
    assert [r.uuid for r in records] == ["u-second"]
    assert "page=2" in api.calls[1].request.url


def test_change_console_password_returns_the_fresh_pair(api, client, password):
    new = secrets.token_urlsafe()
    api.post(CHANGE, json=PASSWORD_CHANGED)

    changed = client.typed.change_console_password(current=password, new=new)

    assert isinstance(changed, PasswordChanged)
    assert changed.tokens == ConsoleTokens(ACCESS_JWT, REFRESH_JWT, 1800.0)
    assert ACCESS_JWT not in repr(changed) and REFRESH_JWT not in repr(changed)
    assert json.loads(api.calls[0].request.body) == {
        "current_password": password,
        "new_password": new,
    }


def test_change_console_password_is_sent_once_then_signs_in_with_the_new_one(
    api, client, password
):
    new = secrets.token_urlsafe()
    api.post(CHANGE, status=503)
    with pytest.raises(ServerError):
        client.typed.change_console_password(current=password, new=new)
    assert len(api.calls) == 1  # not resent: it may have landed

    api.replace(responses.POST, CHANGE, json={"message": "changed"})
    changed = client.typed.change_console_password(current=password, new=new)
    assert changed.tokens == ConsoleTokens()
    api.post(
        LOGIN,
        json={"access_token": ACCESS_JWT, "refresh_token": REFRESH_JWT},
    )
    client.login()
    assert json.loads(api.calls[2].request.body)["password"] == new


@pytest.mark.integration
def test_a_call_placed_at_the_simulator_comes_back_as_its_record(
    simulator, fresh_state
):
    creds = simulator.credentials
    client = VobizClient(
        simulator.base_url,
        creds["auth_id"],
        creds["auth_token"],
        ca_bundle=simulator.ca_bundle,
    ).typed

    placed = client.make_call(
        "+918000000001",
        "+918000000099",
        "https://portal.test/answer/",
        sim_outcome="answered",
        sim_billsec=5,
    )
    simulator.control.advance(seconds=120)
    now = dt.datetime.fromtimestamp(simulator.control.clock()["epoch"], dt.UTC)
    day = now.date()
    records = client.iter_cdrs(
        day - dt.timedelta(days=1),
        day,
        call_direction="outbound",
        to_number="+918000000099",
    )
    found = [r for r in records if r.uuid == placed.request_uuid]

    assert placed.request_uuid and placed.message == "call fired"
    assert len(found) == 1
    record = found[0]
    assert record.billsec == 5 and record.answer_time is not None
    assert record.start_time is not None and record.progress_time is not None
    assert record.cost > 0 and record.mos is not None


@pytest.mark.integration
def test_a_console_password_change_at_the_simulator_returns_a_working_pair(
    simulator, fresh_state
):
    creds = simulator.credentials
    client = VobizClient(
        simulator.base_url,
        creds["auth_id"],
        creds["auth_token"],
        ca_bundle=simulator.ca_bundle,
        login_email=creds["email"],
        login_password=creds["password"],
    )
    new = secrets.token_urlsafe()

    changed = client.typed.change_console_password(current=creds["password"], new=new)

    tokens = changed.tokens
    assert tokens.access_token and tokens.refresh_token
    assert tokens.expires_in == 1800.0
    assert client.login().access_token  # signs in with the new password
