"""Rotate the secrets Vobiz lets the portal rotate, and remind people of the rest.

`common` holds the order every rotation follows (see its docstring); `tokens`,
`console` and `webhooks` rotate one kind each; `upkeep` runs daily.
"""

from credentials.services.common import (
    RotationFailed,
    RotationResult,
    SecretNotSaved,
    describe,
)
from credentials.services.console import console_password_rotate, new_console_password
from credentials.services.tokens import master_token_rotate, subaccount_token_rotate
from credentials.services.upkeep import (
    encryption_keys_record,
    encryption_keys_seen,
    rotation_reminders_send,
)
from credentials.services.webhooks import channel_overlap_end, channel_secret_rotate

__all__ = [
    "RotationFailed",
    "RotationResult",
    "SecretNotSaved",
    "channel_overlap_end",
    "channel_secret_rotate",
    "console_password_rotate",
    "describe",
    "encryption_keys_record",
    "encryption_keys_seen",
    "master_token_rotate",
    "new_console_password",
    "rotation_reminders_send",
    "subaccount_token_rotate",
]
