"""Run a Vobiz sync inline, with a progress bar and a summary."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.module_loading import import_string

from sync.models import ProviderAccount
from sync.registry import KINDS, kind_get
from sync.runs import SyncBusy
from vobiz.errors import VobizError


class Command(BaseCommand):
    help = "Sync the portal with Vobiz now (all kinds, or one with --only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", choices=sorted(kind.name for kind in KINDS), help="Sync one kind."
        )
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
        kinds = [options["only"]] if options["only"] else [kind.name for kind in KINDS]
        failed = False
        for provider in providers:
            for kind in kinds:
                failed |= not self._run(provider, kind, options["since"])
        if failed:
            raise CommandError("Some syncs failed; see above.")

    def _run(self, provider: ProviderAccount, kind: str, since: dt.date | None) -> bool:
        started = time.monotonic()
        kwargs: dict[str, Any] = {"provider": provider}
        spec = kind_get(kind)
        if spec.takes_since:
            kwargs["since"] = since
        if kind == "cdrs":
            kwargs["progress"] = self._progress
        try:
            result = import_string(spec.service)(**kwargs)
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
