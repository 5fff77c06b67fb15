"""Reads for the credentials pages: the secret inventory, drills and the posture.

`inventory` and `items` hold the secrets and their ages (the policy is
`core.rotation`'s); `drills` the compromise drills and what to do after each
step; `posture` what goes against Vobiz's security guidance; `objects` single
objects looked up for an admin.
"""

from credentials.selectors.common import (
    AnyUser,
    channel_key,
    console_key,
    provider_key,
    subaccount_key,
    trunk_rotation_url,
    url_or_blank,
)
from credentials.selectors.drills import (
    drill_candidates,
    drill_get,
    drill_list,
    drill_trunks,
    next_action,
)
from credentials.selectors.inventory import (
    inventory,
    key_annotations,
    system_inventory,
)
from credentials.selectors.items import Inventory, SecretItem, last_rotation
from credentials.selectors.objects import (
    channel_for_admin,
    provider_for_admin,
    subaccount_for_admin,
)
from credentials.selectors.posture import Finding, posture, prefix_length

__all__ = [
    "AnyUser",
    "Finding",
    "Inventory",
    "SecretItem",
    "channel_for_admin",
    "channel_key",
    "console_key",
    "drill_candidates",
    "drill_get",
    "drill_list",
    "drill_trunks",
    "inventory",
    "key_annotations",
    "last_rotation",
    "next_action",
    "posture",
    "prefix_length",
    "provider_for_admin",
    "provider_key",
    "subaccount_for_admin",
    "subaccount_key",
    "system_inventory",
    "trunk_rotation_url",
    "url_or_blank",
]
