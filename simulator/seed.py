"""Deterministic demo data: accounts, trunks, inventory, owned numbers, ledger.

Everything here derives from ``--seed`` (ids, names, numbers, fees) and from the
anchor time of the first start (dates), so a reset or a restart rebuilds the
same world. Secrets (tokens, passwords) come from credentials.json instead.
"""

from __future__ import annotations

import random
import secrets
import string
import uuid
from dataclasses import dataclass, field

from simulator.cdrgen import CallProfile, ProfilePicker, generate_day
from simulator.cdrstore import DayBlock, Tables
from simulator.clock import DAY
from simulator.credentials import SeedCredentials
from simulator.hashing import hash_password, hash_token
from simulator.ledger import build_seed_ledger
from simulator.models import (
    Account,
    Credential,
    IpAcl,
    Number,
    Transaction,
    Trunk,
    Wallet,
)

MASTER_NUMERIC_ID = 500000
# name, kind, rate_limit, CDR weight, outbound share, kyc_mode, campaigns
_SUB_ACCOUNTS = (
    ("Support Team", "team", 500, 0.24, 0.15, "personal_use", ()),
    ("Sales Team", "team", 1000, 0.20, 0.90, "personal_use", ()),
    (
        "Collections Team",
        "team",
        1000,
        0.16,
        0.98,
        "personal_use",
        ("cmp_emi_reminder", "cmp_overdue_30d"),
    ),
    (
        "Marketing Team",
        "team",
        300,
        0.12,
        1.0,
        "personal_use",
        ("cmp_festive_offer", "cmp_renewals_q2"),
    ),
    ("Staging Environment", "environment", 100, 0.02, 0.5, "personal_use", ()),
    ("Nimbus Telecom (Partner)", "partner", 2000, 0.08, 0.7, "customer_use", ()),
)
_MASTER_WEIGHT, _MASTER_OUTBOUND = 0.18, 0.6
# series, region, numbers in the pool, setup fee and monthly fee (paise ranges)
_SERIES = (
    ("80", "Karnataka", 70, (0, 10_000), (30_000, 50_000)),
    ("79", "Gujarat", 60, (0, 10_000), (30_000, 45_000)),
    ("22", "Maharashtra", 70, (0, 10_000), (35_000, 50_000)),
    ("11", "Delhi", 70, (0, 10_000), (35_000, 50_000)),
    ("140", "Pan India", 50, (100_000, 100_000), (150_000, 150_000)),
    ("160", "Pan India", 50, (200_000, 200_000), (250_000, 250_000)),
    ("92", "Pan India", 60, (0, 0), (25_000, 25_000)),
)
RELEASE_FEE = 70_000
_OWNED_PER_ACCOUNT = (6, 5, 4, 5, 4, 2, 4)  # master first, then the sub-accounts
# (account index, name, direction, auth type) — both auth types are represented.
_TRUNKS = (
    (0, "Acme Production Trunk", "outbound", "credential"),
    (0, "Acme Inbound PBX", "inbound", "ipacl"),
    (1, "Support Inbound", "inbound", "ipacl"),
    (2, "Sales Outbound", "outbound", "credential"),
    (3, "Collections Dialer", "outbound", "credential"),
    (4, "Marketing Campaigns", "outbound", "both"),
    (5, "Staging Trunk", "both", "ipacl"),
    (6, "Nimbus Interconnect", "outbound", "ipacl"),
)
_PRIVATE_NETS = (
    "10.20.30.0/24",
    "172.16.5.10",
    "192.168.10.0/28",
    "10.44.0.0/16",
    "172.20.1.0/24",
    "10.8.8.8",
)


@dataclass
class SeedPlan:
    """The seeded world before any API call changed it."""

    accounts: list[Account]
    wallets: list[Wallet]
    numbers: list[Number]
    trunks: list[Trunk]
    credentials: list[Credential]
    ipacls: list[IpAcl]
    profiles: list[CallProfile]
    tables: Tables
    transactions: list[Transaction] = field(default_factory=list)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def sub_account_ids(seed: int) -> list[str]:
    """Return the seeded sub-accounts' auth ids (deterministic from the seed)."""
    rng = random.Random(f"{seed}:sub-accounts")  # noqa: S311 - demo ids, not secrets
    alphabet = string.ascii_uppercase + string.digits
    return ["SA_" + "".join(rng.choices(alphabet, k=8)) for _ in _SUB_ACCOUNTS]


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower().split("(")[0] if ch.isalnum())


