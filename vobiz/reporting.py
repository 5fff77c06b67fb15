"""Describe every HTTP attempt to the log and to the portal's observer.

One ``ApiAttempt`` per attempt, never holding a secret: the URL goes through
``redact_url`` and errors carry provider text already scrubbed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import requests

from vobiz.errors import REQUEST_ID_HEADERS, VobizError
from vobiz.interfaces import ApiAttempt, Observer
from vobiz.redact import redact_url

# The logger keeps the name it had before the transport moved out of client.py,
# so the portal's LOGGING settings and log searches still find these lines.
logger = logging.getLogger("vobiz.client")


class Report:
    """Describe one attempt to the observer and the log."""

    def __init__(
        self,
        *,
        observer: Observer | None,
        clock: Callable[[], float],
        method: str,
        template: str,
        url: str,
        attempt: int,
        sub_account: str | None,
    ) -> None:
        self._observer = observer
        self._clock = clock
        self._method = method
        self._template = template
        self._url = url
        self._attempt = attempt
        self._sub_account = sub_account
        self._started = clock()
        self.response: requests.Response | None = None

    def emit(
        self,
        outcome: str,
        *,
        error: VobizError | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Report this attempt once to the log and the observer."""
        attempt = ApiAttempt(
            method=self._method,
            path_template=self._template,
            url=redact_url(self._url),
            status=self.response.status_code if self.response is not None else None,
            duration_ms=round((self._clock() - self._started) * 1000, 3),
            request_id=request_id(self.response, error, body),
            attempt=self._attempt,
            outcome=outcome,
            sub_account=self._sub_account,
            error_code=error.code if error is not None else None,
            started_at=self._started,
        )
        _log(attempt)
        self._notify(attempt)

    def _notify(self, attempt: ApiAttempt) -> None:
        if self._observer is None:
            return
        try:
            self._observer(attempt)
        except Exception:
            # Losing one ApiCall row must not fail the API call it describes.
            logger.warning("vobiz observer failed", exc_info=True)


def request_id(
    response: requests.Response | None,
    error: VobizError | None = None,
    body: dict[str, Any] | None = None,
) -> str | None:
    """Return the provider's request id from the error, the body or a header."""
    if error is not None and error.request_id:
        return error.request_id
    for key in ("requestId", "api_id"):
        if body and isinstance(body.get(key), str):
            return str(body[key])
    if response is None:
        return None
    for name in REQUEST_ID_HEADERS:
        if response.headers.get(name):
            return response.headers[name]
    return None


def _log(attempt: ApiAttempt) -> None:
    level = logging.INFO if attempt.outcome == "ok" else logging.WARNING
    logger.log(
        level,
        "vobiz_api method=%s url=%s status=%s outcome=%s attempt=%d duration_ms=%.1f "
        "request_id=%s sub_account=%s",
        attempt.method,
        attempt.url,
        attempt.status,
        attempt.outcome,
        attempt.attempt,
        attempt.duration_ms,
        attempt.request_id,
        attempt.sub_account,
        extra={"vobiz": asdict(attempt)},
    )
