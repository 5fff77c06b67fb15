"""Writes of the phone numbers app: requests and decisions, fulfilment, routing and
release. Only these modules call the Vobiz client."""

from phone_numbers.services.fulfilment import (
    PurchaseBusy,
    number_request_fulfil,
    number_requests_stalled,
)
from phone_numbers.services.numbers import (
    number_assign_trunk,
    number_move,
    number_release,
    number_release_cancel,
)
from phone_numbers.services.requests import (
    InventoryOffer,
    inventory_search,
    number_request_approve,
    number_request_create,
    number_request_reject,
)

__all__ = [
    "InventoryOffer",
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
