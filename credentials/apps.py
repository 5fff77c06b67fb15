from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _record_keys(sender: AppConfig, **kwargs: Any) -> None:
    # Keys change with a deploy, and a deploy migrates: note their first sighting
    # then (the daily reminder task does it too), so no page has to write.
    from credentials.services import encryption_keys_record

    encryption_keys_record()


class CredentialsConfig(AppConfig):
    name = "credentials"
    verbose_name = "Credentials"

    def ready(self) -> None:
        post_migrate.connect(_record_keys, sender=self)
