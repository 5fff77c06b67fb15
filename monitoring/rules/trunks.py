"""Trunk rules: a trunk down (inactive, or silent where it had traffic) and
SIP passwords due for rotation."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce

from accounts.models import AuditEvent
from billing.models import Cdr
from core.rotation import POLICIES
from monitoring.choices import RuleKind, Severity
from monitoring.models import AlertRule
from monitoring.rules.base import Finding, evaluator, scoped, threshold_or
from sync.models import SyncState
from trunks.choices import TrunkStatus
from trunks.models import Trunk, TrunkCredential


def _went_inactive_at(trunk_ids: list[int]) -> dict[str, dt.datetime]:
    """Return when the sync last saw each trunk go inactive (audit events)."""
    rows = (
        AuditEvent.objects.filter(
            action="trunk.went_inactive",
            object_type="trunks.trunk",
            object_id__in=[str(pk) for pk in trunk_ids],
        )
        .values("object_id")
        .annotate(at=Max("created_at"))
    )
    return {row["object_id"]: row["at"] for row in rows}


def _inactive(rule: AlertRule) -> list[Finding]:
    trunks = list(
        Trunk.objects.present().filter(
            **scoped(rule), status=TrunkStatus.INACTIVE, enabled=True
        )
    )
    since = _went_inactive_at([t.pk for t in trunks])
    findings = []
    for trunk in trunks:
        at = since.get(str(trunk.pk))
        when = f" since {at:%Y-%m-%d %H:%M} UTC" if at else ""
        findings.append(
            Finding(
                key=f"trunk:{trunk.pk}",
                subject=trunk.name,
                message=f"Trunk {trunk.name} is inactive at Vobiz{when}.",
                severity=Severity.CRITICAL,
                provider_account_id=trunk.provider_account_id,
                sub_account_id=trunk.sub_account_id,
                details={"reason": "inactive", "trunk_id": trunk.remote_id},
            )
        )
    return findings


def _cdrs_synced_until(now: dt.datetime) -> dt.datetime:
    """Return how far call records are known: now, or the last CDR sync if older.

    CDRs arrive by a periodic sync, so a window past the last sync would look
    silent for every trunk.
    """
    last = SyncState.objects.filter(kind="cdrs").aggregate(at=Max("last_success_at"))
    return min(now, last["at"]) if last["at"] else now


def _silent(rule: AlertRule, now: dt.datetime, skip: set[str]) -> list[Finding]:
    end = _cdrs_synced_until(now)
    window = dt.timedelta(minutes=rule.window_minutes)
    middle, start = end - window, end - 2 * window
    rows = (
        Cdr.objects.filter(**scoped(rule, start_time__gte=start, start_time__lt=end))
        .exclude(trunk_remote_id="")
        .values("trunk_remote_id")
        .annotate(
            before=Count("id", filter=Q(start_time__lt=middle)),
            now=Count("id", filter=Q(start_time__gte=middle)),
        )
    )
    minimum = max(rule.min_count, 1)
    quiet = {r["trunk_remote_id"]: r["before"] for r in rows if r["now"] == 0}
    quiet = {k: v for k, v in quiet.items() if v >= minimum and k not in skip}
    trunks = Trunk.objects.present().filter(remote_id__in=quiet, enabled=True)
    return [
        Finding(
            key=f"trunk:{trunk.pk}",
            subject=trunk.name,
            message=(
                f"Trunk {trunk.name} carried {quiet[trunk.remote_id]} calls in the "
                f"previous {rule.window_minutes} min and none since."
            ),
            value=0,
            provider_account_id=trunk.provider_account_id,
            sub_account_id=trunk.sub_account_id,
            details={"reason": "silent", "previous_calls": quiet[trunk.remote_id]},
        )
        for trunk in trunks
    ]


@evaluator(RuleKind.TRUNK_DOWN)
def trunk_down(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire for trunks Vobiz reports inactive, and for trunks gone silent."""
    inactive = _inactive(rule)
    already = {f.details["trunk_id"] for f in inactive}
    return inactive + _silent(rule, now, already)


@evaluator(RuleKind.CREDENTIAL_ROTATION)
def credential_rotation(rule: AlertRule, now: dt.datetime) -> list[Finding]:
    """Fire for SIP passwords within `threshold` days of their rotation date."""
    # The one rotation policy table says how long a SIP password lives.
    period = POLICIES["trunk_password"].days()
    warn = int(threshold_or(rule, "14"))
    cutoff = now - dt.timedelta(days=max(period - warn, 0))
    credentials = (
        TrunkCredential.objects.present()
        .filter(**scoped(rule), enabled=True)
        .annotate(since=Coalesce("rotated_at", "remote_created_at", "created_at"))
        .filter(since__lte=cutoff)
    )
    findings = []
    for credential in credentials:
        due = credential.since + dt.timedelta(days=period)
        overdue = due <= now
        state = "overdue since" if overdue else "due on"
        findings.append(
            Finding(
                key=f"credential:{credential.pk}",
                subject=credential.username,
                message=(
                    f"SIP password of {credential.username} is {state} "
                    f"{due:%Y-%m-%d} ({period}-day rotation)."
                ),
                value=round((due - now).total_seconds() / 86400, 1),
                severity=Severity.CRITICAL if overdue else Severity.WARNING,
                provider_account_id=credential.provider_account_id,
                sub_account_id=credential.sub_account_id,
                details={"due": due.isoformat(), "overdue": overdue},
            )
        )
    return findings
