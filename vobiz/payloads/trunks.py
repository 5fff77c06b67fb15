"""SIP trunks and what hangs off them (docs/vobiz-api.md §8, §8.1–§8.3).

Text sizes are those of the portal's ``trunks`` columns; ``account_auth_id``
is the owning account (``MA_…`` or ``SA_…``), which Vobiz calls
``account_id``. An empty ``id`` means Vobiz sent none: skip the object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from vobiz.parse import parse_datetime, parse_int, text


@dataclass(frozen=True, slots=True)
class Trunk:
    """A SIP trunk as listed, read, created or replaced (§8, "Trunk object").

    ``id`` is Vobiz's ``trunk_id``; ``domain``, ``direction`` and ``status``
    are ``trunk_domain``, ``trunk_direction`` and ``trunk_status``;
    ``credential_id`` and ``ipacl_id`` are the attached ``credential_uuid`` and
    ``ipacl_uuid`` ("" when none). Missing values take Vobiz's documented
    defaults (outbound, active, udp, 10 concurrent calls, 2 CPS); a zero or
    junk limit counts as missing and a negative one becomes 0.
    """

    id: str
    account_auth_id: str
    name: str
    description: str
    domain: str
    direction: str
    status: str
    enabled: bool
    secure: bool
    transport: str
    concurrent_calls_limit: int
    cps_limit: int
    credential_id: str
    ipacl_id: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a trunk from one Vobiz trunk object."""
        return cls(
            id=text(data.get("trunk_id"), 64),
            account_auth_id=text(data.get("account_id"), 40),
            name=text(data.get("name"), 255),
            description=text(data.get("description"), 500),
            domain=text(data.get("trunk_domain"), 255),
            direction=text(data.get("trunk_direction"), 16, "outbound"),
            status=text(data.get("trunk_status"), 16, "active"),
            enabled=bool(data.get("enabled", True)),
            secure=bool(data.get("secure", False)),
            transport=text(data.get("transport"), 8, "udp"),
            concurrent_calls_limit=parse_int(
                data.get("concurrent_calls_limit") or 10, 10
            ),
            cps_limit=parse_int(data.get("cps_limit") or 2, 2),
            credential_id=text(data.get("credential_uuid"), 64),
            ipacl_id=text(data.get("ipacl_uuid"), 64),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class TrunkCredential:
    """A SIP digest credential, "password auth" (§8.1).

    Vobiz never returns the password, so there is none here.
    """

    id: str
    account_auth_id: str
    username: str
    realm: str
    enabled: bool
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build a credential from one Vobiz credential object."""
        return cls(
            id=text(data.get("id"), 64),
            account_auth_id=text(data.get("account_id"), 40),
            username=text(data.get("username"), 64),
            realm=text(data.get("realm"), 255),
            enabled=bool(data.get("enabled", True)),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class IpAclEntry:
    """An IP whitelist entry, "IP auth": one IPv4 address or CIDR (§8.2).

    Vobiz returns the ``name`` it was created with as ``description``; either
    is read.
    """

    id: str
    account_auth_id: str
    ip_address: str
    description: str
    enabled: bool
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build an entry from one Vobiz IP ACL object."""
        return cls(
            id=text(data.get("id"), 64),
            account_auth_id=text(data.get("account_id"), 40),
            ip_address=text(data.get("ip_address"), 18),
            description=text(data.get("description") or data.get("name"), 255),
            enabled=bool(data.get("enabled", True)),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )


@dataclass(frozen=True, slots=True)
class OriginationUri:
    """Where a trunk sends calls: a SIP URI with priority and weight (§8.3).

    Vobiz takes ``sip_uri`` but answers with ``uri``; either is read. Lower
    priority is tried first (default 1); weight splits traffic among equal
    priorities (default 10). The portal has no column for these yet, so text
    is cut to 255 characters like the trunk's.
    """

    id: str
    account_auth_id: str
    name: str
    uri: str
    priority: int
    weight: int
    enabled: bool
    created_at: dt.datetime | None
    updated_at: dt.datetime | None

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build an origination URI from one Vobiz origination URI object."""
        return cls(
            id=text(data.get("id"), 64),
            account_auth_id=text(data.get("account_id"), 40),
            name=text(data.get("name"), 255),
            uri=text(data.get("uri") or data.get("sip_uri"), 255),
            priority=parse_int(data.get("priority"), 1),
            weight=parse_int(data.get("weight"), 10),
            enabled=bool(data.get("enabled", True)),
            created_at=parse_datetime(data.get("created_at")),
            updated_at=parse_datetime(data.get("updated_at")),
        )
