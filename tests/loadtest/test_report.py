"""The load-test report: Locust's stats CSV in, figures, verdicts and HTML out."""

from __future__ import annotations

import copy

import pytest

from loadtest import report
from loadtest.lag import lag_summary

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
# Canned from a real run (two-significant-digit percentiles, as Locust writes them).
ROWS = [
    "GET,dashboard,120,0,21,24.5,9.1,180.2,8100.0,1.2,0.0,21,24,26,28,40,61,90,120,180,180,180",
    "GET,cdr report,80,0,33,38.0,20.3,240.9,35000.0,0.8,0.0,33,36,40,41,70,110,150,170,240,240,240",  # noqa: E501
    "GET,numbers,40,2,30,41.2,14.0,900.0,19000.0,0.4,0.02,30,33,35,40,60,300,700,900,900,900,900",
    "POST,sign-in,20,0,300,320.0,250.0,600.0,0.0,0.2,0.0,300,320,330,340,400,560,600,600,600,600,600",
    ",Aggregated,260,2,28,60.3,9.1,900.0,15000.0,2.6,0.02,28,33,36,40,60,250,600,700,900,900,900",
]


@pytest.fixture
def stats_csv(tmp_path):
    path = tmp_path / "browse_stats.csv"
    path.write_text("\n".join([HEADER, *ROWS]) + "\n")
    return path


def test_page_stats_reads_every_page_and_the_aggregate(stats_csv):
    pages, total = report.page_stats(stats_csv)

    assert [p.name for p in pages] == ["dashboard", "cdr report", "numbers", "sign-in"]
    numbers = pages[2]
    assert (numbers.requests, numbers.failures) == (40, 2)
    assert (numbers.p50_ms, numbers.p95_ms, numbers.p99_ms) == (30, 300, 900)
    assert numbers.rps == 0.4
    assert total is not None and total.requests == 260 and total.p95_ms == 250


def test_phase_figures_leave_sign_in_out_of_the_pages(stats_csv):
    phase = report.phase_figures(stats_csv, 120)

    assert [p["name"] for p in phase["pages"]] == ["dashboard", "cdr report", "numbers"]
    assert phase["sign_in"]["requests"] == 20
    assert phase["requests"] == 240
    assert phase["failures"] == 2
    assert phase["rps"] == 2.4


def _summary(stats_csv, cdrs=1_000_000):
    browse = report.phase_figures(stats_csv, 120)
    return {
        "conditions": {"users": 20, "cdrs": cdrs, "cpus": 2},
        "phases": {
            "browse": browse,
            "throughput": {
                "minimal": {"rps": 200.0},
                "lists": [
                    {"name": "transactions (50 rows)", "rps": 60.0, "ratio": 0.3},
                    {"name": "request log (50 rows)", "rps": 40.0, "ratio": 0.2},
                ],
            },
        },
        "sync_lag": {
            "under_load": {
                "kinds": [
                    {"kind": "balance", "period_s": 60, "max_lag_s": 75.0},
                    {"kind": "cdrs", "period_s": 300, "max_lag_s": 290.0},
                    {"kind": "trunks", "period_s": 900, "max_lag_s": 500.0},
                ]
            }
        },
    }


def _by_name(targets):
    return {t["target"]: t for t in targets}


def test_evaluate_names_the_slowest_page_and_counts_errors(stats_csv):
    targets = _by_name(report.evaluate(_summary(stats_csv)))

    every = targets["every page p95"]
    assert every["passed"] is False
    assert every["measured"] == "300 ms (numbers)"
    assert targets["errors"]["passed"] is False
    assert targets["errors"]["measured"] == 2
    cdr = targets["CDR report p95"]
    assert cdr["passed"] is True and cdr["note"] == ""


def test_evaluate_flags_a_cdr_figure_below_a_million_rows(stats_csv):
    cdr = _by_name(report.evaluate(_summary(stats_csv, cdrs=100_000)))["CDR report p95"]

    assert "fewer than 1M" in cdr["note"]


def test_evaluate_judges_each_list_against_the_minimal_view(stats_csv):
    targets = _by_name(report.evaluate(_summary(stats_csv)))

    assert (
        targets["throughput: transactions (50 rows) / minimal view"]["passed"] is True
    )
    refused = targets["throughput: request log (50 rows) / minimal view"]
    assert refused["passed"] is False
    assert refused["measured"] == "20% (40 vs 200 req/s)"


