"""Writes for trunks: Vobiz first, then the database, one module per feature.

`trunks` creates, changes and deletes trunks; `whitelist` their IP entries;
`credentials` the SIP credentials they share; `rotation` the staged password
rotation and `requests` a lead's request for one; `health` what the portal
learns about a trunk besides the sync. A Vobiz failure leaves every service as
`core.errors.ProviderError` (worded by `sync.errors`), with nothing changed.
"""

from trunks.services.common import put_trunk, team_client
from trunks.services.credentials import (
    credential_delete_remote,
    credential_find,
    credential_store,
)
from trunks.services.health import trunk_auth_failure_record
from trunks.services.requests import rotation_request_create
from trunks.services.rotation import (
    RotationBusy,
    normal_rotation_allowed,
    rotation_cancel,
    rotation_resume,
    rotation_run,
    rotation_start,
)
from trunks.services.trunks import trunk_create, trunk_delete, trunk_update
from trunks.services.whitelist import ip_entry_add, ip_entry_remove, whitelist_of

__all__ = [
    "RotationBusy",
    "credential_delete_remote",
    "credential_find",
    "credential_store",
    "ip_entry_add",
    "ip_entry_remove",
    "normal_rotation_allowed",
    "put_trunk",
    "rotation_cancel",
    "rotation_request_create",
    "rotation_resume",
    "rotation_run",
    "rotation_start",
    "team_client",
    "trunk_auth_failure_record",
    "trunk_create",
    "trunk_delete",
    "trunk_update",
    "whitelist_of",
]
