"""One generator per Vobiz pagination style (docs/vobiz-api.md §2).

Each takes ``fetch(params) -> page body`` and yields items lazily, asking for
the next page only when the caller wants more. Every loop stops on an empty
page, so a server that miscounts ``total`` cannot make it spin forever.

``patient`` wraps a ``fetch`` so that a page that fails for a transient reason
is asked for again after a wait, instead of ending the iteration.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from vobiz.errors import (
    CircuitOpen,
    RateLimited,
    ServerError,
    TransportError,
    UnexpectedResponse,
    VobizError,
)

Item = dict[str, Any]
Page = Mapping[str, Any]
FetchPage = Callable[[dict[str, int]], Page]
# Decides from (page body, items seen so far, size asked for) that it was the last.
IsLast = Callable[[Page, int, int, int], bool]

MAX_PAGE_SIZE = 100
# A Retry-After of 0 (or a breaker about to close) must still cost patience,
# or a page that keeps failing would be asked for in a tight loop.
MIN_PAGE_WAIT = 0.5
WAITABLE = (ServerError, TransportError, RateLimited, CircuitOpen)

logger = logging.getLogger("vobiz.pagination")


def patient(
    fetch: FetchPage,
    *,
    patience_seconds: float,
    sleep: Callable[[float], None],
    backoff: Callable[[int], float],
) -> FetchPage:
    """Return ``fetch`` made to ask again for a page that failed transiently.

    A ``ServerError``, ``TransportError``, ``RateLimited`` or ``CircuitOpen``
    that is ``transient`` is waited out (``retry_after`` when the error names
    one, else ``backoff(failures so far)``) and the same page is fetched again,
    so the iterator's position is kept and no record is yielded twice. The
    patience is per page: a page that keeps failing gets up to
    ``patience_seconds`` of waiting in total, and the next page starts afresh.
    A wait that would overrun the patience is not started; the error is
    raised. With no patience ``fetch`` is returned as it is.
    """
    if patience_seconds <= 0:
        return fetch

    def fetch_patiently(params: dict[str, int]) -> Page:
        waited, failures = 0.0, 0
        while True:
            try:
                return fetch(params)
            except WAITABLE as error:
                wait = _wait_before_refetch(error, failures, backoff)
                if not error.transient or waited + wait > patience_seconds:
                    raise
                logger.warning(
                    "vobiz_page_wait params=%s wait=%.1f waited=%.1f error=%s",
                    params,
                    wait,
                    waited,
                    error,
                )
                sleep(wait)
                waited += wait
                failures += 1

    return fetch_patiently


def paginate_items(
    fetch: FetchPage, *, per_page: int = MAX_PAGE_SIZE
) -> Iterator[Item]:
    """Yield every item of a style-A list: ``items/page/per_page/total``."""
    return _numbered(fetch, "items", "per_page", per_page, _past_total("per_page"))


def paginate_meta_objects(
    fetch: FetchPage, *, limit: int = MAX_PAGE_SIZE
) -> Iterator[Item]:
    """Yield every object of a style-B list: ``meta{limit,offset,total}/objects``."""
    return _offset(fetch, "objects", limit, _meta_total)


def paginate_sub_accounts(
    fetch: FetchPage, *, size: int = MAX_PAGE_SIZE
) -> Iterator[Item]:
    """Yield every sub-account of a style-C list: ``sub_accounts/total/page/size``."""
    return _numbered(fetch, "sub_accounts", "size", size, _past_total("size"))


def paginate_data(fetch: FetchPage, *, per_page: int = MAX_PAGE_SIZE) -> Iterator[Item]:
    """Yield every record of a style-D list: ``data/pagination{has_next}`` (CDRs)."""
    return _numbered(fetch, "data", "per_page", per_page, _no_next_page)


def paginate_transactions(
    fetch: FetchPage, *, limit: int = MAX_PAGE_SIZE
) -> Iterator[Item]:
    """Yield every transaction of a style-E ledger: ``limit/offset`` with ``total``."""
    return _offset(fetch, "transactions", limit, _top_total)


def _numbered(
    fetch: FetchPage, key: str, size_param: str, size: int, is_last: IsLast
) -> Iterator[Item]:
    page, seen = 1, 0
    while True:
        body = fetch({"page": page, size_param: size})
        items = _items(body, key)
        if not items:
            return
        yield from items
        seen += len(items)
        if is_last(body, seen, len(items), size):
            return
        page += 1


def _offset(
    fetch: FetchPage, key: str, limit: int, total_of: Callable[[Page], int | None]
) -> Iterator[Item]:
    offset = 0
    while True:
        body = fetch({"limit": limit, "offset": offset})
        items = _items(body, key)
        if not items:
            return
        yield from items
        # Advance by what came back, not by what was asked: the server may cap it.
        offset += len(items)
        total = total_of(body)
        if (offset >= total) if total is not None else len(items) < limit:
            return


def _wait_before_refetch(
    error: VobizError, failures: int, backoff: Callable[[int], float]
) -> float:
    # Vobiz (or the breaker) said how long; asking sooner is only refused again.
    if isinstance(error, RateLimited | CircuitOpen):
        return max(error.retry_after, MIN_PAGE_WAIT)
    return max(backoff(failures), MIN_PAGE_WAIT)


def _past_total(size_key: str) -> IsLast:
    def is_last(body: Page, seen: int, count: int, size: int) -> bool:
        total = _int(body.get("total"))
        if total is not None:
            return seen >= total
        return count < (_int(body.get(size_key)) or size)

    return is_last


def _no_next_page(body: Page, seen: int, count: int, size: int) -> bool:
    pagination = body.get("pagination")
    if not isinstance(pagination, Mapping):
        return count < size
    has_next = pagination.get("has_next")
    if isinstance(has_next, bool):
        return not has_next
    return _past_total("per_page")(pagination, seen, count, size)


def _meta_total(body: Page) -> int | None:
    meta = body.get("meta")
    if not isinstance(meta, Mapping):
        return None
    # Older docs call it total_count (the Plivo name).
    total = _int(meta.get("total"))
    return total if total is not None else _int(meta.get("total_count"))


def _top_total(body: Page) -> int | None:
    return _int(body.get("total"))


def _items(body: Page, key: str) -> list[Item]:
    if key not in body:
        # Not a list page at all (an error body with 200, another endpoint's
        # shape): reading it as "no items" would make a sync think everything
        # was deleted at Vobiz.
        raise UnexpectedResponse(f"list page without {key!r}", status=200)
    items = body.get(key)
    return (
        [item for item in items if isinstance(item, dict)]
        if isinstance(items, list)
        else []
    )


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
