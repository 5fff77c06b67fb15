"""Each pagination style yields every item once and stops where it should."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vobiz.errors import UnexpectedResponse
from vobiz.pagination import (
    MAX_PAGE_SIZE,
    paginate_data,
    paginate_items,
    paginate_meta_objects,
    paginate_sub_accounts,
    paginate_transactions,
)


class Server:
    """Serve ``total`` records in one style, capping page sizes at ``cap``."""

    def __init__(self, style, total, *, cap=MAX_PAGE_SIZE, report_total=True):
        self.style = style
        self.records = [{"id": n} for n in range(total)]
        self.cap = cap
        self.report_total = report_total
        self.requests = []

    def __call__(self, params):
        self.requests.append(dict(params))
        return getattr(self, self.style)(params)

    def _slice(self, start, size):
        size = min(size, self.cap)
        return self.records[start : start + size], size

    def items(self, params):
        page, size = params["page"], params["per_page"]
        chunk, size = self._slice((page - 1) * min(size, self.cap), size)
        body = {"items": chunk, "page": page, "per_page": size}
        if self.report_total:
            body["total"] = len(self.records)
        return body

    def meta(self, params, total_key="total"):
        chunk, size = self._slice(params["offset"], params["limit"])
        meta = {"limit": size, "offset": params["offset"]}
        if self.report_total:
            meta[total_key] = len(self.records)
        return {"meta": meta, "objects": chunk}

    def meta_old(self, params):
        return self.meta(params, total_key="total_count")

    def sub_accounts(self, params):
        page, size = params["page"], params["size"]
        chunk, size = self._slice((page - 1) * min(size, self.cap), size)
        return {
            "sub_accounts": chunk,
            "total": len(self.records),
            "page": page,
            "size": size,
        }

    def data(self, params):
        page, size = params["page"], params["per_page"]
        size = min(size, self.cap)
        chunk = self.records[(page - 1) * size : page * size]
        pages = math.ceil(len(self.records) / size)
        return {
            "data": chunk,
            "count": len(chunk),
            "pagination": {
                "page": page,
                "per_page": size,
                "total": len(self.records),
                "pages": pages,
                "has_next": page < pages,
                "has_prev": page > 1,
            },
        }

    def transactions(self, params):
        chunk, _ = self._slice(params["offset"], params["limit"])
        return {"transactions": chunk, "total": len(self.records)}


STYLES = {
    "items": paginate_items,
    "meta": paginate_meta_objects,
    "meta_old": paginate_meta_objects,
    "sub_accounts": paginate_sub_accounts,
    "data": paginate_data,
    "transactions": paginate_transactions,
}


@given(
    style=st.sampled_from(sorted(STYLES)),
    total=st.integers(min_value=0, max_value=450),
    cap=st.integers(min_value=1, max_value=MAX_PAGE_SIZE),
)
def test_every_style_yields_each_record_once_without_an_extra_request(
    style, total, cap
):
    server = Server(style, total, cap=cap)

    got = list(STYLES[style](server))

    assert got == server.records
    assert len(server.requests) == max(1, math.ceil(total / cap))


def test_default_page_size_is_the_documented_maximum():
    for style, paginate in STYLES.items():
        server = Server(style, 3)
        list(paginate(server))
        first = server.requests[0]
        assert MAX_PAGE_SIZE in first.values(), style
        assert MAX_PAGE_SIZE == 100


def test_items_are_fetched_lazily():
    server = Server("items", 250)

    first = next(paginate_items(server))

    assert first == {"id": 0}
    assert len(server.requests) == 1


def test_empty_page_stops_even_if_total_claims_more():
    calls = []

    def fetch(params):
        calls.append(params)
        return {
            "meta": {"total": 500},
            "objects": [{"id": 1}] if not params["offset"] else [],
        }

    assert list(paginate_meta_objects(fetch)) == [{"id": 1}]
    assert len(calls) == 2


def test_an_empty_numbered_page_stops_even_if_total_claims_more():
    calls = []

    def fetch(params):
        calls.append(params)
        return {"items": [{"id": 1}] if params["page"] == 1 else [], "total": 500}

    assert list(paginate_items(fetch)) == [{"id": 1}]
    assert len(calls) == 2


def test_without_total_a_short_page_is_the_last():
    server = Server("items", 130, report_total=False)

    assert len(list(paginate_items(server))) == 130
    assert [r["page"] for r in server.requests] == [1, 2]


def test_offset_advances_by_what_came_back_when_the_server_caps_the_limit():
    server = Server("transactions", 120, cap=50)

    list(paginate_transactions(server))

    assert [r["offset"] for r in server.requests] == [0, 50, 100]


def test_cdr_style_stops_on_has_next_false():
    def fetch(params):
        return {"data": [{"id": 1}], "pagination": {"has_next": False, "total": 99}}

    assert list(paginate_data(fetch)) == [{"id": 1}]


def test_sub_account_style_sends_page_and_size():
    server = Server("sub_accounts", 101)

    list(paginate_sub_accounts(server))

    assert server.requests == [{"page": 1, "size": 100}, {"page": 2, "size": 100}]


PAGINATORS = [
    (paginate_items, "items"),
    (paginate_meta_objects, "objects"),
    (paginate_sub_accounts, "sub_accounts"),
    (paginate_data, "data"),
    (paginate_transactions, "transactions"),
]


@pytest.mark.parametrize(("paginate", "key"), PAGINATORS)
def test_a_page_without_its_list_is_an_error_not_an_empty_list(paginate, key):
    """Else a 200 error body would read as "everything was deleted at Vobiz"."""
    with pytest.raises(UnexpectedResponse):
        list(paginate(lambda params: {"message": "Something went wrong"}))


@pytest.mark.parametrize(("paginate", "key"), PAGINATORS)
def test_a_null_or_odd_list_is_empty_and_odd_items_are_skipped(paginate, key):
    assert list(paginate(lambda params: {key: None})) == []
    assert list(paginate(lambda params: {key: [1, "x", None], "total": 3})) == []
