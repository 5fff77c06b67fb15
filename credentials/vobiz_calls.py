"""Portal-side questions to Vobiz that a rotation asks after an unclear answer.

The calls themselves are `VobizClient` methods; these turn their outcome into
the yes / no / no-clear-answer a rotation needs to decide what to keep.
"""

from __future__ import annotations

from django.conf import settings

from sync.clients import ApiCallRecorder
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.errors import AuthError, VobizError


def token_works(client: VobizClient) -> bool | None:
    """Ask Vobiz, uncached, whether the client's REST token is accepted.

    True: it is; False: Vobiz refuses it (401); None: no clear answer.
    """
    try:
        client.verify_auth_token()
    except AuthError:
        return False
    except VobizError:
        return None
    return True


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
