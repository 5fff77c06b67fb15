from django.apps import AppConfig


class TrunksConfig(AppConfig):
    name = "trunks"

    def ready(self) -> None:
        # New SIP passwords are shown once, on this app's page.
        from core import show_once
        from trunks import receivers  # noqa: F401 (connects them)
        from trunks.secrets_shown import CREDENTIAL, credential_shown

        show_once.resolver_add(CREDENTIAL, credential_shown)
        show_once.page_set("trunks:secret_show")
