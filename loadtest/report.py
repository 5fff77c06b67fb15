"""Turn Locust's stats CSVs and the run's samples into figures, verdicts and HTML.

`page_stats` reads a `<prefix>_stats.csv`; `evaluate` judges the figures
against the targets of the issue; `render_html` writes the page a person reads
(var/loadtest/index.html) next to Locust's own reports.
"""

from __future__ import annotations

import csv
import html
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# The targets (issue 10). Locust rounds percentiles to two significant digits
# above 100 ms, so a p95 of "250" may be anything from 245 to 254 ms.
PAGE_P95_MS = 250
CDR_P95_MS = 150
LIST_RATIO = 0.25
SYNC_LAG_S = 300
LATENCY_CHANGE = 0.10
# Below this absolute change a page's p95 moved by noise (two significant digits,
# a shared 2-core box), not by a provider call, which would add seconds.
LATENCY_NOISE_MS = 20
# A p95 of fewer requests is little more than the slowest one: judged only overall.
LATENCY_MIN_REQUESTS = 30
SIGN_IN = "sign-in"
CDR_PREFIX = "cdr report"


@dataclass(frozen=True)
class PageStat:
    """One row of Locust's stats: a page (request name) or the aggregate."""

    name: str
    method: str
    requests: int
    failures: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    avg_ms: float
    max_ms: float
    rps: float


