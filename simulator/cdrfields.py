"""The compact CDR row and how it turns into the documented 43-field object.

A row is a tuple of small integers (see ``COLUMNS``); everything else in the
documented shape (uuids, names, codecs, regions, hangup details) is derived from
the row's ``key`` and ``outcome`` when the row is served, so 300k rows cost a few
megabytes instead of a few hundred.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, NamedTuple

from simulator.clock import iso_seconds

# Column order of a row tuple; ``ts`` first so plain tuple sorting is by time.
COLUMNS = (
    "ts",
    "key",
    "acct",
    "trunk",
    "direction",
    "outcome",
    "ring",
    "duration",
    "billsec",
    "cost",
    "from_num",
    "to_num",
    "mos",
    "loss",
    "jitter",
    "ctx",
    "campaign",
)
TYPECODES = "qQHHBBHIIIQQBHHBH"
(
    TS,
    KEY,
    ACCT,
    TRUNK,
    DIRECTION,
    OUTCOME,
    RING,
    DURATION,
    BILLSEC,
    COST,
    FROM_NUM,
    TO_NUM,
    MOS,
    LOSS,
    JITTER,
    CTX,
    CAMPAIGN,
) = range(len(COLUMNS))

Row = tuple[int, ...]

OUTBOUND = 0
INBOUND = 1
DIRECTIONS = ("outbound", "inbound")

# Row sources, stored in the top bits of the key.
KIND_SEEDED = 0
KIND_BULK = 1
KIND_CALL = 2


class Outcome(NamedTuple):
    """How a call ended, with the hangup fields the provider reports for it."""

    cause: str
    code: int
    name: str
    failure_code: str | None
    failure_reason: str | None
    disposition: str
    source: str

    @property
    def answered(self) -> bool:
        """Tell whether the call was answered (billable)."""
        return self.failure_code is None


# fmt: off
OUTCOMES = (
    Outcome("NORMAL_CLEARING", 4000, "Normal Hangup", None, None, "send_bye", "Caller"),
    Outcome("NORMAL_CLEARING", 4000, "Normal Hangup", None, None, "recv_bye", "Callee"),
    Outcome("NO_ANSWER", 4100, "No Answer", "16", "NO_ANSWER", "send_cancel", "Callee"),
    Outcome("USER_BUSY", 4010, "Busy Line", "17", "USER_BUSY", "recv_refuse", "Callee"),
    Outcome("CALL_REJECTED", 4020, "Rejected", "21", "CALL_REJECTED", "recv_refuse",
            "Callee"),
    Outcome("ORIGINATOR_CANCEL", 4110, "Cancelled", "487", "ORIGINATOR_CANCEL",
            "send_cancel", "Caller"),
    Outcome("UNALLOCATED_NUMBER", 4030, "Invalid Number", "1", "UNALLOCATED_NUMBER",
            "recv_refuse", "Carrier"),
    Outcome("NORMAL_TEMPORARY_FAILURE", 4040, "Network Error", "41",
            "NORMAL_TEMPORARY_FAILURE", "recv_refuse", "Carrier"),
    Outcome("NO_ROUTE_DESTINATION", 4050, "No Route", "3", "NO_ROUTE_DESTINATION",
            "recv_refuse", "Carrier"),
    Outcome("RECOVERY_ON_TIMER_EXPIRE", 4060, "Timeout", "102",
            "RECOVERY_ON_TIMER_EXPIRE", "recv_refuse", "Carrier"),
)
# fmt: on
ANSWERED_OUTCOMES = frozenset(i for i, o in enumerate(OUTCOMES) if o.answered)
OUTCOME_GROUPS = {
    "answered": (0, 1),
    "no_answer": (2, 5),
    "busy": (3, 4),
    "failed": (6, 7, 8, 9),
}

CONTEXTS = ("voice-api", "sip-trunk", "inbound", "campaign")
CODECS = ("PCMU", "PCMA", "OPUS", "G722")
REGIONS = ("mumbai", "mumbai", "chennai", "delhi", "hyderabad")
CALLER_NAMES = (
    "Aarav Sharma",
    "Priya Nair",
    "Rohan Gupta",
    "Ananya Iyer",
    "Vikram Rao",
    "Sneha Patel",
    "Arjun Mehta",
    "Kavya Reddy",
    "Rahul Verma",
    "Meera Joshi",
    "Karan Singh",
    "Divya Menon",
    "",
    "",
    "",
)

# Layout of the 53-bit key: kind (3) | day (16) | group (10) | n (24). 53 bits so
# the numeric CDR ``id`` (the key itself) survives a JavaScript client too.
DAY_SHIFT = 34
GROUP_SHIFT = 24
MAX_GROUP = (1 << 10) - 1
MAX_N = (1 << 24) - 1


def make_key(kind: int, day: int, group: int, n: int) -> int:
    """Pack a row's identity; the day is inside so a uuid finds its bucket."""
    if not (0 <= group <= MAX_GROUP and 0 <= n <= MAX_N and 0 <= day < 1 << 16):
        raise ValueError("CDR key out of range")
    return kind << 50 | day << DAY_SHIFT | group << GROUP_SHIFT | n


def key_day(key: int) -> int:
    """Return the UTC day number packed in a key."""
    return (key >> DAY_SHIFT) & 0xFFFF


