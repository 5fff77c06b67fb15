from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        # Connect the sign-in signal receivers (session start, failed sign-ins).
        from accounts import security  # noqa: F401
        from accounts.secrets_shown import SUBACCOUNT_TOKEN, subaccount_token_shown
        from core import show_once

        show_once.resolver_add(SUBACCOUNT_TOKEN, subaccount_token_shown)
