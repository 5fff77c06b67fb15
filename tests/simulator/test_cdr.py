"""CDRs: the 43-field shape, style D paging, filters, summary, search, export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.cdrfields import CDR_FIELDS
from simulator.server import SimulatorHandle
from tests.simulator.fixtures import Api

pytestmark = pytest.mark.integration

SUMMARY_KEYS = {
    "answerRate",
    "answeredCalls",
    "avgCallDuration",
    "last_call_at",
    "totalCalls",
    "total_billable_seconds",
    "total_cost",
    "total_duration_seconds",
}


def _cdrs(api: Api, **params: Any) -> dict[str, Any]:
    response = api.get("/Account/{a}/cdr", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _export(api: Api, **params: Any) -> list[dict[str, str]]:
    response = api.get("/Account/{a}/cdr/export", params=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_list_shape_is_style_d_with_43_field_records(api: Api) -> None:
    body = _cdrs(api, per_page=5)
    assert set(body) == {
        "account_id",
        "count",
        "data",
        "pagination",
        "success",
        "summary",
    }
    assert body["success"] is True and body["count"] == 5
    assert set(body["data"][0]) == set(CDR_FIELDS) and len(CDR_FIELDS) == 43
    pagination = body["pagination"]
    assert set(pagination) == {
        "page",
        "per_page",
        "total",
        "pages",
        "has_next",
        "has_prev",
    }
    assert pagination["has_next"] is True and pagination["has_prev"] is False
    assert set(body["summary"]) == SUMMARY_KEYS
    assert isinstance(body["summary"]["avgCallDuration"], str)
    assert body["summary"]["avgCallDuration"].endswith("s")


def test_seeded_mix_is_realistic(api: Api) -> None:
    summary = _cdrs(api)["summary"]
    assert summary["totalCalls"] > 2000  # a few thousand a day, 3 days seeded
    assert 50 <= summary["answerRate"] <= 60
    causes = {row["hangup_cause"] for row in _cdrs(api, per_page=100)["data"]}
    assert {"NORMAL_CLEARING", "NO_ANSWER"} <= causes
    accounts = {row["account_id"] for row in _cdrs(api, per_page=100)["data"]}
    assert api.auth_id in accounts and any(a.startswith("SA_") for a in accounts)


def test_pages_are_newest_first_and_disjoint(api: Api) -> None:
    first, second = _cdrs(api, per_page=50), _cdrs(api, per_page=50, page=2)
    times = [r["start_time"] for r in first["data"] + second["data"]]
    assert times == sorted(times, reverse=True)
    assert not {r["uuid"] for r in first["data"]} & {r["uuid"] for r in second["data"]}
    last_page = first["pagination"]["pages"]
    tail = _cdrs(api, per_page=50, page=last_page)
    assert tail["pagination"]["has_next"] is False
    assert tail["pagination"]["has_prev"] is True
    assert _cdrs(api, per_page=50, page=last_page + 1)["data"] == []


def test_per_page_is_capped_at_100(api: Api) -> None:
    body = _cdrs(api, per_page=1000)
    assert body["pagination"]["per_page"] == 100 and body["count"] == 100


def test_unanswered_calls_have_the_documented_fields(api: Api) -> None:
    body = _cdrs(api, hangup_cause="NO_ANSWER", per_page=3)
    row = body["data"][0]
    assert row["answer_time"] is None and row["billsec"] == 0 and row["mos"] == 0
    assert (row["hangup_cause_code"], row["failure_code"], row["failure_reason"]) == (
        4100,
        "16",
        "NO_ANSWER",
    )
    assert row["hangup_disposition"] == "send_cancel"


def test_summary_is_computed_over_the_filtered_set(api: Api) -> None:
    params = {"call_direction": "outbound", "min_duration": 30}
    summary = _cdrs(api, **params)["summary"]
    rows = _export(api, **params)
    assert summary["totalCalls"] == len(rows)
    assert all(
        r["call_direction"] == "outbound" and int(r["duration"]) >= 30 for r in rows
    )
    billsec = sum(int(r["billsec"]) for r in rows)
    answered = sum(1 for r in rows if r["hangup_cause"] == "NORMAL_CLEARING")
    assert summary["total_billable_seconds"] == billsec
    assert summary["answeredCalls"] == answered
    assert summary["avgCallDuration"] == f"{round(billsec / answered)}s"
    assert summary["total_cost"] == pytest.approx(sum(float(r["cost"]) for r in rows))


def test_empty_result_has_zeroed_summary(api: Api) -> None:
    body = _cdrs(api, hangup_cause="NOT_A_CAUSE")
    assert body["data"] == [] and body["count"] == 0
    assert body["summary"]["totalCalls"] == 0
    assert body["summary"]["avgCallDuration"] == "0s"
    assert body["summary"]["last_call_at"] is None


def test_dates_must_come_as_a_pair(api: Api) -> None:
    today = datetime.now(UTC).date()
    alone = api.get("/Account/{a}/cdr", params={"start_date": str(today)})
    assert alone.status_code == 400
    yesterday = today - timedelta(days=1)
    body = _cdrs(api, start_date=str(yesterday), end_date=str(yesterday))
    assert body["pagination"]["total"] > 0
    assert {r["start_time"][:10] for r in body["data"]} == {str(yesterday)}
    bad = api.get(
        "/Account/{a}/cdr",
        params={"start_date": "2026/01/01", "end_date": "2026/01/02"},
    )
    assert bad.status_code == 400


def test_number_filters_match_substring_and_e164(api: Api) -> None:
    sample = _cdrs(api, call_direction="outbound", per_page=1)["data"][0]
    caller = sample["caller_id_number"]
    exact = _cdrs(api, from_number=caller, per_page=100)
    assert exact["pagination"]["total"] >= 1
    assert {r["caller_id_number"] for r in exact["data"]} == {caller}
    partial = _cdrs(api, to_number=sample["destination_number"][4:10])
    assert partial["pagination"]["total"] >= 1


def test_exact_match_filters(api: Api) -> None:
    sample = _cdrs(api, hangup_cause="NORMAL_CLEARING", per_page=1)["data"][0]
    for name in ("sip_call_id", "bridge_uuid"):
        body = _cdrs(api, **{name: sample[name]})
        assert [r["uuid"] for r in body["data"]] == [sample["uuid"]]
    busy = _cdrs(api, hangup_disposition="recv_refuse", per_page=100)
    assert {r["hangup_disposition"] for r in busy["data"]} == {"recv_refuse"}
    contexts = _cdrs(api, context="inbound", per_page=100)
    assert {r["call_direction"] for r in contexts["data"]} == {"inbound"}
    assert _cdrs(api, sip_call_id="not-a-uuid")["pagination"]["total"] == 0


def test_campaign_and_search_filters(api: Api) -> None:
    campaign = _cdrs(api, campaign_id="cmp_emi_reminder", per_page=100)
    assert campaign["pagination"]["total"] > 0
    assert {r["campaign_id"] for r in campaign["data"]} == {"cmp_emi_reminder"}
    busy = _cdrs(api, search="busy", per_page=100)
    assert {r["hangup_cause"] for r in busy["data"]} == {"USER_BUSY"}


def test_search_echoes_filters(api: Api) -> None:
    response = api.get("/Account/{a}/cdr/search", params={"call_direction": "inbound"})
    body = response.json()
    assert body["filters"] == {
        "call_direction": "inbound",
        "from_number": "",
        "hangup_cause": "",
        "to_number": "",
    }
    assert {r["call_direction"] for r in body["data"]} == {"inbound"}


def test_recent_returns_the_newest(api: Api) -> None:
    body = api.get("/Account/{a}/cdr/recent", params={"limit": 7}).json()
    assert set(body) == {"account_id", "count", "data", "success"}
    assert body["count"] == 7
    newest = _cdrs(api, per_page=7)["data"]
    assert [r["uuid"] for r in body["data"]] == [r["uuid"] for r in newest]


def test_export_is_csv_with_all_rows_ignoring_paging(api: Api) -> None:
    params = {"call_direction": "inbound", "hangup_cause": "USER_BUSY"}
    rows = _export(api, page=2, per_page=1, **params)
    assert len(rows) == _cdrs(api, **params)["pagination"]["total"] > 1
    assert list(rows[0]) == list(CDR_FIELDS)


def test_get_by_uuid_and_numeric_id_is_404(api: Api) -> None:
    row = _cdrs(api, per_page=1)["data"][0]
    response = api.get(f"/Account/{{a}}/cdr/{row['uuid']}")
    assert response.status_code == 200
    assert response.json() == {"data": row, "success": True}
    assert api.get(f"/Account/{{a}}/cdr/{row['id']}").status_code == 404
    made_up = "aabbccdd-1234-5678-90ab-cdef12345678"
    assert api.get(f"/Account/{{a}}/cdr/{made_up}").status_code == 404


def test_sub_accounts_see_only_their_own_cdrs(
    api: Api, simulator: SimulatorHandle
) -> None:
    sa_id, token = next(iter(simulator.credentials["sub_account_tokens"].items()))
    sa_api = Api(simulator, sa_id, token)
    mine = sa_api.get("/Account/{a}/cdr", params={"per_page": 100}).json()
    assert mine["pagination"]["total"] > 0
    assert {r["account_id"] for r in mine["data"]} == {sa_id}
    foreign = _cdrs(api, per_page=100)["data"]
    other = next(r for r in foreign if r["account_id"] != sa_id)
    assert sa_api.get(f"/Account/{{a}}/cdr/{other['uuid']}").status_code == 404
    assert mine["pagination"]["total"] < _cdrs(api)["pagination"]["total"]
