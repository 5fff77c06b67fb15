"""Choices for phone numbers, number requests and their purchases."""

from __future__ import annotations

from django.db import models


class NumberSeries(models.TextChoices):
    """The Indian number series a team can ask for (docs/vobiz-api.md §7.6, §14)."""

    S80 = "80", "80 — local, Bengaluru"
    S79 = "79", "79 — local, Ahmedabad"
    S22 = "22", "22 — local, Mumbai"
    S11 = "11", "11 — local, Delhi"
    S140 = "140", "140 — promotional (DLT registration required)"
    S160 = "160", "160 — service / transactional (DLT registration required)"
    S92 = "92", "92 — high pickup (Aadhaar per number)"
    TOLL_FREE = "toll-free", "Toll-free (1800)"


# The 140 and 160 series carry commercial traffic under TRAI's DLT rules: the
# principal entity, the header and the purpose must be registered first.
DLT_SERIES = frozenset({NumberSeries.S140, NumberSeries.S160})


def series_digits(series: str) -> str:
    """Return the national digits a number of this series starts with."""
    return "1800" if series == NumberSeries.TOLL_FREE else series


class RequestStatus(models.TextChoices):
    """Where a number request is: decided, being bought, finished."""

    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    BUYING = "buying", "Buying"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    REJECTED = "rejected", "Rejected"


REQUEST_FINISHED = frozenset(
    {RequestStatus.DONE, RequestStatus.FAILED, RequestStatus.REJECTED}
)
REQUEST_BADGE: dict[str, str] = {
    RequestStatus.PENDING: "amber",
    RequestStatus.APPROVED: "grey",
    RequestStatus.BUYING: "amber",
    RequestStatus.DONE: "green",
    RequestStatus.FAILED: "red",
    RequestStatus.REJECTED: "red",
}


class PurchaseStatus(models.TextChoices):
    """One number to buy: its state machine guards against buying it twice.

    pending → buying (committed before the purchase call) → bought (Vobiz said
    so) → done (attached to the sub-account and trunk). `not_bought` is final and
    says why. A `buying` row found by a later run has an unknown outcome and is
    looked up at Vobiz before anything is sent again.
    """

    PENDING = "pending", "Waiting"
    BUYING = "buying", "Buying"
    BOUGHT = "bought", "Bought, attaching"
    DONE = "done", "Bought and attached"
    NOT_BOUGHT = "not_bought", "Not bought"


PURCHASE_ACTIVE = frozenset(
    {PurchaseStatus.PENDING, PurchaseStatus.BUYING, PurchaseStatus.BOUGHT}
)
PURCHASE_BADGE: dict[str, str] = {
    PurchaseStatus.PENDING: "grey",
    PurchaseStatus.BUYING: "amber",
    PurchaseStatus.BOUGHT: "amber",
    PurchaseStatus.DONE: "green",
    PurchaseStatus.NOT_BOUGHT: "red",
}


class ReleaseStatus(models.TextChoices):
    """A release: cancellable for 24 hours, then final."""

    PENDING = "pending_release", "Pending release"
    CANCELLED = "cancelled", "Cancelled (undone)"
    RELEASED = "released", "Released"
