"""Types shared by the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict

from accounts.models import User

AnyUser = User | AnonymousUser
Filters = QueryDict | dict[str, Any] | None