def _accounts(
    rng: random.Random, creds: SeedCredentials, seed: int, anchor: float
) -> list[Account]:
    master = Account(
        auth_id=creds.auth_id,
        numeric_id=str(MASTER_NUMERIC_ID),
        api_id=_uuid(rng),
        name="Acme Corp",
        token_hash=hash_token(creds.auth_token),
        created_at=anchor - 240 * DAY,
        updated_at=anchor - 10 * DAY,
        email=creds.email,
        phone="+919876543210",
        password_hash=hash_password(creds.password),
        rate_limit=0,
        cps_limit=11,
        concurrent_calls_limit=10,
    )
    accounts = [master]
    for n, (sa_id, spec) in enumerate(
        zip(sub_account_ids(seed), _SUB_ACCOUNTS, strict=True), start=1
    ):
        name, kind, rate_limit, _, _, kyc_mode, _ = spec
        created = anchor - (200 - 15 * n) * DAY
        slug = _slug(name)
        accounts.append(
            Account(
                auth_id=sa_id,
                numeric_id=str(MASTER_NUMERIC_ID + n),
                api_id=_uuid(rng),
                name=name,
                token_hash=hash_token(creds.sub_account_tokens[sa_id]),
                created_at=created,
                updated_at=created,
                parent_auth_id=creds.auth_id,
                email=f"{slug}@acme.example" if kind != "environment" else None,
                phone=f"+9198450{rng.randrange(10_000, 99_999)}",
                description=f"{kind.capitalize()} voice workload: {name}",
                permissions={"calls": True, "cdr": True},
                rate_limit=rate_limit,
                kyc_mode=kyc_mode,
                business_type="private_limited" if kind == "partner" else None,
                email_verified=kind != "environment",
            )
        )
    return accounts


def _inventory(rng: random.Random, anchor: float) -> list[Number]:
    numbers: list[Number] = []
    seen: set[str] = set()
    created = anchor - 300 * DAY
    for series, region, count, setup, monthly in _SERIES:
        made = 0
        while made < count:
            rest = 10 - len(series)
            e164 = f"+91{series}{rng.randrange(10 ** (rest - 1), 10**rest)}"
            if e164 in seen:
                continue
            seen.add(e164)
            made += 1
            numbers.append(
                Number(
                    id=_uuid(rng),
                    e164=e164,
                    country="IN",
                    region=region,
                    series=series,
                    setup_fee=rng.randrange(setup[0], setup[1] + 1, 5000),
                    monthly_fee=rng.randrange(monthly[0], monthly[1] + 1, 5000),
                    release_fee=RELEASE_FEE,
                    created_at=created,
                    updated_at=created,
                    aadhaar_verification_required=series == "92",
                )
            )
    return numbers


def _assign_owned(
    rng: random.Random, numbers: list[Number], accounts: list[Account], start: float
) -> dict[str, list[Number]]:
    pool = [n for n in numbers if n.series in ("80", "22", "11", "79", "160")]
    rng.shuffle(pool)
    owned: dict[str, list[Number]] = {}
    for account, how_many in zip(accounts, _OWNED_PER_ACCOUNT, strict=True):
        mine = [pool.pop() for _ in range(how_many)]
        for number in mine:
            bought = start + rng.randrange(0, 3 * DAY)
            number.owner = account.auth_id
            number.purchased_at = bought
            number.source = "purchased"
            number.last_billing_date = bought
            number.next_billing_date = bought + 30 * DAY
            number.updated_at = bought
        owned[account.auth_id] = mine
    return owned


