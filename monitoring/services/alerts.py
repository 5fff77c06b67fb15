"""Alert evaluation: turn the rules' findings into alert episodes.

A finding fires one alert per dedup key until it clears; the alert then
resolves, and the same key waits out the rule's cool-down before it fires again.
Each fired or resolved alert is delivered to the channels and (when fired) put
in the notifications of the people who should see it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring import rules
from monitoring.choices import AlertState, DeliveryEvent
from monitoring.models import Alert, AlertRule
from monitoring.services.deliveries import deliveries_create
from monitoring.services.notifications import notifications_create

logger = logging.getLogger("monitoring.alerts")

EVALUATE_LEASE_KEY = "monitoring:alerts-evaluate"
EVALUATE_LEASE_SECONDS = 55


def alerts_evaluate(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Evaluate every rule once: fire new episodes, resolve cleared ones.

    A finding fires at most one alert per dedup key until it resolves, and a
    key that resolved less than the rule's cool-down ago does not fire again
    yet. A rule whose evaluator raises is skipped, its alerts left as they are:
    an error is not the condition clearing. Two evaluations never overlap (a
    lease in the shared cache), and the database allows one firing alert per key.
    """
    now = now or timezone.now()
    summary = {"fired": 0, "resolved": 0, "ongoing": 0, "suppressed": 0, "errors": 0}
    if not cache.add(EVALUATE_LEASE_KEY, 1, EVALUATE_LEASE_SECONDS):
        summary["skipped"] = 1
        return summary
    try:
        for rule in AlertRule.objects.select_related("sub_account"):
            try:
                findings = rules.evaluate(rule, now) if rule.enabled else []
            except Exception:
                logger.exception("alert rule %s failed", rule.pk)
                summary["errors"] += 1
                continue
            _apply(rule, findings, now, summary)
    finally:
        cache.delete(EVALUATE_LEASE_KEY)
    return summary


def dedup_key(rule: AlertRule, finding: rules.Finding) -> str:
    """Return the key that names one subject of one rule."""
    return f"{rule.pk}:{finding.key}"[:200]


@transaction.atomic
def _apply(
    rule: AlertRule,
    findings: list[rules.Finding],
    now: dt.datetime,
    summary: dict[str, int],
) -> None:
    firing = {
        a.dedup_key: a
        for a in Alert.objects.select_for_update().filter(
            rule=rule, state=AlertState.FIRING
        )
    }
    wanted = {dedup_key(rule, f): f for f in findings}
    for key, alert in firing.items():
        if key not in wanted:
            _resolve(alert, now)
            summary["resolved"] += 1
    for key, finding in wanted.items():
        if key in firing:
            _refresh(firing[key], finding, now)
            summary["ongoing"] += 1
        elif _cooling_down(rule, key, now):
            summary["suppressed"] += 1
        elif _fire(rule, key, finding, now):
            summary["fired"] += 1


def _cooling_down(rule: AlertRule, key: str, now: dt.datetime) -> bool:
    since = now - dt.timedelta(minutes=rule.cooldown_minutes)
    return Alert.objects.filter(
        dedup_key=key, state=AlertState.RESOLVED, resolved_at__gt=since
    ).exists()


def _fire(rule: AlertRule, key: str, finding: rules.Finding, now: dt.datetime) -> bool:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                kind=rule.kind,
                dedup_key=key,
                severity=finding.severity,
                subject=finding.subject[:200],
                message=finding.message[:500],
                provider_account_id=finding.provider_account_id,
                sub_account_id=finding.sub_account_id,
                value=finding.value,
                details=finding.details,
                fired_at=now,
                last_seen_at=now,
            )
    except IntegrityError:
        # Another evaluator fired the same key a moment ago.
        return False
    notifications_create(alert=alert, now=now)
    deliveries_create(alert=alert, event=DeliveryEvent.FIRED, now=now)
    logger.info("alert fired", extra={"alert_id": alert.pk, "key": key})
    return True


def _refresh(alert: Alert, finding: rules.Finding, now: dt.datetime) -> None:
    alert.last_seen_at = now
    alert.value = finding.value
    alert.message = finding.message[:500]
    alert.severity = finding.severity
    alert.details = finding.details
    alert.save(
        update_fields=["last_seen_at", "value", "message", "severity", "details"]
    )


def _resolve(alert: Alert, now: dt.datetime) -> None:
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.save(update_fields=["state", "resolved_at"])
    deliveries_create(alert=alert, event=DeliveryEvent.RESOLVED, now=now)
    logger.info("alert resolved", extra={"alert_id": alert.pk})
