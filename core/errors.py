"""The one error a view sees when the provider (Vobiz) refused or failed.

Services translate the client's errors into this one (see `sync.errors`), worded
once for every page. A view catches `ProviderError` and shows `message`, or puts
it on its form with `add_to_form`; it never sees, or imports, the client's own
errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms


class ProviderError(Exception):
    """A change the provider refused or could not make; nothing changed locally.

    `message` is the sentence for the person; `field_errors` maps form fields to
    the provider's complaints about them (when it named fields); `retry_after`
    says when trying again may help (seconds), `kind` names the failure
    (``rate_limited``, ``unavailable``, ``refused``, …) for callers that branch
    on it.
    """

    def __init__(
        self,
        message: str,
        *,
        kind: str = "refused",
        field_errors: Mapping[str, list[str]] | None = None,
        retry_after: float | None = None,
        request_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.field_errors = dict(field_errors or {})
        self.retry_after = retry_after
        self.request_id = request_id

    def add_to_form(self, form: forms.BaseForm) -> None:
        """Show the error on a form: beside the fields it names, else on top."""
        placed = False
        for field, messages in self.field_errors.items():
            if field in form.fields:
                for message in messages:
                    form.add_error(field, message)
                placed = True
        if not placed:
            form.add_error(None, self.message)
