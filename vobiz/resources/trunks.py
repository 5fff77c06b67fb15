"""SIP trunks and the two ways to authenticate on them (docs/vobiz-api.md §7, §8).

Credentials (digest auth) and IP ACL entries (IP whitelist auth) are listed
under ``/trunks/...`` but created and changed at their own top-level paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

from vobiz.base import BaseClient, compact
from vobiz.pagination import paginate_meta_objects
from vobiz.transport import JSONDict, Replay

Trunk: TypeAlias = JSONDict
Credential: TypeAlias = JSONDict
IpAclEntry: TypeAlias = JSONDict

TRUNKS_TTL = 5 * 60

TRUNKS = "/Account/{auth_id}/trunks"
TRUNK = "/Account/{auth_id}/trunks/{trunk_id}"
CREDENTIALS_LIST = "/Account/{auth_id}/trunks/credentials"
CREDENTIALS = "/Account/{auth_id}/credentials"
CREDENTIAL = "/Account/{auth_id}/credentials/{credential_id}"
IP_ACL_LIST = "/Account/{auth_id}/trunks/ip-acl"
IP_ACLS = "/Account/{auth_id}/ip-acl"
IP_ACL = "/Account/{auth_id}/ip-acl/{acl_id}"


class TrunkMethods(BaseClient):
    """Manage trunks, their SIP credentials and their IP ACL entries."""

    # Trunks

    def list_trunks(self) -> Iterator[Trunk]:
        """Iterate over every trunk (cached for 5 minutes)."""
        fetch = self._pages(TRUNKS)
        trunks = self._cached(
            "trunks", TRUNKS_TTL, lambda: list(paginate_meta_objects(fetch))
        )
        return iter(trunks)

    def create_trunk(
        self, name: str, trunk_type: str, max_concurrent_calls: int, **fields: Any
    ) -> Trunk:
        """Create a trunk; ``trunk_type`` is INBOUND or OUTBOUND."""
        body = compact(
            {
                "name": name,
                # The API wants upper case here, unlike trunk_direction on reads.
                "trunk_type": trunk_type.upper(),
                "max_concurrent_calls": max_concurrent_calls,
                **fields,
            }
        )
        trunk = self._call("POST", TRUNKS, json=body, replay=Replay.UNSENT_ONLY)
        self._forget("trunks")
        return trunk

    def get_trunk(self, trunk_id: str) -> Trunk:
        """Return one trunk; another account's trunk is a NotFound."""
        return self._call("GET", TRUNK, trunk_id=trunk_id)

    def update_trunk(
        self,
        trunk_id: str,
        *,
        name: str,
        max_concurrent_calls: int,
        enabled: bool,
        **fields: Any,
    ) -> Trunk:
        """Replace a trunk's settings (PUT replaces, so all three are required)."""
        body = {
            "name": name,
            "max_concurrent_calls": max_concurrent_calls,
            "enabled": enabled,
            **compact(fields),
        }
        trunk = self._call("PUT", TRUNK, json=body, trunk_id=trunk_id)
        self._forget("trunks")
        return trunk

    def delete_trunk(self, trunk_id: str) -> None:
        """Delete a trunk and what hangs off it; Conflict while calls are active."""
        try:
            self._call("DELETE", TRUNK, trunk_id=trunk_id)
        finally:
            # Even a failed delete may have landed (a 5xx), so drop the list.
            self._forget("trunks")

    # Credentials (SIP digest auth)

    def list_credentials(self) -> Iterator[Credential]:
        """Iterate over every SIP credential (passwords are never returned)."""
        return paginate_meta_objects(self._pages(CREDENTIALS_LIST))

    def create_credential(self, username: str, password: str) -> Credential:
        """Create a SIP credential; Conflict if the username exists."""
        body = {"username": username, "password": password}
        return self._call("POST", CREDENTIALS, json=body, replay=Replay.UNSENT_ONLY)

    def update_credential(
        self,
        credential_id: str,
        *,
        password: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
    ) -> Credential:
        """Change a credential's password, enabled flag or description."""
        body = compact(
            {"password": password, "enabled": enabled, "description": description}
        )
        return self._call("PUT", CREDENTIAL, json=body, credential_id=credential_id)

    def delete_credential(self, credential_id: str) -> None:
        """Delete a credential; Conflict if active calls use it."""
        self._call("DELETE", CREDENTIAL, credential_id=credential_id)

    # IP ACL (IP whitelist auth)

    def list_ip_acl(self) -> Iterator[IpAclEntry]:
        """Iterate over every IP ACL entry."""
        return paginate_meta_objects(self._pages(IP_ACL_LIST))

    def create_ip_acl(self, name: str, ip_address: str) -> IpAclEntry:
        """Allow an IPv4 address or CIDR; ``name`` comes back as ``description``."""
        body = {"name": name, "ip_address": ip_address}
        return self._call("POST", IP_ACLS, json=body, replay=Replay.UNSENT_ONLY)

    def update_ip_acl(
        self,
        acl_id: str,
        *,
        ip_address: str | None = None,
        enabled: bool | None = None,
        description: str | None = None,
    ) -> IpAclEntry:
        """Change an IP ACL entry."""
        body = compact(
            {"ip_address": ip_address, "enabled": enabled, "description": description}
        )
        return self._call("PUT", IP_ACL, json=body, acl_id=acl_id)

    def delete_ip_acl(self, acl_id: str) -> None:
        """Delete an IP ACL entry."""
        self._call("DELETE", IP_ACL, acl_id=acl_id)
