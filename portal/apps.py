from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Connect the sign-in signal receivers (session start, failed sign-ins).
        from portal import security  # noqa: F401
