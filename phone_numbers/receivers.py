"""How phone_numbers answers what the apps below it announce (trunks.signals)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.dispatch import receiver

from phone_numbers.models import PhoneNumber
from trunks.models import Trunk
from trunks.signals import trunk_removed


@receiver(trunk_removed)
def numbers_of_removed_trunk(
    sender: Any, *, trunk: Trunk, now: dt.datetime, **kwargs: Any
) -> None:
    """Unroute the numbers that pointed at a removed trunk, as Vobiz does."""
    PhoneNumber.objects.filter(trunk=trunk).update(trunk=None, trunk_remote_id="")
