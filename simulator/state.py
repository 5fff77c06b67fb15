"""The simulator's whole mutable world behind one re-entrant lock.

Handlers take ``state.lock`` for the duration of a request's read-modify-write,
which keeps purchases atomic (debit, ledger row and ownership change together).
Seeded CDRs are rebuilt from (seed, day) on start; only calls placed later and
bulk-batch parameters go into the JSON snapshot.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator import seed as seeding
from simulator.cdrfields import (
    KIND_CALL,
    OUTBOUND,
    Row,
    UuidCodec,
    make_key,
)
from simulator.cdrgen import (
    CallProfile,
    ProfilePicker,
    call_metrics,
    generate_batch,
)
from simulator.cdrstore import CdrStore, Tables
from simulator.clock import DAY, SimClock
from simulator.credentials import SeedCredentials
from simulator.ledger import MONTH, transaction_id
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
)

log = logging.getLogger("simulator")
QUARANTINE = 45 * DAY


@dataclass
class SimConfig:
    """Behaviour switches the control API can change at run time."""

    insufficient_balance_status: int = 500
    rate_limit_window: int = 60
    master_rate_limit: int = 20_000
    strict_casing: bool = False


class SimState:
    """Accounts, money, numbers, trunks, calls and CDRs of one simulator."""

    def __init__(
        self,
        clock: SimClock,
        creds: SeedCredentials,
        seed: int,
        seed_days: int,
        anchor: float,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.creds = creds
        self.seed = seed
        self.seed_days = seed_days
        self.anchor = anchor
        self.config = SimConfig()
        self.jwt_key = secrets.token_hex(32)
        self.cdrs = CdrStore(UuidCodec(seed), Tables())
        self.profiles: list[CallProfile] = []
        self._seeded_costs: dict[tuple[int, int], tuple[int, int]] = {}
        self.version = 0
        self.clear()

    def clear(self) -> None:
        """Empty every collection (the seeded world is installed separately)."""
        self.accounts: dict[str, Account] = {}
        self.wallets: dict[str, Wallet] = {}
        self.transactions: list[Transaction] = []
        self.numbers: dict[str, Number] = {}
        self.trunks: dict[str, Trunk] = {}
        self.credentials: dict[str, Credential] = {}
        self.ipacls: dict[str, IpAcl] = {}
        self.uris: dict[str, OriginationUri] = {}
        self.calls: dict[str, Call] = {}
        # Start times per account / trunk id, for the CPS check (not persisted).
        self.call_starts: dict[str, list[float]] = {}
        self.call_seq = 0
        self.numeric_seq = seeding.MASTER_NUMERIC_ID + 100
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.placed_rows: list[Row] = []
        self.batches: list[dict[str, Any]] = []

    # -- seeding and reset ------------------------------------------------------

    def seed_world(self) -> None:
        """Replace everything with the seeded world (start without snapshot, reset)."""
        with self.lock:
            plan = seeding.build_plan(
                self.seed, self.creds, self.anchor, self.seed_days
            )
            if not self._seeded_costs:
                blocks = seeding.build_cdr_blocks(
                    self.seed, plan, self.anchor, self.seed_days
                )
                self.cdrs.tables = plan.tables
                self.cdrs.set_seeded(blocks)
                self._seeded_costs = self.cdrs.day_totals()
            seeding.attach_ledger(
                self.seed, plan, self._seeded_costs, self.anchor, self.seed_days
            )
            self.clear()
            self.profiles = plan.profiles
            self.cdrs.tables = plan.tables
            self.cdrs.reset()
            self.accounts = {a.auth_id: a for a in plan.accounts}
            self.wallets = {f"{w.account_id}:{w.currency}": w for w in plan.wallets}
            self.transactions = plan.transactions
            self.numbers = {n.e164: n for n in plan.numbers}
            self.trunks = {t.trunk_id: t for t in plan.trunks}
            self.credentials = {c.id: c for c in plan.credentials}
            self.ipacls = {a.id: a for a in plan.ipacls}
            self.changed()

    def changed(self) -> None:
        """Note a change so the snapshot writer saves it."""
        self.version += 1

    # -- accounts and money -----------------------------------------------------

    def master_of(self, auth_id: str) -> Account:
        """Return the paying master account of ``auth_id``."""
        account = self.accounts[auth_id]
        return (
            self.accounts[account.parent_auth_id] if account.parent_auth_id else account
        )

    def scope(self, auth_id: str) -> set[str]:
        """Return the auth ids whose resources ``auth_id`` can see."""
        account = self.accounts[auth_id]
        if not account.is_master:
            return {auth_id}
        return {
            a
            for a, acc in self.accounts.items()
            if a == auth_id or acc.parent_auth_id == auth_id
        }

    def wallet(self, auth_id: str, currency: str) -> Wallet | None:
        """Return the wallet ``auth_id`` pays from in ``currency``."""
        master = self.master_of(auth_id)
        return self.wallets.get(f"{master.auth_id}:{currency.upper()}")

    def post(
        self,
        origin: str,
        kind: str,
        amount: int,
        currency: str,
        description: str,
        reference: str,
        reference_type: str,
    ) -> Transaction:
        """Move money on the paying wallet and write the ledger row for it."""
        wallet = self.wallet(origin, currency)
        if wallet is None:
            raise KeyError(f"no {currency} wallet")
        now = self.clock.now()
        wallet.balance += amount if kind == "credit" else -amount
        wallet.updated_at = now
        row = Transaction(
            transaction_id(),
            origin,
            wallet.id,
            kind,
            amount,
            wallet.currency,
            description,
            reference,
            reference_type,
            now,
        )
        self.transactions.append(row)
        self.changed()
        return row

    def next_numeric_id(self) -> str:
        """Return a fresh numeric account id."""
        self.numeric_seq += 1
        return str(self.numeric_seq)

    # -- time-driven transitions --------------------------------------------------

    def tick(self) -> None:
        """Apply everything that became due: releases, rentals, finished calls."""
        now = self.clock.now()
        with self.lock:
            for number in self.numbers.values():
                self._advance_number(number, now)
            self._settle_calls(now)

    def _advance_number(self, number: Number, now: float) -> None:
        cooldown, quarantine = number.cooldown_ends_at, number.quarantine_ends_at
        if number.status == "pending_release" and cooldown and now >= cooldown:
            number.status = "released"
            number.released_at = cooldown
            number.quarantine_ends_at = quarantine = cooldown + QUARANTINE
            number.owner = None
            self.changed()
        if number.status == "released" and quarantine and now >= quarantine:
            self.return_to_inventory(number, now)
        while (
            number.owner
            and number.status == "active"
            and number.next_billing_date
            and number.next_billing_date <= now
        ):
            due = number.next_billing_date
            self.post(
                number.owner,
                "debit",
                number.monthly_fee,
                number.currency,
                f"DID monthly rental {number.e164}",
                f"did_{number.id}",
                "did_rental",
            )
            number.last_billing_date = due
            number.next_billing_date = due + MONTH

    def return_to_inventory(self, number: Number, now: float) -> None:
        """Put a number back in the pool with no owner and no routing."""
        number.status = "active"
        number.owner = None
        number.source = None
        number.purchased_at = None
        number.trunk_group_id = None
        number.application_id = None
        number.last_billing_date = number.next_billing_date = None
        number.cooldown_ends_at = number.quarantine_ends_at = None
        number.released_at = None
        number.release_fee_charged = 0
        number.subaccount_assigned_at = None
        number.updated_at = now
        self.changed()

    # -- calls ------------------------------------------------------------------

    def new_call_key(self, start: float) -> int:
        """Allocate the CDR key (and so the uuid) of a call about to be placed."""
        self.call_seq += 1
        seq = self.call_seq
        return make_key(
            KIND_CALL, int(start // DAY), (seq >> 24) & 0x3FF, seq & 0xFFFFFF
        )

    def _settle_calls(self, now: float) -> None:
        for request_uuid, call in list(self.calls.items()):
            if call.end_ts <= now:
                del self.calls[request_uuid]
                self._finish_call(call)

    def _finish_call(self, call: Call) -> None:
        tables = self.cdrs.tables
        rng = random.Random(f"{self.seed}:call:{call.key}")  # noqa: S311 - demo data
        _, _, _, _, mos, loss, jitter = call_metrics(rng, call.outcome, OUTBOUND)
        billsec = call.billsec
        cost = ((billsec + 59) // 60) * 45 if billsec else 0
        duration = int(call.end_ts - call.start_ts)
        row: Row = (
            int(call.start_ts),
            call.key,
            tables.account(call.account_id),
            tables.trunk(call.trunk_id),
            OUTBOUND,
            call.outcome,
            call.ring,
            max(duration, call.ring + billsec),
            billsec,
            cost,
            _digits(call.from_number),
            _digits(call.to_number),
            mos,
            loss,
            jitter,
            0,
            0,
        )
        self.cdrs.add_rows([row])
        self.placed_rows.append(row)
        if cost:
            uuid_text = self.cdrs.codec.encode("u", call.key)
            self.post(
                call.account_id,
                "debit",
                cost,
                "INR",
                f"Outbound call ({billsec}s)",
                f"cdr_{uuid_text}",
                "cdr",
            )
        self.changed()

    # -- bulk CDRs --------------------------------------------------------------

    def add_batch(
        self, count: int, account_id: str | None, start: float, end: float
    ) -> dict[str, Any]:
        """Generate ``count`` extra CDRs between ``start`` and ``end``."""
        with self.lock:
            spec: dict[str, Any] = {
                "batch": len(self.batches) + 1,
                "count": count,
                "account_id": account_id,
                "start": start,
                "end": end,
            }
            if account_id is not None:
                spec["profile"] = self._profile_spec(account_id)
            self.generate_batch(spec)
            self.batches.append(spec)
            self.changed()
            return spec

    def _profile_spec(self, account_id: str) -> dict[str, Any]:
        owned = [n.e164 for n in self.numbers.values() if n.owner == account_id]
        trunks = [t for t in self.trunks.values() if t.account_id == account_id]
        out = next((t.trunk_id for t in trunks if t.trunk_direction != "inbound"), None)
        inbound = next(
            (t.trunk_id for t in trunks if t.trunk_direction != "outbound"), out
        )
        return {"dids": owned, "outbound_trunk": out, "inbound_trunk": inbound}

    def generate_batch(self, spec: dict[str, Any]) -> None:
        """Add the rows a bulk-batch spec describes (again, after a restart)."""
        tables = self.cdrs.tables
        if spec["account_id"] is None:
            picker = ProfilePicker(self.profiles)
        else:
            profile = spec["profile"]
            picker = ProfilePicker(
                [
                    CallProfile(
                        acct=tables.account(spec["account_id"]),
                        weight=1.0,
                        outbound_share=0.7,
                        dids=tuple(_digits(d) for d in profile["dids"]),
                        outbound_trunk=tables.trunk(profile["outbound_trunk"]),
                        inbound_trunk=tables.trunk(profile["inbound_trunk"]),
                    )
                ]
            )
        rows = generate_batch(
            self.seed,
            spec["batch"],
            spec["count"],
            (spec["start"], spec["end"]),
            picker,
        )
        self.cdrs.add_rows(rows)


def _digits(number: str) -> int:
    digits = "".join(ch for ch in number if ch.isdigit())
    return int(digits) if digits else 0


def snapshot_path(data_dir: Path) -> Path:
    """Return where the state snapshot lives."""
    return data_dir / "state.json"
