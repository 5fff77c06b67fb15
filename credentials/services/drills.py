"""The compromise drill: rotate every secret of one sub-account in one action.

Steps, in this order, each persisted before it runs:

1. the sub-account's auth token (the key to everything else it has);
2. each SIP trunk password, through the trunk app's staged rotation (reason
   "compromised"), which uses the new token just stored;
3. if the admin chose it, disabling the sub-account at Vobiz. Last, because a
   disabled account can no longer change its own trunks.

A failed step stops the drill; "Resume" continues at the first unfinished step.
A finished step is never run again. Every step writes one audit event. A short
claim on the row (`core.leases`) keeps two windows from running it at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import SubAccount, User, require_admin
from accounts.services import subaccount_set_enabled
from core.errors import ProviderError
from core.leases import row_claim, row_release
from credentials.choices import DrillState, RotationState, SecretKind, StepKind
from credentials.choices import StepState as S
from credentials.models import Drill, DrillStep, RotationRecord
from credentials.selectors import drill_trunks
from credentials.services.common import RotationFailed, SecretNotSaved
from credentials.services.tokens import subaccount_token_rotate
from trunks import services as trunk_services
from trunks.choices import RotationReason
from trunks.models import RotationJob

logger = logging.getLogger("credentials.services.drills")

LOCK_SECONDS = 300


class DrillBusy(Exception):
    """Another request is running this drill right now."""


@dataclass
class DrillRun:
    """What one run of a drill did; `token` is the new auth token, shown once."""

    drill: Drill
    token: str = ""


def drill_start(
    *, actor: User, sub_account: SubAccount, confirm_name: str, disable: bool
) -> DrillRun:
    """Create a drill with its steps and run it as far as it goes.

    `confirm_name` must repeat the sub-account's name. One unfinished drill per
    sub-account: a second start is refused with a pointer to Resume.
    """
    require_admin(actor)
    if confirm_name.strip() != sub_account.name:
        raise ValidationError(
            {"confirm_name": f"Type the name exactly as shown: {sub_account.name}"}
        )
    with transaction.atomic():
        locked = SubAccount.objects.select_for_update().get(pk=sub_account.pk)
        if locked.removed_at:
            raise ValidationError("This sub-account was deleted.")
        open_drill = Drill.objects.filter(sub_account=locked).exclude(
            state=DrillState.DONE
        )
        if open_drill.exists():
            raise ValidationError(
                "A drill for this sub-account is not finished yet; resume it."
            )
        drill = Drill.objects.create(
            sub_account=locked,
            sub_account_label=locked.name,
            started_by=actor,
            disable_at_vobiz=disable,
        )
        _create_steps(drill, locked, disable)
        audit_record(
            actor=actor,
            action="drill.started",
            obj=drill,
            sub_account=locked,
            after={"steps": drill.steps.count(), "disable": disable},
        )
    return drill_run(actor=actor, drill=drill)


def _create_steps(drill: Drill, sub_account: SubAccount, disable: bool) -> None:
    steps = [
        DrillStep(
            drill=drill,
            position=1,
            kind=StepKind.AUTH_TOKEN,
            label=f"Rotate the auth token of {sub_account.auth_id or sub_account}",
        )
    ]
    for trunk in drill_trunks(sub_account):
        steps.append(
            DrillStep(
                drill=drill,
                position=len(steps) + 1,
                kind=StepKind.TRUNK_PASSWORD,
                label=f"Rotate the SIP password of trunk {trunk.name}",
                trunk=trunk,
            )
        )
    if disable:
        steps.append(
            DrillStep(
                drill=drill,
                position=len(steps) + 1,
                kind=StepKind.DISABLE,
                label=f"Disable {sub_account.name} at Vobiz",
            )
        )
    DrillStep.objects.bulk_create(steps)


def drill_resume(*, actor: User, drill: Drill) -> DrillRun:
    """Continue a drill at its first unfinished step (admins)."""
    require_admin(actor)
    if drill.state == DrillState.DONE:
        raise ValidationError("This drill has finished; nothing is left to do.")
    return drill_run(actor=actor, drill=drill)


def _the(drill: Drill) -> QuerySet[Drill]:
    return Drill.objects.filter(pk=drill.pk)


def drill_run(*, actor: User, drill: Drill) -> DrillRun:
    """Run the drill's unfinished steps in order until one fails or all are done.

    Raises DrillBusy when another request holds the drill.
    """
    if row_claim(_the(drill), seconds=LOCK_SECONDS) != 1:
        raise DrillBusy("This drill is running in another window; look again shortly.")
    run = DrillRun(drill=drill)
    try:
        Drill.objects.filter(pk=drill.pk).update(state=DrillState.RUNNING)
        state = DrillState.DONE
        for step in drill.steps.select_related("trunk").order_by("position"):
            if step.is_finished:
                continue
            if not _run_step(run, step, actor):
                state = DrillState.STOPPED
                break
        _finish(drill, actor, state)
    finally:
        row_release(_the(drill))
    run.drill = Drill.objects.select_related("sub_account", "started_by").get(
        pk=drill.pk
    )
    return run


@transaction.atomic
def _finish(drill: Drill, actor: User, state: str) -> None:
    locked = Drill.objects.select_for_update().get(pk=drill.pk)
    locked.state = state
    locked.finished_at = timezone.now() if state == DrillState.DONE else None
    locked.save(update_fields=["state", "finished_at", "updated_at"])
    if state == DrillState.DONE:
        audit_record(
            actor=actor,
            action="drill.finished",
            obj=locked,
            sub_account=locked.sub_account,
        )


def _run_step(run: DrillRun, step: DrillStep, actor: User) -> bool:
    """Run one step and record it; return whether it finished."""
    DrillStep.objects.filter(pk=step.pk).update(attempts=step.attempts + 1)
    try:
        state, detail = RUNNERS[StepKind(step.kind)](run, step, actor)
    except (
        ProviderError,
        ValidationError,
        RotationFailed,
        trunk_services.RotationBusy,
    ) as exc:
        state, detail = S.FAILED, _reason(exc)
    except SecretNotSaved as exc:
        # Vobiz switched; the token could not be saved: show it so it is kept.
        run.token = exc.secret
        state, detail = S.FAILED, "Vobiz rotated the token but it could not be saved."
    _record_step(step, actor, state, detail)
    return state in (S.DONE, S.SKIPPED)


def _reason(exc: Exception) -> str:
    if isinstance(exc, RotationFailed | ProviderError):
        return exc.message
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@transaction.atomic
def _record_step(step: DrillStep, actor: User, state: str, detail: str) -> None:
    locked = DrillStep.objects.select_for_update().get(pk=step.pk)
    locked.state = state
    if state == S.FAILED:
        locked.error = detail[:500]
    else:
        locked.detail, locked.error = detail[:500], ""
    locked.finished_at = timezone.now() if state != S.FAILED else None
    locked.save()
    drill = locked.drill
    audit_record(
        actor=actor,
        action="drill.step",
        obj=drill,
        sub_account=drill.sub_account,
        after={
            "position": locked.position,
            "step": locked.label,
            "outcome": state,
            "detail": detail[:300],
        },
    )


# --- the steps ---------------------------------------------------------------


def _auth_token(run: DrillRun, step: DrillStep, actor: User) -> tuple[str, str]:
    drill = step.drill
    # A run killed after the token was stored but before the step was: done.
    if RotationRecord.objects.filter(
        drill=drill, kind=SecretKind.SUBACCOUNT_TOKEN, state=RotationState.DONE
    ).exists():
        return S.DONE, "New auth token stored (in an earlier run)."
    team = SubAccount.objects.get(pk=drill.sub_account_id)
    if not team.auth_token:
        return S.SKIPPED, (
            "The portal holds no auth token for this sub-account: rotate it in the "
            "Vobiz console."
        )
    result = subaccount_token_rotate(actor=actor, sub_account=team, drill=drill)
    run.token = result.secret
    return S.DONE, "Old token void at Vobiz; the new one is stored and in use."


def _trunk_password(run: DrillRun, step: DrillStep, actor: User) -> tuple[str, str]:
    trunk = step.trunk
    if trunk is None or trunk.removed_at:
        return S.SKIPPED, "The trunk no longer exists."
    job = _open_job(step)
    if job is None:
        job = trunk_services.rotation_start(
            actor=actor,
            trunk=trunk,
            reason=RotationReason.COMPROMISED,
            note=f"Compromise drill #{step.drill_id}",
        )
        DrillStep.objects.filter(pk=step.pk).update(rotation_job_id=job.pk)
    elif job.is_open:
        job = trunk_services.rotation_resume(actor=actor, job=job)
    if job.is_open:
        raise ValidationError(
            f"The staged rotation stopped at “{job.get_state_display()}”: "
            f"{job.last_error or 'not finished'}"
        )
    return S.DONE, f"New SIP password in use ({job.new_username}); old one deleted."


def _open_job(step: DrillStep) -> RotationJob | None:
    """Return this step's trunk rotation, or the trunk's open one to adopt."""
    if step.rotation_job_id:
        job = RotationJob.objects.filter(pk=step.rotation_job_id).first()
        if job is not None and job.state != "cancelled":
            return job
    if step.trunk_id is None:
        return None
    adopted = RotationJob.objects.filter(trunk_id=step.trunk_id).exclude(
        state__in=["done", "cancelled"]
    )
    job = adopted.first()
    if job is not None:
        DrillStep.objects.filter(pk=step.pk).update(rotation_job_id=job.pk)
    return job


def _disable(run: DrillRun, step: DrillStep, actor: User) -> tuple[str, str]:
    team = SubAccount.objects.get(pk=step.drill.sub_account_id)
    if not team.enabled:
        return S.DONE, "Already disabled."
    subaccount_set_enabled(actor=actor, sub_account=team, enabled=False)
    return S.DONE, "Disabled at Vobiz: its calls and API access stop."


RUNNERS = {
    StepKind.AUTH_TOKEN: _auth_token,
    StepKind.TRUNK_PASSWORD: _trunk_password,
    StepKind.DISABLE: _disable,
}