def _trunks(
    rng: random.Random, accounts: list[Account], start: float
) -> tuple[list[Trunk], list[Credential], list[IpAcl]]:
    trunks, creds, acls = [], [], []
    for n, (acct, name, direction, auth) in enumerate(_TRUNKS):
        owner = accounts[acct].auth_id
        created = start - (60 - n) * DAY
        trunk = Trunk(_uuid(rng), owner, name, direction, created, created)
        trunk.recording = direction != "inbound"
        trunk.cps_limit = 3 if "Dialer" in name else 2
        if auth in ("credential", "both"):
            cred = Credential(
                id=_uuid(rng),
                account_id=owner,
                username=_slug(name)[:14] + f"{n:02d}",
                # Nobody needs these SIP passwords; only the hash is kept.
                password_hash=hash_password(secrets.token_urlsafe(12)),
                created_at=created,
                updated_at=created,
            )
            creds.append(cred)
            trunk.credential_uuid = cred.id
        if auth in ("ipacl", "both"):
            acl = IpAcl(
                id=_uuid(rng),
                account_id=owner,
                ip_address=_PRIVATE_NETS[n % len(_PRIVATE_NETS)],
                description=f"{name} egress",
                created_at=created,
                updated_at=created,
            )
            acls.append(acl)
            trunk.ipacl_uuid = acl.id
        trunks.append(trunk)
    return trunks, creds, acls


def _profiles(
    accounts: list[Account], owned: dict[str, list[Number]], trunks: list[Trunk]
) -> tuple[list[CallProfile], Tables]:
    tables = Tables(accounts=[a.auth_id for a in accounts])
    specs = [(_MASTER_WEIGHT, _MASTER_OUTBOUND, ())] + [
        (s[3], s[4], s[6]) for s in _SUB_ACCOUNTS
    ]
    profiles = []
    for index, (account, (weight, outbound, campaigns)) in enumerate(
        zip(accounts, specs, strict=True)
    ):
        mine = [t for t in trunks if t.account_id == account.auth_id]
        out = next((t for t in mine if t.trunk_direction != "inbound"), mine[0])
        inbound = next((t for t in mine if t.trunk_direction != "outbound"), mine[0])
        profiles.append(
            CallProfile(
                acct=index,
                weight=weight,
                outbound_share=outbound,
                dids=tuple(int(n.e164[1:]) for n in owned[account.auth_id]),
                outbound_trunk=tables.trunk(out.trunk_id),
                inbound_trunk=tables.trunk(inbound.trunk_id),
                campaigns=tuple(tables.campaign(c) for c in campaigns),
            )
        )
    return profiles, tables


def build_plan(
    seed: int, creds: SeedCredentials, anchor: float, seed_days: int
) -> SeedPlan:
    """Build the seeded accounts, wallets, numbers and trunks (no ledger yet)."""
    rng = random.Random(f"{seed}:world")  # noqa: S311 - deterministic demo data
    start = anchor - seed_days * DAY
    accounts = _accounts(rng, creds, seed, anchor)
    master = accounts[0]
    wallets = [
        Wallet(_uuid(rng), master.auth_id, "INR", 0, master.created_at, anchor),
        Wallet(_uuid(rng), master.auth_id, "USD", 25_000, master.created_at, anchor),
    ]
    numbers = _inventory(rng, anchor)
    owned = _assign_owned(rng, numbers, accounts, start)
    trunks, creds_, acls = _trunks(rng, accounts, start)
    for account_numbers in owned.values():
        for number in account_numbers[: len(account_numbers) // 2]:
            routed = next(t for t in trunks if t.account_id == number.owner)
            number.trunk_group_id = routed.trunk_id
    profiles, tables = _profiles(accounts, owned, trunks)
    return SeedPlan(accounts, wallets, numbers, trunks, creds_, acls, profiles, tables)


def build_cdr_blocks(
    seed: int, plan: SeedPlan, anchor: float, seed_days: int
) -> dict[int, DayBlock]:
    """Generate the seeded CDR day blocks covering the ``seed_days`` before anchor."""
    picker = ProfilePicker(plan.profiles)
    window = (anchor - seed_days * DAY, anchor)
    first, last = int(window[0] // DAY), int((anchor - 1) // DAY)
    blocks = {}
    for day in range(first, last + 1):
        rows = generate_day(seed, day, picker, window)
        if rows:
            blocks[day] = DayBlock(rows)
    return blocks


def attach_ledger(
    seed: int,
    plan: SeedPlan,
    day_costs: dict[tuple[int, int], tuple[int, int]],
    anchor: float,
    seed_days: int,
) -> None:
    """Fill the plan's ledger and INR balance from purchases and call costs."""
    rng = random.Random(f"{seed}:ledger")  # noqa: S311 - deterministic demo data
    inr = plan.wallets[0]
    rows, balance = build_seed_ledger(
        rng, plan, inr, day_costs, (anchor - seed_days * DAY, anchor)
    )
    plan.transactions = rows
    inr.balance = balance
