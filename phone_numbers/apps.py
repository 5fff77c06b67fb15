from django.apps import AppConfig


class PhoneNumbersConfig(AppConfig):
    name = "phone_numbers"

    def ready(self) -> None:
        from phone_numbers import receivers  # noqa: F401 (connects them)