def test_sync_lag_is_judged_on_kinds_synced_every_five_minutes_or_less(stats_csv):
    summary = _summary(stats_csv)
    lag = _by_name(report.evaluate(summary))["sync lag under load"]
    assert lag["passed"] is True
    assert lag["measured"] == "290 s (cdrs)"

    summary["sync_lag"]["under_load"]["kinds"][1]["max_lag_s"] = 340.0
    assert _by_name(report.evaluate(summary))["sync lag under load"]["passed"] is False


def test_latency_change_within_noise_passes_and_a_provider_call_fails(stats_csv):
    summary = _summary(stats_csv)
    base = summary["phases"]["browse"]["pages"]
    slow = copy.deepcopy(base)
    slow[0]["p95_ms"] = 70  # dashboard 61 → 70 ms: +15%, but only 9 ms
    changes = report.latency_changes(base, slow)
    aggregated = dict(summary["phases"]["browse"]["aggregated"], p95_ms=260)
    summary["phases"]["latency"] = {"changes": changes, "aggregated": aggregated}

    verdict = _by_name(report.evaluate(summary))["+5 s at Vobiz: page p95 change"]
    assert verdict["passed"] is True
    assert verdict["measured"] == "+4% overall"

    slow[1]["p95_ms"] = 5200  # a provider call in the CDR report's path
    summary["phases"]["latency"]["changes"] = report.latency_changes(base, slow)
    verdict = _by_name(report.evaluate(summary))["+5 s at Vobiz: page p95 change"]
    assert verdict["passed"] is False
    assert "cdr report" in verdict["note"]


def test_scenario_verdicts_become_one_target(stats_csv):
    summary = _summary(stats_csv)
    summary["scenario"] = {"verdicts": {"cps_limit_holds": True, "alert": False}}

    target = _by_name(report.evaluate(summary))[
        "Vobiz limits (CPS, concurrency, alert before 429)"
    ]
    assert target["passed"] is False
    assert target["measured"] == "1 of 2 hold"
    assert target["note"] == "alert"


def test_render_html_shows_targets_pages_and_escapes_names(stats_csv):
    summary = _summary(stats_csv)
    summary["phases"]["browse"]["pages"][0]["name"] = "<script>x</script>"
    summary["phases"]["throughput"].update(
        note="closed loop", healthz_checks={"database": {"ok": True}}
    )
    summary["phases"]["throughput"]["minimal"].update(
        name="/healthz", users=8, seconds=20, requests=4000, failures=0, p95_ms=60
    )
    for row in summary["phases"]["throughput"]["lists"]:
        row.update(users=8, seconds=20, requests=900, failures=0, p95_ms=200)
    summary["targets"] = report.evaluate(summary)
    summary["locust_reports"] = ["locust-browse.html"]

    page = report.render_html(summary)

    assert "<script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page
    assert "every page p95" in page and "missed" in page
    assert "href='locust-browse.html'" in page
    assert "transactions (50 rows): 30%" in page


def test_lag_summary_keeps_the_worst_lag_and_how_far_beyond_schedule():
    samples = [
        {
            "phase": "browse",
            "kind": "cdrs",
            "lag_s": 100.0,
            "period_s": 300,
            "failing": False,
        },
        {
            "phase": "browse",
            "kind": "cdrs",
            "lag_s": 320.0,
            "period_s": 300,
            "failing": False,
        },
        {
            "phase": "latency",
            "kind": "cdrs",
            "lag_s": 900.0,
            "period_s": 300,
            "failing": True,
        },
        {
            "phase": "browse",
            "kind": "balance",
            "lag_s": None,
            "period_s": 60,
            "failing": True,
        },
    ]

    kinds = {k["kind"]: k for k in lag_summary(samples, ("browse",))["kinds"]}

    assert kinds["cdrs"]["max_lag_s"] == 320.0
    assert kinds["cdrs"]["overdue_s"] == 20.0
    assert kinds["cdrs"]["samples"] == 2 and kinds["cdrs"]["failing_seen"] is False
    assert kinds["balance"]["max_lag_s"] is None and kinds["balance"]["failing_seen"]
