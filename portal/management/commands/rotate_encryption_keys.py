"""Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.services import encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first FIELD_ENCRYPTION_KEYS key. "
        "Put the new key first, run this, then remove the old key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change only."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = encryption_keys_rotate(dry_run=options["dry_run"])
        verb = "would re-encrypt" if options["dry_run"] else "re-encrypted"
        for label, count in sorted(report.rotated.items()):
            self.stdout.write(f"{label}: {verb} {count} row(s)")
        self.stdout.write(f"Total: {verb} {report.total_rotated} row(s).")
        if report.total_failed:
            details = ", ".join(f"{k}: {v}" for k, v in sorted(report.failed.items()))
            raise CommandError(
                f"{report.total_failed} value(s) could not be decrypted with any key "
                f"and were left unchanged ({details})."
            )
