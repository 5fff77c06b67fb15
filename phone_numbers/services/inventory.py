"""Vobiz's inventory: the numbers for sale that fit a request.

Admins search it to choose numbers when they approve a request; the purchase
searches it to pick the numbers the admin left to the worker.
"""

from __future__ import annotations

from accounts.models import User, require_admin
from phone_numbers import selectors
from phone_numbers.choices import series_digits
from phone_numbers.models import NumberRequest
from phone_numbers.validators import country_code_for, national_digits
from sync.clients import client_for
from sync.errors import vobiz_errors
from vobiz.payloads import InventoryNumber

INVENTORY_LIMIT = 50


def matches(number_request: NumberRequest, e164: str) -> bool:
    """Say whether a number fits the request's series and prefix."""
    national = national_digits(e164)
    start = number_request.prefix or (
        series_digits(number_request.series) if number_request.series else ""
    )
    return national.startswith(start)


def inventory_search(
    *,
    actor: User,
    number_request: NumberRequest,
    search: str = "",
    interactive: bool = True,
    limit: int = INVENTORY_LIMIT,
    exclude: set[str] | None = None,
) -> list[InventoryNumber]:
    """Search Vobiz's inventory for numbers that fit a request (admins).

    `search` narrows by digits anywhere in the number. Numbers another live
    purchase aims at are left out. Raise ProviderError if Vobiz fails.
    """
    require_admin(actor)
    with vobiz_errors():
        return inventory_offers(
            number_request,
            search=search,
            interactive=interactive,
            limit=limit,
            exclude=exclude,
        )


def inventory_offers(
    number_request: NumberRequest,
    *,
    search: str = "",
    interactive: bool,
    limit: int,
    exclude: set[str] | None = None,
) -> list[InventoryNumber]:
    """Return up to `limit` inventory numbers fitting a request (no role check).

    Vobiz's own errors pass through: the purchase task retries transient ones.
    """
    client = client_for(number_request.provider_account, interactive=interactive)
    code = country_code_for(number_request.country)
    start = number_request.prefix or (
        series_digits(number_request.series) if number_request.series else ""
    )
    # Vobiz searches a substring of the E.164 digits; the series/prefix must be
    # at the start, which is checked here.
    items = client.typed.search_inventory(
        country=number_request.country, search=search or f"{code}{start}"
    )
    offers: list[InventoryNumber] = []
    skip = set(exclude or ())
    for offer in items:
        if (
            not offer.e164
            or offer.e164 in skip
            or not matches(number_request, offer.e164)
        ):
            continue
        offers.append(offer)
        if len(offers) >= limit * 2:
            break
    held = selectors.numbers_being_bought(numbers=[o.e164 for o in offers])
    return [o for o in offers if o.e164 not in held][:limit]
