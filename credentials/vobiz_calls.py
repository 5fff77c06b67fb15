"""The Vobiz calls a rotation needs that `VobizClient` has no method for.

They go through the client's generic request path (`_call`), so they get its
transport: HTTPS, timeouts, the breaker, redaction and the ApiCall log. If the
client grows `change_password(current, new)` and an uncached `whoami()`, these
become one-line wrappers (vobiz/ belongs to another part of the code base).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from accounts.models import ProviderAccount
from portal.provider import ApiCallRecorder
from vobiz.client import VobizClient
from vobiz.errors import AuthError, UnexpectedResponse, VobizError
from vobiz.transport import Auth, Replay

ME = "/auth/me"
CONSOLE_CHANGE = "/auth/change-password"  # a path, not a secret
ROTATE = "/auth-token/rotate"


def token_works(client: VobizClient) -> bool | None:
    """Ask Vobiz, uncached, whether the client's REST token is accepted.

    True: it is; False: Vobiz refuses it (401); None: no clear answer.
    """
    try:
        client._call("GET", ME)
    except AuthError:
        return False
    except VobizError:
        return None
    return True


def change_console_password(
    client: VobizClient, *, current: str, new: str
) -> dict[str, Any]:
    """Change the console password; Vobiz revokes every earlier JWT.

    Sent at most once (a second try would present a password that is no longer
    current): the caller checks afterwards whether it landed.
    """
    return client._call(
        "POST",
        CONSOLE_CHANGE,
        json={"current_password": current, "new_password": new},
        replay=Replay.UNSENT_ONLY,
    )


def rotate_with_console(client: VobizClient) -> str:
    """Rotate the master auth token signed in with the console login (Bearer).

    The way back when a rotation's answer was lost: the old REST token no longer
    works, but the console login still does.
    """
    reply = client._call("POST", ROTATE, auth=Auth.BEARER, replay=Replay.UNSENT_ONLY)
    token = _token_in(reply)
    if not token:
        raise UnexpectedResponse("rotate response carried no auth_token", status=200)
    return token


def _token_in(reply: dict[str, Any]) -> str:
    for holder in (reply, reply.get("auth_credentials"), reply.get("data")):
        if isinstance(holder, dict):
            token = holder.get("auth_token") or holder.get("new_auth_token")
            if isinstance(token, str) and token:
                return token
    return ""


def login_client(provider: ProviderAccount, password: str) -> VobizClient:
    """Return a throw-away client that signs in with `password` and keeps nothing.

    Used to check which console password Vobiz holds, without touching the
    tokens the portal has stored.
    """
    return VobizClient(
        settings.VOBIZ_BASE_URL,
        provider.auth_id,
        provider.auth_token.reveal(),
        ca_bundle=settings.VOBIZ_CA_BUNDLE,
        timeout=(3.05, 10),
        observer=ApiCallRecorder(provider.pk),
        login_email=provider.login_email.reveal() if provider.login_email else None,
        login_password=password,
        max_retries=1,
    )


def password_accepted(provider: ProviderAccount, password: str) -> bool | None:
    """Say whether Vobiz accepts a console password (None: no clear answer)."""
    try:
        login_client(provider, password).login()
    except AuthError:
        return False
    except VobizError:
        return None
    return True
