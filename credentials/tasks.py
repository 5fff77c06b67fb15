"""Celery tasks of the credentials app (thin: one service call each)."""

from __future__ import annotations

from celery import shared_task

from credentials import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def rotation_reminders_send() -> dict[str, int]:
    """Send the day's rotation reminders (each one once)."""
    return services.rotation_reminders_send()
