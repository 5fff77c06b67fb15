"""Staged, resumable rotation of a trunk's SIP password.

A `RotationJob` moves through

    created → credential_created → attached → old_removed → done

and each arrow is one Vobiz call followed by one transaction that records it:

1. created: the job exists with the new username and the new password, already
   encrypted in the database, before Vobiz hears of it.
2. → credential_created: `create_credential` at Vobiz; the new credential row is
   stored with the password. On a retry the portal first looks for the username
   at Vobiz (the earlier answer may have been lost) and adopts it.
3. → attached: `update_trunk(credential_uuid=…)`. Until this succeeds the old
   credential stays attached, so the trunk always has a working password.
4. → old_removed: `delete_credential` of the old one (a 404 means already gone).
5. → done: open requests are closed and the rotation is audited.

A Vobiz failure stops the job where it is, with the error on the job; Resume
(`rotation_resume`) continues from the last completed step. A short claim on
the row (`core.leases`) keeps two clicks from running the same step twice.
The policy saying when a password is due is `core.rotation`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User, require_admin
from core.errors import ProviderError
from core.leases import row_claim, row_release
from sync.errors import describe, vobiz_errors
from trunks import selectors
from trunks.choices import RequestStatus, RotationReason, RotationState
from trunks.models import RotationJob, RotationRequest, Trunk, TrunkCredential
from trunks.services.common import owned_like, put_trunk, team_client
from trunks.services.credentials import (
    credential_delete_remote,
    credential_find,
    credential_store,
)
from trunks.sync import trunk_fields
from trunks.validators import generate_sip_password, rotation_username, suggest_username
from vobiz.client import VobizClient
from vobiz.errors import Conflict, VobizError

logger = logging.getLogger("trunks.rotation")

LOCK_SECONDS = 90
AUDIT_ACTIONS = {
    RotationReason.SCHEDULED: "credential.rotate",
    RotationReason.REQUESTED: "credential.rotate",
    RotationReason.COMPROMISED: "credential.rotate_compromised",
    RotationReason.ADDED: "credential.add",
}


class RotationBusy(Exception):
    """Another request is running a step of this rotation right now."""


def normal_rotation_allowed(trunk: Trunk) -> bool:
    """Say whether a routine rotation is open: due soon, overdue, or requested.

    Earlier than that, only "Rotate now" for a suspected compromise is offered.
    """
    age = selectors.trunk_credential_age(trunk)
    if age is None:
        return False
    return age.status != "ok" or selectors.open_request(trunk=trunk) is not None


def rotation_start(
    *, actor: User, trunk: Trunk, reason: str, note: str = ""
) -> RotationJob:
    """Start a rotation (or add password auth) and run it as far as it goes.

    Reasons: scheduled/requested (only once due or requested), compromised
    (any time; audited as "credential.rotate_compromised"), added (a trunk
    without password auth gets one). Return the job; its `last_error` says why
    it stopped early.
    """
    require_admin(actor)
    _check_start(trunk, reason)
    taken = selectors.credential_usernames(trunk=trunk)
    old = trunk.credential
    username = (
        rotation_username(old.username, taken)
        if old
        else suggest_username(trunk.name, taken)
    )
    try:
        with transaction.atomic():
            job = RotationJob.objects.create(
                trunk=trunk,
                reason=reason,
                note=note[:300],
                old_credential=old,
                new_username=username,
                new_password=generate_sip_password(),
                started_by=actor,
            )
            audit_record(
                actor=actor,
                action=AUDIT_ACTIONS[RotationReason(reason)],
                obj=trunk,
                sub_account=trunk.sub_account,
                before={"username": old.username if old else ""},
                after={"username": username, "reason": reason, "note": note[:300]},
            )
    except IntegrityError:
        raise ValidationError(
            "A rotation of this trunk is already under way; finish or cancel it."
        ) from None
    return rotation_run(job=job)


def _check_start(trunk: Trunk, reason: str) -> None:
    if trunk.removed_at:
        raise ValidationError("This trunk was deleted.")
    if reason not in RotationReason.values:
        raise ValidationError("Unknown reason.")
    if reason == RotationReason.ADDED:
        if trunk.credential_id:
            raise ValidationError("This trunk already has password authentication.")
        return
    if trunk.credential is None:
        raise ValidationError("This trunk has no password to rotate.")
    if reason != RotationReason.COMPROMISED and not normal_rotation_allowed(trunk):
        age = selectors.credential_age(trunk.credential)
        raise ValidationError(
            f"The password is not due until {age.due_on:%Y-%m-%d}. Use “Rotate "
            "now” if you suspect it is compromised."
        )


def rotation_resume(*, actor: User, job: RotationJob) -> RotationJob:
    """Continue a stopped rotation from its last completed step (admins)."""
    require_admin(actor)
    if not job.is_open:
        raise ValidationError("This rotation has already finished.")
    return rotation_run(job=job)


def _the(job: RotationJob) -> QuerySet[RotationJob]:
    return RotationJob.objects.filter(pk=job.pk)


def _claim(job: RotationJob) -> None:
    if row_claim(_the(job), seconds=LOCK_SECONDS) != 1:
        raise RotationBusy("A step of this rotation is running; look again shortly.")


def rotation_run(*, job: RotationJob) -> RotationJob:
    """Run the job's remaining steps until it is done or a step fails.

    Raises RotationBusy when another request holds the job.
    """
    _claim(job)
    try:
        job = RotationJob.objects.select_related("trunk").get(pk=job.pk)
        client: VobizClient | None = None
        while job.is_open:
            try:
                if job.state == RotationState.OLD_REMOVED:
                    _step_finish(job)
                else:
                    trunk = job.trunk
                    client = client or team_client(
                        trunk.provider_account, trunk.sub_account
                    )
                    STEPS[RotationState(job.state)](job, client)
            except VobizError as exc:
                _record_failure(job, describe(exc), type(exc).__name__)
                break
            except ProviderError as exc:
                _record_failure(job, exc.message, exc.kind)
                break
            job = RotationJob.objects.select_related("trunk").get(pk=job.pk)
    finally:
        row_release(_the(job))
    return RotationJob.objects.select_related("trunk").get(pk=job.pk)


def _record_failure(job: RotationJob, message: str, error: str) -> None:
    logger.warning(
        "rotation step failed",
        extra={"job": job.pk, "state": job.state, "error": error},
    )
    _the(job).update(last_error=message[:500], last_error_at=timezone.now())


def _count_attempt(job: RotationJob) -> int:
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        locked.attempts += 1
        locked.save(update_fields=["attempts", "updated_at"])
    return locked.attempts


def _step_create(job: RotationJob, client: VobizClient) -> None:
    attempt = _count_attempt(job)
    # An earlier attempt may have reached Vobiz and lost only its answer.
    remote = credential_find(client, job.new_username) if attempt > 1 else None
    if remote is None:
        try:
            remote = client.typed.create_credential(
                job.new_username, job.new_password.reveal()
            )
        except Conflict:
            remote = credential_find(client, job.new_username)
            if remote is None:
                raise
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != RotationState.CREATED:
            return
        credential = credential_store(
            remote,
            owner=owned_like(job.trunk, timezone.now()),
            password=locked.new_password,
        )
        locked.new_credential = credential
        locked.new_credential_remote_id = credential.remote_id
        locked.state = RotationState.CREDENTIAL_CREATED
        locked.last_error = ""
        locked.save()


def _step_attach(job: RotationJob, client: VobizClient) -> None:
    _count_attempt(job)
    trunk = Trunk.objects.get(pk=job.trunk_id)
    remote = put_trunk(client, trunk, credential_uuid=job.new_credential_remote_id)
    now = timezone.now()
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != RotationState.CREDENTIAL_CREATED:
            return
        trunk = Trunk.objects.select_for_update().get(pk=job.trunk_id)
        for key, value in trunk_fields(remote).items():
            setattr(trunk, key, value)
        trunk.credential_id = locked.new_credential_id
        trunk.credential_remote_id = locked.new_credential_remote_id
        trunk.synced_at = now
        trunk.save()
        TrunkCredential.objects.filter(pk=locked.new_credential_id or 0).update(
            rotated_at=now
        )
        locked.state = RotationState.ATTACHED
        locked.last_error = ""
        locked.save()


def _step_remove_old(job: RotationJob, client: VobizClient) -> None:
    old = job.old_credential
    # Another trunk may still use the old credential; then only detach it.
    shared = bool(old and old.trunks.present().exclude(pk=job.trunk_id).exists())
    if old is not None and not shared and not old.removed_at:
        _count_attempt(job)
        credential_delete_remote(client, old.remote_id)
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != RotationState.ATTACHED:
            return
        if old is not None and not shared:
            TrunkCredential.objects.filter(pk=old.pk).update(removed_at=timezone.now())
        locked.state = RotationState.OLD_REMOVED
        locked.last_error = ""
        locked.save()


def _step_finish(job: RotationJob) -> None:
    now = timezone.now()
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != RotationState.OLD_REMOVED:
            return
        locked.state = RotationState.DONE
        locked.finished_at = now
        locked.last_error = ""
        locked.save()
        RotationRequest.objects.filter(
            trunk_id=locked.trunk_id, status=RequestStatus.OPEN
        ).update(status=RequestStatus.DONE, resolved_at=now, job=locked)
        audit_record(
            actor=locked.started_by,
            action="credential.rotation_done",
            obj=locked.trunk,
            sub_account=locked.trunk.sub_account,
            after={"username": locked.new_username, "reason": locked.reason},
        )


Step = Callable[[RotationJob, VobizClient], None]
# The steps that talk to Vobiz, by the state they start from; old_removed → done
# is the database's alone (`_step_finish`).
STEPS: dict[RotationState, Step] = {
    RotationState.CREATED: _step_create,
    RotationState.CREDENTIAL_CREATED: _step_attach,
    RotationState.ATTACHED: _step_remove_old,
}


def rotation_cancel(*, actor: User, job: RotationJob) -> RotationJob:
    """Abandon a rotation whose new credential is not attached yet.

    A new credential already created at Vobiz is deleted there first; the old
    one never left the trunk. A Vobiz failure leaves as a ProviderError.
    """
    require_admin(actor)
    if job.state not in (RotationState.CREATED, RotationState.CREDENTIAL_CREATED):
        raise ValidationError(
            "The new password is already in use on the trunk; resume to finish."
        )
    _claim(job)
    try:
        client = team_client(job.trunk.provider_account, job.trunk.sub_account)
        with vobiz_errors():
            remote_id = job.new_credential_remote_id
            if not remote_id and job.attempts:
                found = credential_find(client, job.new_username)
                remote_id = found.id if found else ""
            if remote_id:
                credential_delete_remote(client, remote_id)
        _save_cancelled(actor, job)
    finally:
        row_release(_the(job))
    return RotationJob.objects.get(pk=job.pk)


@transaction.atomic
def _save_cancelled(actor: User, job: RotationJob) -> None:
    now = timezone.now()
    locked = RotationJob.objects.select_for_update().get(pk=job.pk)
    locked.state = RotationState.CANCELLED
    locked.finished_at = now
    locked.save()
    if locked.new_credential_id:
        TrunkCredential.objects.filter(pk=locked.new_credential_id).update(
            removed_at=now
        )
    audit_record(
        actor=actor,
        action="credential.rotation_cancelled",
        obj=locked.trunk,
        sub_account=locked.trunk.sub_account,
        after={"username": locked.new_username},
    )
