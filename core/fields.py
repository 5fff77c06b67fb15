"""Encrypted model fields.

An encrypted column holds a Fernet token. Reading a row never decrypts: the field
hands back a `Secret` that keeps the ciphertext and decrypts only when `.reveal()`
is called, so a secret cannot slip into a template, a log line or a repr by accident.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from core import crypto

MASK = "••••••••"


class Secret:
    """A stored secret: prints as a mask, decrypts only on `reveal()`."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        self._token = token

    @property
    def token(self) -> str:
        """Return the ciphertext as stored."""
        return self._token

    def reveal(self) -> str:
        """Decrypt and return the plaintext (raises DecryptionError if tampered)."""
        return crypto.decrypt(self._token)

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return "<Secret ********>"

    def __bool__(self) -> bool:
        return bool(self._token)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._token == self._token

    def __hash__(self) -> int:
        return hash(self._token)


class SecretAttribute(DeferredAttribute):
    """Encrypt a plain string the moment it is assigned to the model.

    So a model instance never holds a secret as a bare `str`, whether it was just
    created or loaded from the database.
    """

    def __set__(self, instance: models.Model, value: Any) -> None:
        if isinstance(value, str) and value:
            value = Secret(crypto.encrypt(value))
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column whose value is encrypted at rest with MultiFernet.

    Assign a plain `str` to store a new secret; an empty string stays empty (no
    secret). The attribute is always a `Secret` (or "" when empty).
    """

    description = "Text encrypted with MultiFernet"
    descriptor_class = SecretAttribute

    def from_db_value(self, value: str | None, *args: Any) -> Secret | str | None:
        if value is None or value == "":
            return value
        return Secret(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Secret) or value is None:
            return value
        return str(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, Secret):
            return value.token
        return crypto.encrypt(str(value))

    def value_to_string(self, obj: models.Model) -> str:
        # Serialisers (dumpdata, fixtures) see only the ciphertext.
        value = self.value_from_object(obj)
        return value.token if isinstance(value, Secret) else str(value or "")


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    """Return the encrypted fields of a model."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
