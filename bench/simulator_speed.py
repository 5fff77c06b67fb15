"""Benchmark the Vobiz simulator at its full demo size.

    python bench/simulator_speed.py

Prints, as JSON: start-up time with 90 seeded days, CDR page latency (first,
deep, filtered; best of 5), a 100,000-CDR bulk seed, and a deep page after it.
Targets: start-up < 5 s, first/filtered page < 1 s, deep page < 0.2 s,
bulk seed < 5 s.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.server import start_in_thread


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(min(times), 4)


def main() -> None:
    started = time.perf_counter()
    sim = start_in_thread(tempfile.mkdtemp(prefix="bench-sim-"), seed_days=90)
    startup = time.perf_counter() - started
    session = requests.Session()
    url = f"{sim.base_url}/Account/{sim.auth_id}/cdr"

    def get(**params):
        response = session.get(
            url,
            params=params,
            headers=sim.auth_headers(),
            verify=sim.ca_bundle,
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    pages = get(per_page=100)["pagination"]["pages"]
    result = {
        "seeded_cdrs": sim.control.stats()["cdrs"],
        "startup_s": round(startup, 3),
        "first_page_s": best_of(lambda: get(per_page=100)),
        "deep_page_s": best_of(lambda: get(per_page=100, page=pages - 1)),
        "filtered_page_s": best_of(
            lambda: get(call_direction="inbound", min_duration=60, from_number="9180")
        ),
    }
    sa_id = next(iter(sim.credentials["sub_account_tokens"]))
    started = time.perf_counter()
    sim.control.seed_cdrs(
        100_000, account_id=sa_id, start="2025-01-01", end="2025-02-01T00:00:00Z"
    )
    result["bulk_seed_100k_s"] = round(time.perf_counter() - started, 3)
    window = {"start_date": "2025-01-01", "end_date": "2025-01-31", "per_page": 100}
    result["page_500_after_seed_s"] = best_of(lambda: get(page=500, **window))
    sim.stop()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
