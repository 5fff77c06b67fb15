"""Rotate the secrets Vobiz lets the portal rotate, and remind people of them all.

`common` holds the order every rotation follows (see its docstring); `tokens`,
`console` and `webhooks` rotate one kind each; `drills` rotates everything of
one sub-account; `keys` notes the encryption keys; `reminders` runs daily for
every secret, SIP trunk passwords included (the policy is `core.rotation`).
"""

from credentials.services.common import (
    RotationFailed,
    RotationResult,
    SecretNotSaved,
)
from credentials.services.console import console_password_rotate, new_console_password
from credentials.services.drills import (
    DrillBusy,
    DrillRun,
    drill_resume,
    drill_run,
    drill_start,
)
from credentials.services.keys import encryption_keys_record, encryption_keys_seen
from credentials.services.reminders import (
    rotation_reminders_send,
    secret_reminders_send,
    trunk_password_reminders_send,
)
from credentials.services.tokens import master_token_rotate, subaccount_token_rotate
from credentials.services.webhooks import channel_overlap_end, channel_secret_rotate

__all__ = [
    "DrillBusy",
    "DrillRun",
    "RotationFailed",
    "RotationResult",
    "SecretNotSaved",
    "channel_overlap_end",
    "channel_secret_rotate",
    "console_password_rotate",
    "drill_resume",
    "drill_run",
    "drill_start",
    "encryption_keys_record",
    "encryption_keys_seen",
    "master_token_rotate",
    "new_console_password",
    "rotation_reminders_send",
    "secret_reminders_send",
    "subaccount_token_rotate",
    "trunk_password_reminders_send",
]
