"""Writes of the phone numbers app, one module per feature: number requests and
their approval, the inventory search, the purchase, routing and moves, release.
Only these modules call the Vobiz client."""

from phone_numbers.services.inventory import inventory_search
from phone_numbers.services.purchase import (
    PurchaseBusy,
    number_request_fulfil,
    number_requests_stalled,
)
from phone_numbers.services.release import number_release, number_release_cancel
from phone_numbers.services.requests import (
    number_request_approve,
    number_request_create,
    number_request_reject,
)
from phone_numbers.services.routing import number_assign_trunk, number_move

# What an inventory search returns, for the views, which never import the client.
from vobiz.payloads import InventoryNumber

__all__ = [
    "InventoryNumber",
    "PurchaseBusy",
    "inventory_search",
    "number_assign_trunk",
    "number_move",
    "number_release",
    "number_release_cancel",
    "number_request_approve",
    "number_request_create",
    "number_request_fulfil",
    "number_request_reject",
    "number_requests_stalled",
]
