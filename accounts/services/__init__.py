"""Writes for users, sub-accounts and memberships. Each one is audited.

Callers write `from accounts import services` and `services.subaccount_update(...)`;
the modules are named by feature.
"""

from accounts.services.memberships import membership_remove, membership_set
from accounts.services.subaccount_deletion import (
    NOT_HISTORY,
    subaccount_delete,
    subaccount_is_referenced,
)
from accounts.services.subaccounts import (
    EDITABLE_SUBACCOUNT_FIELDS,
    SUBACCOUNT_FIELD_MAP,
    SUBACCOUNT_FIELDS,
    subaccount_create,
    subaccount_provision,
    subaccount_push,
    subaccount_set_enabled,
    subaccount_token_reveal,
    subaccount_update,
)
from accounts.services.users import (
    USER_FIELDS,
    set_password_url,
    user_create,
    user_password_link,
    user_set_active,
    user_update,
)

__all__ = [
    "EDITABLE_SUBACCOUNT_FIELDS",
    "NOT_HISTORY",
    "SUBACCOUNT_FIELDS",
    "SUBACCOUNT_FIELD_MAP",
    "USER_FIELDS",
    "membership_remove",
    "membership_set",
    "set_password_url",
    "subaccount_create",
    "subaccount_delete",
    "subaccount_is_referenced",
    "subaccount_provision",
    "subaccount_push",
    "subaccount_set_enabled",
    "subaccount_token_reveal",
    "subaccount_update",
    "user_create",
    "user_password_link",
    "user_set_active",
    "user_update",
]
