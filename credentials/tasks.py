"""Celery tasks of the credentials app (thin: one service call each)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from credentials import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rotation_reminders_send() -> dict[str, Any]:
    """Send the day's rotation reminders of every secret, SIP passwords included.

    Daily; each reminder goes out once, so a second run sends nothing.
    """
    return services.rotation_reminders_send()
