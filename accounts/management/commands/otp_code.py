"""Print a user's current two-factor code: for the quick start only (DEBUG on)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a user (only when DEBUG is on)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        # A second factor that a shell can read is no second factor in production.
        if not settings.DEBUG:
            raise CommandError("otp_code works only with DEBUG on (the quick start).")
        device = TOTPDevice.objects.filter(
            user__email__iexact=options["email"], confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{options['email']} has no authenticator set up.")
        code = totp(
            device.bin_key, step=device.step, t0=device.t0, digits=device.digits
        )
        self.stdout.write(str(code).zfill(device.digits))
