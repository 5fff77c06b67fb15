"""What every payload module shares: reading a nested object that may be junk."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EMPTY: Mapping[str, Any] = {}


def nested(value: Any) -> Mapping[str, Any]:
    """Return ``value`` if it is a JSON object, else an empty one.

    Vobiz documents ``permissions`` and ``sub_account`` as objects that may be
    null; anything else in their place is read as "not sent".
    """
    return value if isinstance(value, Mapping) else EMPTY
