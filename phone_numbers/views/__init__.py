"""Pages for numbers (inventory, routing, release, utilization) and requests."""

from phone_numbers.views.numbers import (
    number_detail,
    number_list,
    number_move,
    number_release,
    number_release_undo,
    number_trunk,
    utilization,
)
from phone_numbers.views.requests import (
    request_approve,
    request_create,
    request_detail,
    request_inventory,
    request_list,
    request_queue,
    request_reject,
)

__all__ = [
    "number_detail",
    "number_list",
    "number_move",
    "number_release",
    "number_release_undo",
    "number_trunk",
    "request_approve",
    "request_create",
    "request_detail",
    "request_inventory",
    "request_list",
    "request_queue",
    "request_reject",
    "utilization",
]
