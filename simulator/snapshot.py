"""Persist the state as JSON: debounced after changes, and on shutdown.

Writes go to a temporary file that is renamed over ``state.json``, so a crash
mid-write leaves the previous snapshot intact.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import Any

from simulator.cdrfields import ACCT, CAMPAIGN, TRUNK, Row
from simulator.cdrstore import Tables
from simulator.credentials import write_private_json
from simulator.models import (
    Account,
    Call,
    Credential,
    IpAcl,
    Number,
    OriginationUri,
    Transaction,
    Trunk,
    Wallet,
    from_dict,
    to_dict,
)
from simulator.state import SimConfig, SimState, snapshot_path

log = logging.getLogger("simulator")
SNAPSHOT_FORMAT = 1


def read_snapshot(data_dir: Path) -> dict[str, Any] | None:
    """Return the saved snapshot, or None if there is none (or it is unreadable)."""
    path = snapshot_path(data_dir)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        log.warning("ignoring unreadable snapshot %s", path)
        return None
    return data if isinstance(data, dict) else None


def state_to_snapshot(state: SimState) -> dict[str, Any]:
    """Return the JSON-ready snapshot of everything that is not seeded CDRs."""
    with state.lock:
        tables = state.cdrs.tables
        return {
            "format": SNAPSHOT_FORMAT,
            "meta": {
                "seed": state.seed,
                "seed_days": state.seed_days,
                "anchor": state.anchor,
                "clock_offset": state.clock.offset,
            },
            "jwt_key": state.jwt_key,
            "config": to_dict(state.config),
            "accounts": [to_dict(a) for a in state.accounts.values()],
            "wallets": [to_dict(w) for w in state.wallets.values()],
            "transactions": [to_dict(t) for t in state.transactions],
            "numbers": [to_dict(n) for n in state.numbers.values()],
            "trunks": [to_dict(t) for t in state.trunks.values()],
            "credentials": [to_dict(c) for c in state.credentials.values()],
            "ipacls": [to_dict(a) for a in state.ipacls.values()],
            "uris": [to_dict(u) for u in state.uris.values()],
            "calls": [to_dict(c) for c in state.calls.values()],
            "call_seq": state.call_seq,
            "numeric_seq": state.numeric_seq,
            # Shallow copies: json.dump runs after the lock is released, and the
            # entries themselves are never changed once stored.
            "idempotency": dict(state.idempotency),
            "refresh_tokens": dict(state.refresh_tokens),
            "placed_rows": [_named_row(r, tables) for r in state.placed_rows],
            "batches": list(state.batches),
        }


def load_state(state: SimState, data: dict[str, Any]) -> None:
    """Rebuild the state from a snapshot (the seeded CDRs are rebuilt first)."""
    with state.lock:
        state.seed_world()
        state.jwt_key = data["jwt_key"]
        state.config = from_dict(SimConfig, data.get("config", {}))
        state.clock.set_offset(float(data["meta"].get("clock_offset", 0.0)))
        state.clear()
        state.accounts = _records(Account, data["accounts"], "auth_id")
        state.wallets = {
            f"{w.account_id}:{w.currency}": w
            for w in (from_dict(Wallet, raw) for raw in data["wallets"])
        }
        state.transactions = [from_dict(Transaction, t) for t in data["transactions"]]
        state.numbers = _records(Number, data["numbers"], "e164")
        state.trunks = _records(Trunk, data["trunks"], "trunk_id")
        state.credentials = _records(Credential, data["credentials"], "id")
        state.ipacls = _records(IpAcl, data["ipacls"], "id")
        state.uris = _records(OriginationUri, data["uris"], "id")
        state.calls = _records(Call, data["calls"], "request_uuid")
        state.call_seq = int(data["call_seq"])
        state.numeric_seq = int(data["numeric_seq"])
        state.idempotency = dict(data["idempotency"])
        state.refresh_tokens = dict(data["refresh_tokens"])
        tables = state.cdrs.tables
        state.placed_rows = [_row_from_named(r, tables) for r in data["placed_rows"]]
        state.cdrs.add_rows(state.placed_rows)
        state.batches = list(data["batches"])
        for spec in state.batches:
            state.generate_batch(spec)


def _records(cls: type[Any], items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    records = [from_dict(cls, item) for item in items]
    return {getattr(record, key): record for record in records}


def _named_row(row: Row, tables: Tables) -> list[Any]:
    """Replace a row's table indices by the strings they stand for."""
    named: list[Any] = list(row)
    named[ACCT] = tables.accounts[row[ACCT]]
    named[TRUNK] = tables.trunks[row[TRUNK]]
    named[CAMPAIGN] = tables.campaigns[row[CAMPAIGN]]
    return named


def _row_from_named(named: list[Any], tables: Tables) -> Row:
    values = list(named)
    values[ACCT] = tables.account(named[ACCT])
    values[TRUNK] = tables.trunk(named[TRUNK])
    values[CAMPAIGN] = tables.campaign(named[CAMPAIGN])
    return tuple(int(v) for v in values)


class SnapshotWriter:
    """Save the state a short while after it last changed."""

    def __init__(self, state: SimState, data_dir: Path, debounce: float = 0.3) -> None:
        self.state = state
        self.path = snapshot_path(data_dir)
        self.debounce = debounce
        self._saved_version = -1
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._run, name="sim-snapshot", daemon=True
        )

    def start(self) -> None:
        """Start watching for changes."""
        self._thread.start()

    def _run(self) -> None:
        seen = self.state.version
        first_change: float | None = None
        while not self._stop.wait(self.debounce):
            current = self.state.version
            if current == self._saved_version:
                seen, first_change = current, None
                continue
            first_change = first_change or time.monotonic()
            # Write once a debounce period passed quietly, or every 2 s under load.
            if current == seen or time.monotonic() - first_change > 2.0:
                try:
                    self.flush()
                except OSError:
                    log.exception("could not write the snapshot %s", self.path)
                first_change = None
            seen = current

    def flush(self) -> None:
        """Write the snapshot now."""
        with self._write_lock:
            version = self.state.version
            payload = state_to_snapshot(self.state)
            write_private_json(self.path, payload, compact=True)
            self._saved_version = version

    def stop(self) -> None:
        """Stop the thread and write a final snapshot."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self.flush()
