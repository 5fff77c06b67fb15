from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self) -> None:
        # Lower apps notify through the kernel; this app delivers the notices.
        from core.notify import sender_set
        from monitoring.notify import notify_send

        sender_set(notify_send)
