"""Rotate Vobiz auth tokens: the master account's and each sub-account's."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import SubAccount, User
from credentials.choices import SecretKind
from credentials.models import Drill, RotationRecord
from credentials.selectors import provider_key, subaccount_key
from credentials.services.common import (
    RotationFailed,
    RotationResult,
    record_failure,
    record_start,
    rotating,
    still_works_sentence,
    store_rotated,
)
from sync.clients import client_for, sub_account_client
from sync.errors import describe
from sync.models import ProviderAccount
from vobiz.client import VobizClient
from vobiz.errors import AuthError, VobizError

logger = logging.getLogger("credentials.services.tokens")


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


def _token_failed(
    record: RotationRecord, actor: User | None, exc: VobizError, still: bool | None
) -> RotationFailed:
    """Fail the record with a message that says whether the old token still works."""
    message = describe(exc) + still_works_sentence(still, "auth token")
    if still is False:
        message = (
            f"{describe(exc)} Vobiz no longer accepts the old token: the rotation "
            "reached Vobiz but its answer, with the new token, was lost. Rotate "
            "the token in the Vobiz console."
        )
    record_failure(record, actor, message)
    return RotationFailed(message, record=record, still_works=still)


def subaccount_token_rotate(
    *, actor: User | None, sub_account: SubAccount, drill: Drill | None = None
) -> RotationResult:
    """Rotate a sub-account's auth token at Vobiz and store the new one.

    The old token stops working at Vobiz at once. Raises ValidationError when
    the portal holds no token, RotationFailed when Vobiz did not rotate (the
    message says whether the old token still works), SecretNotSaved when the
    database refused the new one.
    """
    current = SubAccount.objects.select_related("provider_account").get(
        pk=sub_account.pk
    )
    if current.removed_at or not current.auth_id:
        raise ValidationError("This sub-account does not exist at Vobiz.")
    provider = current.provider_account
    client = sub_account_client(provider, current, interactive=True)
    if client is None:
        raise ValidationError(
            "The portal holds no auth token for this sub-account, so it cannot "
            "rotate it; rotate it in the Vobiz console."
        )
    record = record_start(
        kind=SecretKind.SUBACCOUNT_TOKEN,
        key=subaccount_key(current),
        label=f"{current.name} ({current.auth_id})",
        actor=actor,
        provider=provider,
        sub_account=current,
        drill=drill,
    )
    with rotating(provider):
        try:
            token = client.rotate_auth_token()
        except VobizError as exc:
            still = token_works(client)
            raise _token_failed(record, actor, exc, still) from exc

        def write() -> None:
            locked = SubAccount.objects.select_for_update().get(pk=current.pk)
            locked.auth_token = token
            locked.save(update_fields=["auth_token", "updated_at"])

        store_rotated(record, actor, write, token)
    return RotationResult(
        record, token, f"Auth token of “{current.name}” rotated at Vobiz."
    )


def master_token_rotate(
    *, actor: User | None, provider: ProviderAccount
) -> RotationResult:
    """Rotate the master account's auth token at Vobiz and store the new one.

    Every sync uses this token: the new one is stored in the transaction that
    finishes the rotation, and a sync that still held the old one reloads it
    (see the module docstring). When Vobiz rotated but the answer was lost,
    the portal rotates once more signed in with the console login, if it has
    one, so it is never left without a working token.
    """
    current = ProviderAccount.objects.get(pk=provider.pk)
    client = client_for(current, interactive=True)
    record = record_start(
        kind=SecretKind.MASTER_TOKEN,
        key=provider_key(current),
        label=f"{current.label} ({current.auth_id})",
        actor=actor,
        provider=current,
    )
    with rotating(current):
        try:
            token = client.rotate_auth_token()
        except VobizError as exc:
            still = token_works(client)
            if still is not False or not current.login_password:
                raise _token_failed(record, actor, exc, still) from exc
            token = _recover_master(record, client, actor, exc)

        def write() -> None:
            locked = ProviderAccount.objects.select_for_update().get(pk=current.pk)
            locked.auth_token = token
            locked.auth_token_rotated_at = timezone.now()
            locked.save(
                update_fields=["auth_token", "auth_token_rotated_at", "updated_at"]
            )

        store_rotated(record, actor, write, token)
    return RotationResult(
        record, token, f"Master auth token of {current.label} rotated at Vobiz."
    )


def _recover_master(
    record: RotationRecord, client: VobizClient, actor: User | None, exc: VobizError
) -> str:
    """Rotate again signed in with the console login after a lost answer.

    The old REST token is void and the new one was never seen; the console
    login still works, and Vobiz rotates the token for it too.
    """
    try:
        token = client.rotate_auth_token(with_console_login=True)
    except VobizError as again:
        message = (
            f"{describe(exc)} Vobiz no longer accepts the old token and rotating "
            f"again with the console login failed too ({describe(again)}). Rotate "
            "the token in the Vobiz console and connect it again with "
            "manage.py connect_vobiz."
        )
        record_failure(record, actor, message)
        raise RotationFailed(message, record=record, still_works=False) from again
    logger.warning(
        "master token rotation answer lost; rotated again with the console login",
        extra={"rotation": record.pk},
    )
    return token
