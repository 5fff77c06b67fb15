"""The unread-notifications badge in the sidebar."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from monitoring.selectors import unread_count


def notifications(request: HttpRequest) -> dict[str, Callable[[], int] | int]:
    """Give templates the signed-in user's unread notification count.

    A callable, so the one COUNT query runs only when a template shows the
    badge (full pages), not for htmx partials.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    cached: list[int] = []

    def count() -> int:
        if not cached:
            cached.append(unread_count(user=user))
        return cached[0]

    return {"unread_notifications": count}
