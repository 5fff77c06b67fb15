"""Number purchase: buy, attach and record the numbers of an approved request.

`fulfil` is the entry point (the purchase task's one call); `buy` chooses,
checks the balance and sends each row's purchase; `record` hands a bought
number to its team and trunk and writes the local row; `lease` keeps one worker
at a time on each row.
"""

from phone_numbers.services.purchase.fulfil import (
    STALLED_AFTER,
    number_request_fulfil,
    number_requests_stalled,
)
from phone_numbers.services.purchase.lease import PurchaseBusy, lease

__all__ = [
    "STALLED_AFTER",
    "PurchaseBusy",
    "lease",
    "number_request_fulfil",
    "number_requests_stalled",
]
