"""Number requests: a lead asks, another person (an admin) approves or rejects.

Approval creates one `NumberPurchase` per number, each with its idempotency key,
and enqueues the purchase task only once that is committed.
"""

from __future__ import annotations

import itertools
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.audit import audit_record, snapshot
from accounts.models import SubAccount, User, require_admin
from phone_numbers import selectors
from phone_numbers.choices import RequestStatus
from phone_numbers.models import NumberPurchase, NumberRequest
from phone_numbers.notices import tell
from trunks.models import Trunk

REQUEST_FIELDS = (
    "sub_account",
    "country",
    "series",
    "quantity",
    "prefix",
    "trunk",
    "reason",
    "dlt_entity_id",
    "dlt_header",
    "dlt_purpose",
    "status",
    "decided_by",
    "decision_comment",
)


def new_idempotency_key(number_request: NumberRequest, position: int) -> str:
    """Return a fresh idempotency key for one purchase of a request."""
    return f"np-{number_request.pk}-{position}-{secrets.token_hex(12)}"


@transaction.atomic
def number_request_create(
    *,
    actor: User,
    sub_account: SubAccount,
    country: str,
    series: str,
    quantity: int,
    reason: str,
    prefix: str = "",
    trunk: Trunk | None = None,
    dlt_entity_id: str = "",
    dlt_header: str = "",
    dlt_purpose: str = "",
) -> NumberRequest:
    """File a request for numbers for a sub-account the actor leads (or any, admins).

    The admins are told a request waits for them.
    """
    allowed = selectors.requestable_sub_accounts(user=actor)
    if not allowed.filter(pk=sub_account.pk).exists():
        raise PermissionDenied("You can request numbers only for teams you lead.")
    number_request = NumberRequest(
        provider_account_id=sub_account.provider_account_id,
        sub_account=sub_account,
        requested_by=actor,
        country=country,
        series=series,
        quantity=quantity,
        prefix=prefix,
        trunk=trunk,
        reason=reason,
        dlt_entity_id=dlt_entity_id,
        dlt_header=dlt_header,
        dlt_purpose=dlt_purpose,
    )
    number_request.full_clean()
    number_request.save()
    audit_record(
        actor=actor,
        action="number_request.create",
        obj=number_request,
        sub_account=sub_account,
        after=snapshot(number_request, REQUEST_FIELDS),
    )
    admins = User.objects.filter(role="admin", is_active=True).exclude(pk=actor.pk)
    tell(
        users=admins,
        title=f"Number request from {actor}",
        body=f"{actor} asks for {number_request} — {reason}",
        url=number_request.get_absolute_url(),
    )
    return number_request


def _lock_for_decision(number_request: NumberRequest, actor: User) -> NumberRequest:
    require_admin(actor)
    locked = NumberRequest.objects.select_for_update().get(pk=number_request.pk)
    if locked.requested_by_id == actor.pk:
        # Four eyes: the database refuses it too (numberrequest_four_eyes).
        raise PermissionDenied("Another admin must decide a request you filed.")
    if locked.status != RequestStatus.PENDING:
        raise ValidationError(
            f"This request was already decided (it is {locked.get_status_display()})."
        )
    return locked


@transaction.atomic
def number_request_approve(
    *,
    actor: User,
    number_request: NumberRequest,
    numbers: list[str] | None = None,
    comment: str = "",
) -> NumberRequest:
    """Approve a request and queue the purchase of its numbers.

    `numbers` are the ones the admin chose (at most `quantity`); the worker picks
    the rest from the inventory. Every purchase row gets its idempotency key now,
    before anything is sent to Vobiz.
    """
    locked = _lock_for_decision(number_request, actor)
    numbers = list(numbers or [])
    if len(numbers) > locked.quantity:
        raise ValidationError({"numbers": f"Choose at most {locked.quantity}."})
    taken = selectors.numbers_being_bought(numbers=numbers)
    if taken:
        raise ValidationError(
            {"numbers": f"Already being bought: {', '.join(sorted(taken))}."}
        )
    before = snapshot(locked, REQUEST_FIELDS)
    chosen = itertools.chain(numbers, itertools.repeat(""))
    try:
        with transaction.atomic():
            NumberPurchase.objects.bulk_create(
                [
                    NumberPurchase(
                        request=locked,
                        position=position,
                        e164=e164,
                        chosen_by_admin=bool(e164),
                        idempotency_key=new_idempotency_key(locked, position),
                    )
                    for position, e164 in zip(
                        range(1, locked.quantity + 1), chosen, strict=False
                    )
                ]
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"numbers": "One of these numbers was just taken by another request."}
        ) from exc
    locked.status = RequestStatus.APPROVED
    locked.decided_by, locked.decided_at = actor, timezone.now()
    locked.decision_comment = comment
    locked.save()
    audit_record(
        actor=actor,
        action="number_request.approve",
        obj=locked,
        sub_account=locked.sub_account,
        before=before,
        after={**snapshot(locked, REQUEST_FIELDS), "numbers": numbers},
    )
    transaction.on_commit(lambda: enqueue_fulfilment(locked.pk))
    return locked


def enqueue_fulfilment(request_id: int) -> None:
    """Queue the purchase task of an approved request (after the commit)."""
    from phone_numbers.tasks import number_request_fulfil

    number_request_fulfil.delay(request_id)


@transaction.atomic
def number_request_reject(
    *, actor: User, number_request: NumberRequest, comment: str
) -> NumberRequest:
    """Reject a request with a comment the requester is told about."""
    if not comment.strip():
        raise ValidationError({"comment": "Say why the request is rejected."})
    locked = _lock_for_decision(number_request, actor)
    before = snapshot(locked, REQUEST_FIELDS)
    now = timezone.now()
    locked.status = RequestStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.finished_at = actor, now, now
    locked.decision_comment = comment
    locked.save()
    audit_record(
        actor=actor,
        action="number_request.reject",
        obj=locked,
        sub_account=locked.sub_account,
        before=before,
        after=snapshot(locked, REQUEST_FIELDS),
    )
    tell(
        users=[locked.requested_by],
        title="Number request rejected",
        body=f"Your request for {locked} was rejected by {actor}: {comment}",
        url=locked.get_absolute_url(),
    )
    return locked