def _num(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


def page_stats(path: Path) -> tuple[list[PageStat], PageStat | None]:
    """Read a Locust stats CSV: the per-page rows and the aggregated row."""
    pages, total = [], None
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            stat = PageStat(
                name=row["Name"],
                method=row["Type"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                p50_ms=_num(row["50%"]),
                p95_ms=_num(row["95%"]),
                p99_ms=_num(row["99%"]),
                avg_ms=round(_num(row["Average Response Time"]), 1),
                max_ms=round(_num(row["Max Response Time"]), 1),
                rps=round(_num(row["Requests/s"]), 2),
            )
            if row["Name"] == "Aggregated":
                total = stat
            else:
                pages.append(stat)
    return pages, total


def phase_figures(path: Path, seconds: float) -> dict[str, Any]:
    """Return a phase's pages (sign-in left out), total and throughput."""
    pages, total = page_stats(path)
    browsed = [p for p in pages if p.name != SIGN_IN]
    requests = sum(p.requests for p in browsed)
    return {
        "seconds": seconds,
        "pages": [asdict(p) for p in browsed],
        "sign_in": next((asdict(p) for p in pages if p.name == SIGN_IN), None),
        "aggregated": asdict(total) if total else None,
        "requests": requests,
        "failures": sum(p.failures for p in browsed),
        "rps": round(sum(p.rps for p in browsed), 2),
    }


def _target(
    name: str, goal: str, measured: Any, passed: bool | None, note: str = ""
) -> dict[str, Any]:
    return {
        "target": name,
        "goal": goal,
        "measured": measured,
        "passed": passed,
        "note": note,
    }


def _worst(pages: list[dict[str, Any]], prefix: str = "") -> dict[str, Any] | None:
    chosen = [p for p in pages if p["name"].startswith(prefix) and p["requests"]]
    return max(chosen, key=lambda p: p["p95_ms"], default=None)


def latency_changes(
    base: list[dict[str, Any]], slow: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Compare each page's p95 without and with latency at the simulator."""
    before = {p["name"]: p for p in base}
    rows = []
    for page in slow:
        old = before.get(page["name"])
        if not old or not old["p95_ms"] or not page["requests"]:
            continue
        delta = page["p95_ms"] - old["p95_ms"]
        judged = min(old["requests"], page["requests"]) >= LATENCY_MIN_REQUESTS
        rows.append(
            {
                "name": page["name"],
                "p95_base_ms": old["p95_ms"],
                "p95_latency_ms": page["p95_ms"],
                "change": round(delta / old["p95_ms"], 3),
                "change_ms": round(delta, 1),
                "judged": judged,
                "within": not judged
                or delta <= max(LATENCY_CHANGE * old["p95_ms"], LATENCY_NOISE_MS),
            }
        )
    return rows


def evaluate(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Judge the run's figures against the targets; None where not measured."""
    phases = summary.get("phases", {})
    browse = phases.get("browse")
    targets = []
    if browse:
        worst = _worst(browse["pages"])
        targets.append(
            _target(
                "every page p95",
                f"≤ {PAGE_P95_MS} ms with {summary['conditions']['users']} users",
                f"{worst['p95_ms']:.0f} ms ({worst['name']})" if worst else "no pages",
                bool(worst) and worst["p95_ms"] <= PAGE_P95_MS,
            )
        )
        targets.append(
            _target("errors", "0", browse["failures"], browse["failures"] == 0)
        )
        cdr = _worst(browse["pages"], CDR_PREFIX)
        cdrs = summary["conditions"].get("cdrs", 0)
        targets.append(
            _target(
                "CDR report p95",
                f"≤ {CDR_P95_MS} ms at 1,000,000 CDRs",
                f"{cdr['p95_ms']:.0f} ms ({cdr['name']}) at {cdrs:,} CDRs"
                if cdr
                else "-",
                bool(cdr) and cdr["p95_ms"] <= CDR_P95_MS,
                ""
                if cdrs >= 1_000_000
                else "fewer than 1M CDRs: not the target's size",
            )
        )
    for row in (phases.get("throughput") or {}).get("lists", []):
        targets.append(
            _target(
                f"throughput: {row['name']} / minimal view",
                f"≥ {LIST_RATIO:.0%}",
                f"{row['ratio']:.0%} ({row['rps']:.0f} vs "
                f"{phases['throughput']['minimal']['rps']:.0f} req/s)",
                row["ratio"] >= LIST_RATIO,
            )
        )
    lag = summary.get("sync_lag", {}).get("under_load", {}).get("kinds", [])
    judged = [
        k for k in lag if k["period_s"] <= SYNC_LAG_S and k["max_lag_s"] is not None
    ]
    worst_lag = max(judged, key=lambda k: k["max_lag_s"], default=None)
    targets.append(
        _target(
            "sync lag under load",
            f"< {SYNC_LAG_S // 60} min (kinds synced every ≤ 5 min)",
            f"{worst_lag['max_lag_s']:.0f} s ({worst_lag['kind']})"
            if worst_lag
            else None,
            None if worst_lag is None else worst_lag["max_lag_s"] < SYNC_LAG_S,
        )
    )
    latency = phases.get("latency")
    if browse and latency:
        rows = latency["changes"]
        base_p95 = (browse.get("aggregated") or {}).get("p95_ms") or 0
        slow_p95 = (latency.get("aggregated") or {}).get("p95_ms") or 0
        change = (slow_p95 - base_p95) / base_p95 if base_p95 else None
        outside = [r["name"] for r in rows if not r["within"]]
        slowest = (latency.get("aggregated") or {}).get("max_ms") or 0
        waited = (
            f"slowest request {slowest:,.0f} ms"
            + (" (< 5 s: no page waited on Vobiz)" if slowest < 5000 else "")
            + ". "
        )
        targets.append(
            _target(
                "+5 s at Vobiz: page p95 change",
                f"≤ {LATENCY_CHANGE:.0%}",
                None if change is None else f"{change:+.0%} overall",
                change is not None and change <= LATENCY_CHANGE and not outside,
                waited
                + (
                    ("pages beyond 10% and 20 ms: " + ", ".join(outside))
                    if outside
                    else ""
                ),
            )
        )
    scenario = summary.get("scenario") or {}
    if scenario.get("verdicts"):
        failed = [k for k, ok in scenario["verdicts"].items() if not ok]
        checks = len(scenario["verdicts"])
        targets.append(
            _target(
                "Vobiz limits (CPS, concurrency, alert before 429)",
                "all checks hold",
                f"{checks - len(failed)} of {checks} hold",
                not failed,
                ", ".join(failed),
            )
        )
    return targets


# --- HTML ---------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(headers: list[str], rows: list[list[Any]], numeric_from: int = 1) -> str:
    head = "".join(
        f'<th class="{"num" if i >= numeric_from else ""}">{_e(h)}</th>'
        for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i >= numeric_from else ""}">{cell}</td>'
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return '<span class="badge grey">not measured</span>'
    return (
        '<span class="badge green">met</span>'
        if passed
        else ('<span class="badge red">missed</span>')
    )


def _pages_table(phase: dict[str, Any]) -> str:
    rows = [
        [
            _e(p["name"]),
            p["requests"],
            p["failures"],
            f"{p['p50_ms']:.0f}",
            f"{p['p95_ms']:.0f}",
            f"{p['p99_ms']:.0f}",
            f"{p['rps']:.2f}",
        ]
        for p in sorted(phase["pages"], key=lambda p: -p["p95_ms"])
    ]
    return _table(
        ["Page", "Requests", "Errors", "p50 ms", "p95 ms", "p99 ms", "req/s"], rows
    )


STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1d2430}
h1{font-size:1.6rem}h2{margin-top:2rem;font-size:1.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border-bottom:1px solid #dde2ea;padding:.3rem .5rem;text-align:left}
th{background:#f3f5f8}.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{padding:.1rem .5rem;border-radius:.7rem;font-size:.85rem;font-weight:600}
.green{background:#d8f2df;color:#135c2a}.red{background:#fadcdc;color:#8a1c1c}
.grey{background:#e6e8ec;color:#3c4350}.muted{color:#5d6675}
"""


def render_html(summary: dict[str, Any]) -> str:
    """Return the summary page (static HTML, no script)."""
    cond = summary["conditions"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Load test report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Load test report</h1>",
        f"<p class='muted'>{_e(cond.get('started_at'))} · {cond.get('users')} users · "
        f"{cond.get('cpus')} CPUs · load average before {_e(cond.get('load_before'))}, "
        f"after {_e(cond.get('load_after'))} · {cond.get('cdrs', 0):,} CDRs · "
        f"commit {_e(cond.get('commit'))}</p>",
        "<h2>Targets</h2>",
        _table(
            ["Target", "Goal", "Measured", "Verdict", "Note"],
            [
                [
                    _e(t["target"]),
                    _e(t["goal"]),
                    _e(t["measured"]),
                    _verdict(t["passed"]),
                    _e(t["note"]),
                ]
                for t in summary.get("targets", [])
            ],
            numeric_from=9,
        ),
    ]
    parts += _phase_sections(summary)
    parts += _lag_section(summary)
    parts += _scenario_section(summary.get("scenario") or {})
    left_out = summary.get("pages_left_out") or []
    if left_out:
        parts.append("<h2>Pages left out</h2><ul>")
        parts += [f"<li>{_e(item)}</li>" for item in left_out]
        parts.append("</ul>")
    parts.append(
        "<p class='muted'>Locust's own reports: "
        + " · ".join(
            f"<a href='{_e(name)}'>{_e(name)}</a>"
            for name in summary.get("locust_reports", [])
        )
        + " · figures: <a href='summary.json'>summary.json</a></p></body></html>"
    )
    return "\n".join(parts)


def _phase_sections(summary: dict[str, Any]) -> list[str]:
    phases = summary.get("phases", {})
    parts = []
    titles = {
        "browse": "Phase 1 — every role browses its pages",
        "latency": "Phase 3 — the same with +5 s latency at the Vobiz simulator",
    }
    for key, title in titles.items():
        phase = phases.get(key)
        if not phase:
            continue
        parts.append(f"<h2>{_e(title)}</h2>")
        parts.append(
            f"<p>{phase['requests']:,} requests ({phase['rps']:.1f} req/s), "
            f"{phase['failures']} errors; load average of the machine at the start "
            f"and end: {_e(phase.get('load_average'))}.</p>"
        )
        parts.append(_pages_table(phase))
        sign_in = phase.get("sign_in")
        if sign_in:
            parts.append(
                f"<p class='muted'>Sign-in, once per user before the measured window "
                f"(password hash and, for admins, the TOTP code; not a page target): "
                f"{sign_in['requests']} requests, p50 {sign_in['p50_ms']:.0f} ms, "
                f"p95 {sign_in['p95_ms']:.0f} ms.</p>"
            )
        if key == "latency":
            parts.append(
                _table(
                    ["Page", "p95 before ms", "p95 with latency ms", "change", "ok"],
                    [
                        [
                            _e(r["name"]),
                            f"{r['p95_base_ms']:.0f}",
                            f"{r['p95_latency_ms']:.0f}",
                            f"{r['change']:+.0%}",
                            ("yes" if r["within"] else "no")
                            if r.get("judged", True)
                            else "too few requests",
                        ]
                        for r in phase["changes"]
                    ],
                )
            )
    tp = phases.get("throughput")
    if tp:
        parts.append(
            "<h2>Phase 2 — throughput: 50-row list against the minimal view</h2>"
        )
        parts.append(
            _table(
                ["Page", "Users", "Seconds", "Requests", "Errors", "req/s", "p95 ms"],
                [
                    [
                        _e(r["name"]),
                        r["users"],
                        r["seconds"],
                        r["requests"],
                        r["failures"],
                        f"{r['rps']:.1f}",
                        f"{r['p95_ms']:.0f}",
                    ]
                    for r in (tp["minimal"], *tp["lists"])
                ],
            )
        )
        ratios = ", ".join(f"{r['name']}: {r['ratio']:.0%}" for r in tp["lists"])
        parts.append(
            "<p>Share of the minimal view's throughput: "
            f"<strong>{_e(ratios)}</strong>. "
            f"{_e(tp['note'])} /healthz checks (one probe after the runs): "
            f"{_e(tp.get('healthz_checks'))}</p>"
        )
    return parts


def _lag_section(summary: dict[str, Any]) -> list[str]:
    lag = summary.get("sync_lag") or {}
    rows = []
    for phase, data in lag.items():
        for k in data.get("kinds", []):
            rows.append(
                [
                    _e(phase),
                    _e(k["kind"]),
                    k["period_s"],
                    _e(k["max_lag_s"]),
                    _e(k.get("overdue_s")),
                    _e(k.get("samples")),
                    "yes" if k.get("failing_seen") else "no",
                ]
            )
    if not rows:
        return []
    return [
        "<h2>Sync lag (now - last successful sync, sampled every 5 s)</h2>",
        _table(
            [
                "Phase",
                "Kind",
                "Schedule s",
                "Max lag s",
                "Beyond schedule s",
                "Samples",
                "Failing seen",
            ],
            rows,
            numeric_from=2,
        ),
    ]


def _scenario_section(scenario: dict[str, Any]) -> list[str]:
    if not scenario:
        return []
    if scenario.get("error"):
        return [
            "<h2>Vobiz path</h2>",
            f"<p>The scenario failed: {_e(scenario['error'])}</p>",
        ]
    trunk = scenario["trunk"]
    return [
        "<h2>Vobiz path — calls at a chosen CPS against known limits</h2>",
        f"<p>Trunk “{_e(trunk['name'])}”: CPS limit {trunk['cps_limit']}, "
        f"{trunk['concurrent_calls_limit']} concurrent calls (last burst).</p>",
        _table(
            [
                "Burst",
                "CPS",
                "Attempted",
                "Accepted",
                "429",
                "429 by",
                "Most accepted in 0.9 s",
                "p50 ms",
                "p95 ms",
            ],
            [
                [
                    _e(b["label"]),
                    b["cps"],
                    b["attempted"],
                    b["accepted"],
                    b["rate_limited"],
                    _e(b["rate_limited_by"]),
                    b["max_accepted_per_window"],
                    _e(b["p50_ms"]),
                    _e(b["p95_ms"]),
                ]
                for b in scenario["bursts"]
            ],
        ),
        _table(
            ["Check", "Holds"],
            [[_e(k), "yes" if ok else "no"] for k, ok in scenario["verdicts"].items()],
        ),
        "<h3>API request log (sync.ApiCall) during the run</h3>",
        _table(
            ["Endpoint", "Calls", "p50 ms", "p95 ms", "p99 ms", "Outcomes"],
            [
                [
                    _e(a["endpoint"]),
                    a["count"],
                    _e(a["p50_ms"]),
                    _e(a["p95_ms"]),
                    _e(a["p99_ms"]),
                    _e(a["outcomes"]),
                ]
                for a in scenario.get("api_calls", [])
            ],
        ),
    ]
