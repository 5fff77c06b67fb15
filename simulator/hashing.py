"""Hashes for stored secrets: auth tokens, console and SIP passwords.

The simulator keeps no secret in plain text in its snapshot; a leaked data dir
shows hashes only (credentials.json, mode 0600, is the one exception).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_ITERATIONS = 20_000  # low on purpose: tests log in often; this is not production


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of an API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Compare a presented token with a stored hash in constant time."""
    return hmac.compare_digest(hash_token(token), token_hash)


def hash_password(password: str) -> str:
    """Return a salted PBKDF2 hash of a password."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), salt.encode(), _ITERATIONS
    )
    return f"pbkdf2_sha256${_ITERATIONS}${salt}${digest.hex()}"


def password_matches(password: str, stored: str | None) -> bool:
    """Tell whether ``password`` matches a hash made by ``hash_password``."""
    if not stored:
        return False
    try:
        _, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), salt.encode(), int(iterations)
    )
    return hmac.compare_digest(digest.hex(), expected)


def new_token() -> str:
    """Return a fresh API auth token (40 URL-safe characters)."""
    return secrets.token_urlsafe(30)
