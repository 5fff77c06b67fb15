"""The console login's answers (docs/vobiz-api.md §3).

Tokens are kept exactly as sent (a token changed in any way would not work)
and never shown in a repr.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from vobiz.parse import text
from vobiz.payloads.base import nested

# An access token's lifetime when Vobiz does not say (§3: 30 minutes).
ACCESS_SECONDS = 1800.0
# Longer than any token lives; more would overflow a date.
SECONDS_LIMIT = 1e9


@dataclass(frozen=True, slots=True)
class ConsoleTokens:
    """A console JWT pair as Vobiz returns it (login shape, §3).

    A token that is not a string is None; use the pair only when both are
    set. ``expires_in`` is the access token's lifetime in seconds: a missing
    or zero one is 1800, and so is junk (text that is no number, NaN, an
    infinity, 1e9 or more either way). ``ConsoleTokens()`` is "no tokens".
    """

    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_in: float = ACCESS_SECONDS

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build the pair from a token object (``tokens`` of a reply, or a login)."""
        access, refresh = data.get("access_token"), data.get("refresh_token")
        return cls(
            access_token=access if isinstance(access, str) else None,
            refresh_token=refresh if isinstance(refresh, str) else None,
            expires_in=_seconds(data.get("expires_in")),
        )


@dataclass(frozen=True, slots=True)
class PasswordChanged:
    """The answer to changing the console password (``/auth/change-password``).

    Vobiz has revoked every earlier token; ``tokens`` is the fresh pair the
    answer carried (both None when it carried none, or junk in its place).
    """

    message: str
    tokens: ConsoleTokens

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> Self:
        """Build the result from the whole change-password response."""
        return cls(
            message=text(data.get("message"), 200),
            tokens=ConsoleTokens.from_api(nested(data.get("tokens"))),
        )


def _seconds(value: Any) -> float:
    """Read a lifetime in seconds; missing, zero or junk gives 1800."""
    try:
        seconds = float(value or ACCESS_SECONDS)
    except (TypeError, ValueError, OverflowError):
        return ACCESS_SECONDS
    if not math.isfinite(seconds) or abs(seconds) >= SECONDS_LIMIT:
        return ACCESS_SECONDS
    return seconds
