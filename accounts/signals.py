"""What accounts tells the apps above it, which it must not import.

`subaccount_removed` is sent inside the transaction that marks a sub-account
deleted (it was still referenced, so it is kept as history): receivers mark
what they own of it removed in the same transaction. Arguments: `sub_account`
(locked) and `now`.
"""

from django.dispatch import Signal

subaccount_removed = Signal()
