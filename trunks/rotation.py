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
the row keeps two clicks from running the same step twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import User, require_admin
from trunks import selectors
from trunks.choices import RequestStatus, RotationReason, RotationState
from trunks.models import RotationJob, RotationRequest, Trunk, TrunkCredential
from trunks.policy import credential_age
from trunks.remote import team_client
from trunks.services import put_trunk
from trunks.sync import credential_fields, trunk_fields
from trunks.validators import generate_sip_password, rotation_username, suggest_username
from trunks.vobiz_errors import describe
from vobiz.client import VobizClient
from vobiz.errors import Conflict, NotFound, VobizError

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
    return age.state != "ok" or selectors.open_request(trunk=trunk) is not None


def _taken_usernames(trunk: Trunk) -> list[str]:
    return list(
        TrunkCredential.objects.present()
        .filter(
            provider_account_id=trunk.provider_account_id,
            account_auth_id=trunk.account_auth_id,
        )
        .values_list("username", flat=True)
    )


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
    taken = _taken_usernames(trunk)
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
        age = credential_age(trunk.credential)
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


def _claim(job: RotationJob) -> bool:
    now = timezone.now()
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    claimed = (
        RotationJob.objects.filter(pk=job.pk)
        .filter(free)
        .update(locked_until=now + dt.timedelta(seconds=LOCK_SECONDS))
    )
    return claimed == 1


def _release(job: RotationJob) -> None:
    RotationJob.objects.filter(pk=job.pk).update(locked_until=None)


def rotation_run(*, job: RotationJob) -> RotationJob:
    """Run the job's remaining steps until it is done or a step fails.

    Raises RotationBusy when another request holds the job.
    """
    if not _claim(job):
        raise RotationBusy("A step of this rotation is running; look again shortly.")
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
                _record_failure(job, exc)
                break
            job = RotationJob.objects.select_related("trunk").get(pk=job.pk)
    finally:
        _release(job)
    return RotationJob.objects.select_related("trunk").get(pk=job.pk)


def _record_failure(job: RotationJob, exc: VobizError) -> None:
    logger.warning(
        "rotation step failed",
        extra={"job": job.pk, "state": job.state, "error": type(exc).__name__},
    )
    RotationJob.objects.filter(pk=job.pk).update(
        last_error=describe(exc)[:500], last_error_at=timezone.now()
    )


def _count_attempt(job: RotationJob) -> int:
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        locked.attempts += 1
        locked.save(update_fields=["attempts", "updated_at"])
    return locked.attempts


def _find_credential(client: VobizClient, username: str) -> dict[str, object] | None:
    wanted = username.lower()
    for remote in client.list_credentials():
        if str(remote.get("username") or "").lower() == wanted:
            return remote
    return None


def _step_create(job: RotationJob, client: VobizClient) -> None:
    attempt = _count_attempt(job)
    # An earlier attempt may have reached Vobiz and lost only its answer.
    remote = _find_credential(client, job.new_username) if attempt > 1 else None
    if remote is None:
        try:
            remote = client.create_credential(
                job.new_username, job.new_password.reveal()
            )
        except Conflict:
            remote = _find_credential(client, job.new_username)
            if remote is None:
                raise
    trunk = job.trunk
    with transaction.atomic():
        locked = RotationJob.objects.select_for_update().get(pk=job.pk)
        if locked.state != RotationState.CREATED:
            return
        credential, _ = TrunkCredential.objects.update_or_create(
            remote_id=str(remote["id"]),
            defaults={
                **credential_fields(remote),
                "provider_account_id": trunk.provider_account_id,
                "sub_account_id": trunk.sub_account_id,
                "account_auth_id": trunk.account_auth_id,
                "password": locked.new_password,
                "synced_at": timezone.now(),
                "removed_at": None,
            },
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
        with contextlib.suppress(NotFound):
            client.delete_credential(old.remote_id)
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
    one never left the trunk.
    """
    require_admin(actor)
    if job.state not in (RotationState.CREATED, RotationState.CREDENTIAL_CREATED):
        raise ValidationError(
            "The new password is already in use on the trunk; resume to finish."
        )
    if not _claim(job):
        raise RotationBusy("A step of this rotation is running; look again shortly.")
    try:
        client = team_client(job.trunk.provider_account, job.trunk.sub_account)
        remote_id = job.new_credential_remote_id
        if not remote_id and job.attempts:
            found = _find_credential(client, job.new_username)
            remote_id = str(found["id"]) if found else ""
        if remote_id:
            with contextlib.suppress(NotFound):
                client.delete_credential(remote_id)
        _save_cancelled(actor, job)
    finally:
        _release(job)
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


def rotation_request_create(
    *, actor: User, trunk: Trunk, reason: str = ""
) -> RotationRequest:
    """Record a team lead's request for a rotation and tell the admins."""
    if not selectors.user_leads_trunk(user=actor, trunk=trunk):
        raise PermissionDenied
    if trunk.removed_at or trunk.credential_id is None:
        raise ValidationError("This trunk has no password to rotate.")
    try:
        with transaction.atomic():
            request = RotationRequest.objects.create(
                trunk=trunk, requested_by=actor, reason=reason[:300]
            )
            audit_record(
                actor=actor,
                action="credential.rotation_requested",
                obj=trunk,
                sub_account=trunk.sub_account,
                after={"reason": reason[:300]},
            )
            _tell_admins(request)
    except IntegrityError:
        raise ValidationError(
            "A rotation of this trunk has already been requested."
        ) from None
    return request


def _tell_admins(request: RotationRequest) -> None:
    from core.notify import notify

    trunk = request.trunk
    who = request.requested_by
    notify(
        users=selectors.admins(),
        title=f"Password rotation requested for {trunk.name}",
        body=(
            f"{who or 'A team lead'} asked for the SIP password of {trunk.name} "
            f"({trunk.sub_account or 'master account'}) to be rotated."
            + (f" Reason: {request.reason}" if request.reason else "")
        ),
        url=trunk.get_absolute_url(),
    )
