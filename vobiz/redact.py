"""Keep secrets out of what the client logs, reports and raises.

Two tools: ``redact_url`` for the URL of every attempt (no user info, sensitive
query values hidden) and ``scrubber`` for provider text that may echo a secret
back (an error message quoting the token it refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"

_SENSITIVE_NAME = re.compile(
    r"pass|token|secret|signature|sig$|key|auth|credential", re.I
)
_SENSITIVE_BODY_KEY = re.compile(r"pass|token|secret", re.I)
# Shorter strings would scrub ordinary words out of messages.
_MIN_SECRET_LENGTH = 4


def redact_url(url: str) -> str:
    """Return ``url`` without user info and with sensitive query values hidden."""
    parts = urlsplit(url)
    query = [
        (name, REDACTED if _SENSITIVE_NAME.search(name) else value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))


def body_secrets(json: Mapping[str, Any] | None) -> list[str]:
    """Return the string values of a request body whose keys name a secret."""
    return [
        value
        for key, value in (json or {}).items()
        if isinstance(value, str) and _SENSITIVE_BODY_KEY.search(key)
    ]


def long_enough(candidates: list[str]) -> tuple[str, ...]:
    """Return the candidates worth scrubbing (empty and tiny strings are not)."""
    return tuple(secret for secret in candidates if len(secret) >= _MIN_SECRET_LENGTH)


def scrubber(known: tuple[str, ...]) -> Callable[[str], str]:
    """Return a function that replaces every ``known`` secret with REDACTED."""

    def scrub(text: str) -> str:
        for secret in known:
            text = text.replace(secret, REDACTED)
        return text

    return scrub