class UuidCodec:
    """Derive stable, decodable uuids (``uuid``, ``sip_call_id``, ``bridge_uuid``).

    The last 8 bytes carry the key (masked per tag), the first 8 are a keyed hash,
    so a uuid from a request can be mapped back to its row without an index of
    300k strings, and a made-up uuid fails the hash check.
    """

    def __init__(self, seed: int) -> None:
        self._secret = hashlib.blake2b(f"vobiz-sim:{seed}".encode()).digest()[:32]
        self._masks = {tag: self._mask(tag) for tag in ("u", "s", "b")}

    def _mask(self, tag: str) -> int:
        digest = hashlib.blake2b(tag.encode(), key=self._secret, digest_size=8)
        # Keep the variant bits (top two of byte 8) untouched by the mask.
        return int.from_bytes(digest.digest(), "big") & ~(0xC0 << 56)

    def _prefix(self, tag: str, payload: bytes) -> bytearray:
        digest = hashlib.blake2b(
            tag.encode() + payload, key=self._secret, digest_size=8
        ).digest()
        prefix = bytearray(digest)
        prefix[6] = 0x40 | (prefix[6] & 0x0F)
        return prefix

    def encode(self, tag: str, key: int) -> str:
        """Return the uuid string of ``key`` for ``tag`` (u, s or b)."""
        masked = (key ^ self._masks[tag]) | (0x80 << 56)
        payload = masked.to_bytes(8, "big")
        return str(uuid.UUID(bytes=bytes(self._prefix(tag, payload)) + payload))

    def decode(self, tag: str, text: str) -> int | None:
        """Return the key a uuid string encodes, or None if it is not one of ours."""
        try:
            raw = uuid.UUID(text.strip()).bytes
        except ValueError:
            return None
        payload = raw[8:]
        if bytes(self._prefix(tag, payload)) != raw[:8]:
            return None
        masked = int.from_bytes(payload, "big") & ~(0xC0 << 56)
        return masked ^ self._masks[tag]


def _pick(options: tuple[str, ...], key: int, salt: int) -> str:
    return options[((key * 2654435761) >> salt) % len(options)]


def _e164(number: int) -> str:
    return f"+{number}"


def carrier_ip(key: int) -> str:
    """Return a stable private carrier address for a row."""
    mixed = (key * 40503) & 0xFFFF
    return f"10.{20 + (mixed >> 12)}.{(mixed >> 4) & 0xFF}.{1 + (mixed & 0x0F)}"


def cdr_object(
    row: Row,
    codec: UuidCodec,
    accounts: list[str],
    trunks: list[str | None],
    campaigns: list[str | None],
) -> dict[str, Any]:
    """Build the documented 43-field CDR dict for one compact row."""
    key = row[KEY]
    outcome = OUTCOMES[row[OUTCOME]]
    start = row[TS]
    end = start + row[DURATION]
    answered = outcome.answered
    outbound = row[DIRECTION] == OUTBOUND
    cost = row[COST] / 100
    ip = carrier_ip(key)
    return {
        "account_id": accounts[row[ACCT]],
        "answer_time": iso_seconds(start + row[RING]) if answered else None,
        "billsec": row[BILLSEC],
        "bridge_uuid": codec.encode("b", key) if answered else None,
        "call_direction": DIRECTIONS[row[DIRECTION]],
        "caller_id_name": _pick(CALLER_NAMES, key, 7) if not outbound else "",
        "caller_id_number": _e164(row[FROM_NUM]),
        "campaign_id": campaigns[row[CAMPAIGN]],
        "carrier_ip": ip,
        "codec": _pick(CODECS, key, 3),
        "context": CONTEXTS[row[CTX]],
        "cost": cost,
        "created_at": iso_seconds(end + 1),
        "currency": "INR",
        "customer_endpoint": None,
        "destination_number": _e164(row[TO_NUM]),
        "duration": row[DURATION],
        "end_time": iso_seconds(end),
        "failure_code": outcome.failure_code,
        "failure_reason": outcome.failure_reason,
        "hangup_cause": outcome.cause,
        "hangup_cause_code": outcome.code,
        "hangup_cause_name": outcome.name,
        "hangup_disposition": outcome.disposition,
        "hangup_source": outcome.source,
        "id": key,
        "jitter": row[JITTER] / 10,
        "mos": row[MOS] / 10,
        "network_addr": ip,
        "origination_region": _pick(REGIONS, key, 5),
        "packet_loss": row[LOSS] / 100,
        "progress_time": iso_seconds(start),
        "region": "ap-south-1",
        "ring_time": row[RING],
        "sip_call_id": codec.encode("s", key),
        "sip_user_agent": "Vobiz",
        "start_time": iso_seconds(start),
        "streaming_cost": 0,
        "terminated_to": None,
        "total_cost": cost,
        "trunk_id": trunks[row[TRUNK]],
        "updated_at": iso_seconds(end + 1),
        "uuid": codec.encode("u", key),
    }


CDR_FIELDS = (
    "account_id",
    "answer_time",
    "billsec",
    "bridge_uuid",
    "call_direction",
    "caller_id_name",
    "caller_id_number",
    "campaign_id",
    "carrier_ip",
    "codec",
    "context",
    "cost",
    "created_at",
    "currency",
    "customer_endpoint",
    "destination_number",
    "duration",
    "end_time",
    "failure_code",
    "failure_reason",
    "hangup_cause",
    "hangup_cause_code",
    "hangup_cause_name",
    "hangup_disposition",
    "hangup_source",
    "id",
    "jitter",
    "mos",
    "network_addr",
    "origination_region",
    "packet_loss",
    "progress_time",
    "region",
    "ring_time",
    "sip_call_id",
    "sip_user_agent",
    "start_time",
    "streaming_cost",
    "terminated_to",
    "total_cost",
    "trunk_id",
    "updated_at",
    "uuid",
)
assert len(CDR_FIELDS) == 43  # noqa: S101 - a guard on the documented shape
