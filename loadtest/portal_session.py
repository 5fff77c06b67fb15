"""Sign in to the portal over HTTP as a person would: the form, then the TOTP code.

Works with any requests-like session (a `requests.Session`, or Locust's
`HttpSession`, which is one). No Django set-up is needed: the code is computed
with `django_otp.oath.totp` from the device's hex key.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django_otp.oath import totp

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN_PATH = "/login/"
VERIFY_PATH = "/login/verify/"

Send = Callable[..., Any]


class SignInError(RuntimeError):
    """The portal did not let the user in."""


def csrf_token(html: str) -> str:
    """Return the CSRF form token of a page."""
    match = _CSRF.search(html)
    if match is None:
        raise SignInError("no CSRF token on the page")
    return match.group(1)


def totp_code(key_hex: str, *, drift: int = 0) -> str:
    """Return the six-digit code of a TOTP device's hex key, now (+ `drift` steps)."""
    return f"{totp(bytes.fromhex(key_hex), step=30, drift=drift, digits=6):06d}"


def sign_in(
    get: Send,
    post: Send,
    *,
    email: str,
    password: str,
    totp_key: str | None = None,
) -> None:
    """Sign in with the form (and the second factor when the user has one).

    `get(path)` and `post(path, data=...)` send requests without following
    redirects. A code already used in this 30-second step is refused by
    django-otp, so the next step's code (inside its tolerance) is tried once.
    """
    page = get(LOGIN_PATH)
    data = {"username": email, "password": password, "next": "/"}
    answer = post(
        LOGIN_PATH, data={**data, "csrfmiddlewaretoken": csrf_token(page.text)}
    )
    if answer.status_code != 302:
        raise SignInError(f"sign-in answered {answer.status_code}, not a redirect")
    if totp_key is None:
        return
    for drift in (0, 1):
        form = get(VERIFY_PATH)
        token = {"token": totp_code(totp_key, drift=drift), "next": "/"}
        answer = post(
            VERIFY_PATH, data={**token, "csrfmiddlewaretoken": csrf_token(form.text)}
        )
        if answer.status_code == 302:
            return
    raise SignInError("the second factor was refused")
