"""Create demo data: a Vobiz account, teams, and one user per role.

Passwords are generated and printed once, when a user is created. Running the
command again creates only what is missing.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import services, twofactor
from accounts.choices import GlobalRole, SubAccountKind
from accounts.models import SubAccount, User
from sync.models import ProviderAccount

TEAMS = [
    ("Support", SubAccountKind.TEAM, "Inbound customer support lines"),
    ("Sales", SubAccountKind.TEAM, "Outbound sales campaigns"),
    ("Collections", SubAccountKind.TEAM, "Payment reminders (160 series)"),
    ("IVR Platform", SubAccountKind.APPLICATION, "The self-service voice menu"),
    ("Staging", SubAccountKind.ENVIRONMENT, "Pre-production test traffic"),
    ("Reseller North", SubAccountKind.PARTNER, "Partner reselling minutes"),
]
USERS = [
    ("admin@demo.example", "Ada Admin", GlobalRole.ADMIN, None, None),
    ("finance@demo.example", "Fin Finance", GlobalRole.FINANCE, None, None),
    ("lead.support@demo.example", "Lea Lead", GlobalRole.NONE, "Support", "lead"),
    ("viewer.support@demo.example", "Vic Viewer", GlobalRole.NONE, "Support", "viewer"),
    ("lead.sales@demo.example", "Sam Sales", GlobalRole.NONE, "Sales", "lead"),
]
# Synced sub-accounts (the simulator's) are matched by the start of their name.


class Command(BaseCommand):
    help = "Create demo users (one per role), teams and a Vobiz account record."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Issue and print new passwords for the demo users.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            provider = self._provider()
            teams = self._teams(provider)
            rows = [self._user(row, teams, options["reset_passwords"]) for row in USERS]
        self.stdout.write("\nDemo users (sign in at http://127.0.0.1:8000/login/):")
        for email, role, password in rows:
            shown = password or "(unchanged; use --reset-passwords for a new one)"
            self.stdout.write(f"  {role:<22} {email:<30} {shown}")

    def _provider(self) -> ProviderAccount:
        provider = ProviderAccount.objects.order_by("pk").first()
        if provider:
            return provider
        return ProviderAccount.objects.create(
            label="Demo company",
            auth_id="MA_" + secrets.token_hex(5).upper(),
            auth_token=secrets.token_urlsafe(32),
            environment="sandbox",
        )

    def _teams(self, provider: ProviderAccount) -> dict[str, SubAccount]:
        """Use the synced sub-accounts when there are any, else create demo teams."""
        synced = list(
            SubAccount.objects.filter(provider_account=provider).order_by("pk")
        )
        if not synced:
            return {
                name: self._team(provider, name, kind, desc)
                for name, kind, desc in TEAMS
            }
        wanted = {team for *_, team, _role in USERS if team}
        return {
            name: next((sa for sa in synced if sa.name.startswith(name)), synced[0])
            for name in wanted
        }

    def _team(
        self, provider: ProviderAccount, name: str, kind: str, description: str
    ) -> SubAccount:
        existing = SubAccount.objects.filter(
            provider_account=provider, name=name
        ).first()
        if existing:
            return existing
        return services.subaccount_create(
            actor=None,
            provider_account=provider,
            name=name,
            kind=kind,
            description=description,
        )

    def _user(
        self, row: tuple[Any, ...], teams: dict[str, SubAccount], reset: bool
    ) -> tuple[str, str, str | None]:
        email, name, role, team, team_role = row
        user = User.objects.filter(email=email).first()
        password = None
        if user is None:
            user, _link = services.user_create(
                actor=None, email=email, full_name=name, role=role
            )
        if user.password.startswith("!") or reset:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
        if team:
            services.membership_set(
                actor=None, user=user, sub_account=teams[team], role=team_role
            )
        if role == GlobalRole.ADMIN:
            self._second_factor(user)
        label = f"{team_role} of {team}" if team else (GlobalRole(role).label)
        return email, label, password

    def _second_factor(self, user: User) -> None:
        """Give the demo admin an authenticator key (admins must use one)."""
        from django_otp.plugins.otp_totp.models import TOTPDevice

        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            return
        device = TOTPDevice.objects.create(user=user, name="Demo app", confirmed=True)
        self.stdout.write(
            f"\n{user.email} signs in with a second factor. Add this key to an "
            f"authenticator app: {twofactor.totp_secret_text(device)}\n"
            "or print the current code with: .venv/bin/python manage.py otp_code "
            f"{user.email}"
        )
