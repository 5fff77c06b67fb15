"""The account, its money and its calls (docs/vobiz-api.md §4, §5, §9, §10).

Account info and balances are cached briefly; CDRs never are, and the CSV
export is streamed so a month of records is never held in memory.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from datetime import date
from typing import Any, TypeAlias

from vobiz.base import BaseClient, compact
from vobiz.pagination import paginate_data, paginate_transactions
from vobiz.transport import Auth, JSONDict, Replay

Account: TypeAlias = JSONDict
Balance: TypeAlias = JSONDict
Transaction: TypeAlias = JSONDict
Cdr: TypeAlias = JSONDict
DateLike: TypeAlias = date | str

ACCOUNT_TTL = 15 * 60
BALANCE_TTL = 60

ME = "/auth/me"
# Lower-case "account" for balance and ledger, as the docs spell them.
BALANCE = "/account/{auth_id}/balance/{currency}"
TRANSACTIONS = "/account/{auth_id}/transactions"
CDRS = "/Account/{auth_id}/cdr"
CDR = "/Account/{auth_id}/cdr/{uuid}"
CDR_EXPORT = "/Account/{auth_id}/cdr/export"
CALLS = "/Account/{auth_id}/Call/"


class BillingMethods(BaseClient):
    """Read the account, its balance, ledger and CDRs; place calls."""

    def get_account(self) -> Account:
        """Return the account (``/auth/me``, cached 15 min); Bearer when logged in."""
        auth = Auth.BEARER if self._console_enabled() else Auth.REST
        return self._cached(
            "account", ACCOUNT_TTL, lambda: self._call("GET", ME, auth=auth)
        )

    def get_balance(self, currency: str) -> Balance:
        """Return the balance in ``currency`` (cached 1 minute)."""
        currency = currency.upper()
        return self._cached(
            f"balance:{currency}",
            BALANCE_TTL,
            lambda: self._call("GET", BALANCE, currency=currency),
        )

    def iter_transactions(self) -> Iterator[Transaction]:
        """Iterate over the balance ledger, newest first."""
        return paginate_transactions(self._pages(TRANSACTIONS))

    def iter_cdrs(
        self, start_date: DateLike, end_date: DateLike, **filters: str | int
    ) -> Iterator[Cdr]:
        """Iterate over call detail records between two dates (never cached)."""
        return paginate_data(
            self._pages(CDRS, _cdr_filters(start_date, end_date, filters))
        )

    def get_cdr(self, uuid: str) -> Cdr:
        """Return one CDR by its ``uuid`` (the numeric id gives NotFound)."""
        reply = self._call("GET", CDR, uuid=uuid)
        data = reply.get("data")
        return data if isinstance(data, dict) else reply

    def export_cdrs_csv(
        self, start_date: DateLike, end_date: DateLike, **filters: str | int
    ) -> Iterator[dict[str, str]]:
        """Stream the CSV export row by row as dicts, never holding it all in memory.

        The request is sent when iteration starts.
        """
        params = _cdr_filters(start_date, end_date, filters)
        reply = self._send(self._request("GET", CDR_EXPORT, params=params, stream=True))
        with closing(reply.response) as response:
            yield from csv.DictReader(
                _text_lines(response.iter_content(chunk_size=65536))
            )

    def make_call(
        self, from_: str, to: str, answer_url: str, **fields: Any
    ) -> JSONDict:
        """Place a call; never re-sent after an unknown outcome (calls cost money)."""
        body = {"from": from_, "to": to, "answer_url": answer_url, **compact(fields)}
        return self._call("POST", CALLS, json=body, replay=Replay.UNSENT_ONLY)


def _cdr_filters(
    start_date: DateLike, end_date: DateLike, filters: Mapping[str, str | int]
) -> dict[str, Any]:
    # Vobiz takes the dates only as a pair, so both are required here.
    return {"start_date": _iso(start_date), "end_date": _iso(end_date), **filters}


def _iso(value: DateLike) -> str:
    return value.isoformat() if isinstance(value, date) else value


def _text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    # Split on "\n" only, keeping it, so csv sees quoted newlines intact.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending
