"""Reads of compromise drills: the list, one drill, and what to do after each step."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import SubAccount, require_admin
from credentials.choices import StepKind
from credentials.choices import StepState as S
from credentials.models import Drill, DrillStep
from credentials.selectors.common import AnyUser, trunk_rotation_url, url_or_blank
from trunks.models import Trunk


def drill_list(*, user: AnyUser) -> QuerySet[Drill]:
    """Return every drill, newest first (admins)."""
    require_admin(user)
    return Drill.objects.select_related("started_by").order_by("-created_at", "-id")


def drill_candidates(*, user: AnyUser) -> QuerySet[SubAccount]:
    """Return the sub-accounts a drill can be started for (admins)."""
    require_admin(user)
    return SubAccount.objects.filter(
        removed_at__isnull=True, auth_id__isnull=False
    ).order_by("name", "pk")


def drill_get(*, user: AnyUser, sub_account_id: int, drill_id: int) -> Drill:
    """Return one drill of a sub-account the user may see, or raise 404; then 403
    unless the user is an admin."""
    team = get_object_or_404(SubAccount.objects.visible_to(user), pk=sub_account_id)
    drill = get_object_or_404(
        Drill.objects.select_related("sub_account", "started_by"),
        pk=drill_id,
        sub_account=team,
    )
    require_admin(user)
    return drill


def drill_trunks(sub_account: SubAccount) -> list[Trunk]:
    """Return the sub-account's trunks that use a password (a drill rotates them)."""
    return list(
        Trunk.objects.present()
        .filter(sub_account=sub_account, credential__isnull=False)
        .select_related("credential")
        .order_by("name", "pk")
    )


def next_action(step: DrillStep) -> tuple[str, str]:
    """Return what the admin should do about a step, and where (text, URL)."""
    if step.kind == StepKind.AUTH_TOKEN:
        if step.state == S.DONE:
            return (
                "Give the team's applications the new auth token; the old one "
                "no longer works.",
                url_or_blank("accounts:subaccount_detail", step.drill.sub_account_id),
            )
        if step.state == S.SKIPPED:
            return ("Rotate the auth token in the Vobiz console.", "")
    if step.kind == StepKind.TRUNK_PASSWORD and step.trunk_id:
        job_url = (
            url_or_blank(
                "trunks:trunk_rotation_detail", step.trunk_id, step.rotation_job_id
            )
            if step.rotation_job_id
            else ""
        )
        if step.state == S.DONE:
            return (
                "Put the new SIP password on the PBX or SIP server of this trunk.",
                job_url or trunk_rotation_url(step.trunk_id),
            )
        if step.state == S.FAILED:
            return (
                "Resume the drill, or finish the rotation on the trunk's page.",
                job_url or trunk_rotation_url(step.trunk_id),
            )
    if step.state == S.FAILED:
        return ("Resume the drill once the cause is fixed.", "")
    if step.state == S.PENDING:
        return ("Runs when the drill resumes.", "")
    return ("", "")
