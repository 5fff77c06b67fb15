"""Run a Vobiz sync inline, with a progress bar and a summary."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ProviderAccount
from accounts.sync import sub_accounts_sync
from billing.sync import (
    balance_snapshot,
    cdrs_sync,
    rollups_check,
    transactions_sync,
)
from phone_numbers.sync import numbers_sync
from portal.sync import SyncBusy
from trunks.sync import trunks_sync
from vobiz.errors import VobizError

# In dependency order: owners before what they own.
KINDS: dict[str, Callable[..., Any]] = {
    "sub_accounts": sub_accounts_sync,
    "trunks": trunks_sync,
    "numbers": numbers_sync,
    "balance": balance_snapshot,
    "transactions": transactions_sync,
    "cdrs": cdrs_sync,
    # Local: rebuilds the daily rollups of days that disagree with the raw rows.
    "rollups": rollups_check,
}


class Command(BaseCommand):
    help = "Sync the portal with Vobiz now (all kinds, or one with --only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", choices=sorted(KINDS), help="Sync one kind.")
        parser.add_argument(
            "--since",
            type=dt.date.fromisoformat,
            help="Fetch call records (or check rollups) from this day (YYYY-MM-DD).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        providers = list(ProviderAccount.objects.order_by("pk"))
        if not providers:
            raise CommandError("No Vobiz account is configured yet.")
        since = options["since"]
        if since is not None and since > dt.datetime.now(dt.UTC).date():
            raise CommandError("--since must not be in the future.")
        kinds = [options["only"]] if options["only"] else list(KINDS)
        failed = False
        for provider in providers:
            for kind in kinds:
                failed |= not self._run(provider, kind, options["since"])
        if failed:
            raise CommandError("Some syncs failed; see above.")

    def _run(self, provider: ProviderAccount, kind: str, since: dt.date | None) -> bool:
        started = time.monotonic()
        kwargs: dict[str, Any] = {"provider": provider}
        if kind == "cdrs":
            kwargs.update(since=since, progress=self._progress)
        if kind == "rollups":
            kwargs["since"] = since
        try:
            result = KINDS[kind](**kwargs)
        except SyncBusy as busy:
            self.stdout.write(self.style.WARNING(f"{kind}: skipped ({busy})"))
            return True
        except VobizError as error:
            self.stderr.write(self.style.ERROR(f"{kind}: failed: {error}"))
            return False
        took = time.monotonic() - started
        self._clear_progress()
        self.stdout.write(
            f"{provider.auth_id} {kind:<13} {took:6.1f}s  {_describe(result)}"
        )
        return True

    def _progress(self, day: dt.date, rows: int) -> None:
        if self.stdout.isatty():
            self.stdout.write(
                f"\r  cdrs: {day.isoformat()}  {rows:>9,} rows", ending=""
            )
            self.stdout.flush()

    def _clear_progress(self) -> None:
        if self.stdout.isatty():
            self.stdout.write("\r" + " " * 60 + "\r", ending="")


def _describe(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{k}={v}" for k, v in result.items())
    return str(result)
