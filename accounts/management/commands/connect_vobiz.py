"""Connect the portal to a Vobiz master account (or the simulator).

Secrets come from a credentials file (the simulator's, mode 0600) or from the
environment (`VOBIZ_AUTH_TOKEN`, `VOBIZ_LOGIN_EMAIL`, `VOBIZ_LOGIN_PASSWORD`), never
from the command line, where any user could read them in the process list.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import SubAccount
from sync.models import ProviderAccount, validate_master_auth_id


class Command(BaseCommand):
    help = "Store (or update) the Vobiz master account the portal works on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--credentials", type=Path, help="a credentials JSON file")
        parser.add_argument("--auth-id", help="the MA_ auth id (token from the env)")
        parser.add_argument("--label", default="", help="a name for the account")
        parser.add_argument(
            "--environment", choices=["production", "sandbox"], default=None
        )

    def handle(self, *args: Any, **options: Any) -> None:
        values = self._values(options)
        try:
            validate_master_auth_id(values["auth_id"])
            with transaction.atomic():
                provider, created = self._store(values, options)
                tokens = values.get("sub_account_tokens") or {}
                stored = self._sub_account_tokens(tokens)
        except ValidationError as exc:
            # Bad input is the operator's to fix: say what, without a traceback.
            raise CommandError(" ".join(exc.messages)) from exc
        verb = "Connected" if created else "Updated"
        self.stdout.write(f"{verb} {provider.label} ({provider.auth_id}).")
        if stored:
            self.stdout.write(f"Stored the tokens of {stored} sub-account(s).")

    def _values(self, options: dict[str, Any]) -> dict[str, Any]:
        if options["credentials"]:
            try:
                data: dict[str, Any] = json.loads(options["credentials"].read_text())
            except (OSError, ValueError) as exc:
                raise CommandError(
                    f"Cannot read {options['credentials']}: {exc}"
                ) from exc
            if not isinstance(data, dict) or not {"auth_id", "auth_token"} <= set(data):
                raise CommandError(
                    f"{options['credentials']} needs an auth_id and an auth_token."
                )
            if not isinstance(data.get("sub_account_tokens") or {}, dict):
                raise CommandError(
                    f"{options['credentials']}: sub_account_tokens must map auth "
                    "ids to tokens."
                )
            return data
        token = os.environ.get("VOBIZ_AUTH_TOKEN", "")
        if not options["auth_id"] or not token:
            raise CommandError(
                "Give --credentials FILE, or --auth-id with VOBIZ_AUTH_TOKEN set."
            )
        return {
            "auth_id": options["auth_id"],
            "auth_token": token,
            "email": os.environ.get("VOBIZ_LOGIN_EMAIL", ""),
            "password": os.environ.get("VOBIZ_LOGIN_PASSWORD", ""),
        }

    def _store(
        self, values: dict[str, Any], options: dict[str, Any]
    ) -> tuple[ProviderAccount, bool]:
        provider = ProviderAccount.objects.filter(auth_id=values["auth_id"]).first()
        created = provider is None
        if provider is None:
            provider = ProviderAccount(auth_id=values["auth_id"])
        provider.label = options["label"] or provider.label or "Vobiz"
        if options["environment"]:
            provider.environment = options["environment"]
        provider.auth_token = values["auth_token"]
        provider.login_email = values.get("email") or ""
        provider.login_password = values.get("password") or ""
        provider.full_clean()
        provider.save()
        audit_record(
            actor=None,
            action="provider.connect" if created else "provider.update",
            obj=provider,
            after={"auth_id": provider.auth_id, "auth_token": "set"},
        )
        return provider, created

    def _sub_account_tokens(self, tokens: dict[str, str]) -> int:
        stored = 0
        for sub_account in SubAccount.objects.filter(auth_id__in=list(tokens)):
            sub_account.auth_token = tokens[sub_account.auth_id or ""]
            sub_account.save(update_fields=["auth_token", "updated_at"])
            stored += 1
        return stored
