"""The simulator's records. Money is integer paise; times are epoch seconds."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(record: Any) -> dict[str, Any]:
    """Return a JSON-ready dict of a record."""
    return dataclasses.asdict(record)


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a record, ignoring keys an older snapshot may lack or add."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Account:
    """A master (``MA_``) or sub-account (``SA_``) and its credentials' hashes."""

    auth_id: str
    numeric_id: str
    api_id: str
    name: str
    token_hash: str
    created_at: float
    updated_at: float
    parent_auth_id: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    permissions: dict[str, bool] | None = None
    rate_limit: int = 1000
    enabled: bool = True
    kyc_mode: str = "personal_use"
    business_type: str | None = None
    kyc_calls_blocked: bool = False
    email_verified: bool = False
    password_hash: str | None = None
    token_generation: int = 0
    last_used: float | None = None
    last_login: float | None = None
    cps_limit: int = 2
    concurrent_calls_limit: int = 10

    @property
    def is_master(self) -> bool:
        """Tell whether this is the master account."""
        return self.parent_auth_id is None


@dataclass
class Wallet:
    """One currency balance of the master account (sub-accounts draw on it)."""

    id: str
    account_id: str
    currency: str
    balance: int
    created_at: float
    updated_at: float
    credit_limit: int = 0
    low_balance_threshold: int = 50_000


@dataclass
class Transaction:
    """A ledger row: every debit and credit of a wallet."""

    id: str
    auth_id: str
    balance_id: str
    type: str
    amount: int
    currency: str
    description: str
    reference: str
    reference_type: str
    created_at: float


@dataclass
class Number:
    """A DID, either in inventory (``owner`` None) or rented by an account."""

    id: str
    e164: str
    country: str
    region: str
    series: str
    setup_fee: int
    monthly_fee: int
    release_fee: int
    created_at: float
    updated_at: float
    currency: str = "INR"
    status: str = "active"
    owner: str | None = None
    purchased_at: float | None = None
    source: str | None = None
    trunk_group_id: str | None = None
    application_id: str | None = None
    aadhaar_verification_required: bool = False
    aadhaar_verified: bool = False
    is_trial_number: bool = False
    minimum_commitment_months: int = 0
    tags: list[str] = field(default_factory=list)
    last_billing_date: float | None = None
    next_billing_date: float | None = None
    released_at: float | None = None
    cooldown_ends_at: float | None = None
    quarantine_ends_at: float | None = None
    release_fee_charged: int = 0
    subaccount_assigned_at: float | None = None


@dataclass
class Trunk:
    """A SIP trunk with its optional credential and IP ACL attachments."""

    trunk_id: str
    account_id: str
    name: str
    trunk_direction: str
    created_at: float
    updated_at: float
    concurrent_calls_limit: int = 10
    cps_limit: int = 2
    enabled: bool = True
    secure: bool = False
    description: str = ""
    transport: str = "udp"
    recording: bool = False
    enable_transcription: bool = False
    pii_redaction: bool = False
    pii_entity_types: list[str] | None = None
    webhook_url: str | None = None
    webhook_method: str = "POST"
    recording_webhook_enabled: bool = False
    credential_uuid: str | None = None
    ipacl_uuid: str | None = None
    primary_uri_uuid: str | None = None
    fallback_uri_uuid: str | None = None
    inbound_destination: str | None = None


@dataclass
class Credential:
    """A SIP digest credential (the password is kept only as a hash)."""

    id: str
    account_id: str
    username: str
    password_hash: str
    created_at: float
    updated_at: float
    enabled: bool = True
    description: str | None = None


@dataclass
class IpAcl:
    """An IP allow-list entry (IPv4 address or CIDR)."""

    id: str
    account_id: str
    ip_address: str
    description: str
    created_at: float
    updated_at: float
    enabled: bool = True


@dataclass
class OriginationUri:
    """A SIP URI calls are routed to."""

    id: str
    account_id: str
    name: str
    uri: str
    priority: int
    created_at: float
    updated_at: float
    weight: int = 10
    enabled: bool = True


@dataclass
class Call:
    """A call placed through the API, live until ``end_ts`` in simulated time."""

    request_uuid: str
    key: int
    account_id: str
    trunk_id: str | None
    from_number: str
    to_number: str
    start_ts: float
    end_ts: float
    outcome: int
    ring: int
    billsec: int
    answer_url: str | None = None
