"""Typed, hardened views of what Vobiz sends, one frozen class per object.

Each class has ``from_api(data)``, which never raises on odd values: text fits
the portal column it ends up in and loses NUL, whole numbers are clamped, bad
money becomes the default (with a warning), bad times become None (see
``vobiz.parse``). ``VobizClient.typed`` returns these instead of dicts.
"""

from vobiz.payloads.accounts import CreatedSubAccount, SubAccount
from vobiz.payloads.auth import ConsoleTokens, PasswordChanged
from vobiz.payloads.billing import Balance, Transaction
from vobiz.payloads.calls import CallPlaced, CallRecord
from vobiz.payloads.numbers import (
    InventoryNumber,
    Number,
    NumberRelease,
    PurchasedNumber,
)
from vobiz.payloads.trunks import IpAclEntry, OriginationUri, Trunk, TrunkCredential

__all__ = [
    "Balance",
    "CallPlaced",
    "CallRecord",
    "ConsoleTokens",
    "CreatedSubAccount",
    "InventoryNumber",
    "IpAclEntry",
    "Number",
    "NumberRelease",
    "OriginationUri",
    "PasswordChanged",
    "PurchasedNumber",
    "SubAccount",
    "Transaction",
    "Trunk",
    "TrunkCredential",
]
