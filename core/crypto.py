"""Field encryption with MultiFernet over `FIELD_ENCRYPTION_KEYS`.

The first key encrypts; every key decrypts, so keys can be rotated by adding a new
key in front, running `manage.py rotate_encryption_keys`, then dropping the old one.
"""

from __future__ import annotations

import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionError(Exception):
    """A stored secret could not be decrypted (tampered, or no key matches).

    The message never contains the ciphertext or the plaintext.
    """


@cache
def _fernets(keys: tuple[str, ...]) -> tuple[Fernet, ...]:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty.")
    try:
        return tuple(Fernet(key.encode()) for key in keys)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


def _keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    """Encrypt text with the primary key and return the token as text."""
    primary = _fernets(_keys())[0]
    return primary.encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt a token with any configured key; fail closed on anything wrong."""
    try:
        return MultiFernet(list(_fernets(_keys()))).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError, UnicodeError):
        # `from None`: the chained exception could carry the token into a report.
        raise DecryptionError(
            "A stored secret could not be decrypted: it was altered, or none of "
            "FIELD_ENCRYPTION_KEYS matches it."
        ) from None


def is_current(token: str) -> bool:
    """Say whether a token is already encrypted with the primary key."""
    try:
        _fernets(_keys())[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """Re-encrypt a token under the primary key (it must decrypt with some key)."""
    return encrypt(decrypt(token))


def key_fingerprint(key: str) -> str:
    """Return a short, non-reversible fingerprint of a key for display."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def key_fingerprints() -> list[str]:
    """Return the fingerprints of the configured keys, primary first."""
    return [key_fingerprint(key) for key in _keys()]
