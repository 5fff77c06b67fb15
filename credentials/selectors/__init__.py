"""Reads for the credentials pages: the secret inventory, drills and their steps."""

from credentials.selectors.common import (
    AnyUser,
    channel_key,
    console_key,
    provider_key,
    subaccount_key,
    trunk_rotation_url,
    url_or_blank,
)
from credentials.selectors.inventory import (
    inventory,
    key_annotations,
    system_inventory,
)
from credentials.selectors.items import Inventory, SecretItem, last_rotation
from credentials.selectors.objects import (
    channel_for_admin,
    drill_candidates,
    drill_get,
    drill_list,
    drill_trunks,
    provider_for_admin,
    subaccount_for_admin,
)

__all__ = [
    "AnyUser",
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
    "provider_for_admin",
    "provider_key",
    "subaccount_for_admin",
    "subaccount_key",
    "system_inventory",
    "trunk_rotation_url",
    "url_or_blank",
]
