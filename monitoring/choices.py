"""Choices for the monitoring app: API outcomes, alert rules, channels, deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Outcome(models.TextChoices):
    """How one API attempt ended, as the Vobiz client reports it."""

    OK = "ok", "OK"
    RETRY = "retry", "Retried"
    ERROR = "error", "Error"
    RATE_LIMITED = "rate_limited", "Rate limited"
    CIRCUIT_OPEN = "circuit_open", "Circuit open"
    TOKEN_REFRESH = "token_refresh", "Token refresh"


# A token refresh is the client renewing its JWT, not a request that failed or
# succeeded for the caller, so it counts on neither side of the error rate.
FAILURE_OUTCOMES = (
    Outcome.RETRY,
    Outcome.ERROR,
    Outcome.RATE_LIMITED,
    Outcome.CIRCUIT_OPEN,
)


class RuleKind(models.TextChoices):
    BALANCE_LOW = "balance_low", "Balance below threshold"
    ERROR_RATE = "error_rate", "API error rate"
    TRUNK_DOWN = "trunk_down", "Trunk down"
    RATE_LIMIT = "rate_limit", "Rate limit approaching"
    CREDENTIAL_ROTATION = "credential_rotation", "Credential rotation due"
    BUDGET = "budget", "Budget threshold crossed"
    ASR_DROP = "asr_drop", "ASR drop"
    TOLL_FRAUD = "toll_fraud", "Toll-fraud pattern"
    SYNTHETIC_CALL = "synthetic_call", "Synthetic test call failed"


# Kinds finance is told about (in the portal); admins hear of every kind and
# leads of anything about their own team.
FINANCE_KINDS = frozenset({RuleKind.BALANCE_LOW, RuleKind.BUDGET})


@dataclass(frozen=True)
class RuleHelp:
    """What the numeric fields of one rule kind mean (shown on the rule form)."""

    threshold: str
    min_count: str = ""
    window: str = ""


RULE_HELP: dict[str, RuleHelp] = {
    RuleKind.BALANCE_LOW: RuleHelp(
        threshold="Fire when the available balance is below this amount. "
        "Empty: use the low-balance threshold Vobiz reports."
    ),
    RuleKind.ERROR_RATE: RuleHelp(
        threshold="Fire when more than this percentage of API requests fail.",
        min_count="Only judge windows with at least this many requests.",
        window="Minutes of API requests to look at.",
    ),
    RuleKind.TRUNK_DOWN: RuleHelp(
        threshold="Not used: an inactive trunk, or a trunk gone silent, fires.",
        min_count="A trunk with at least this many calls in the previous window "
        "and none in this one counts as gone silent.",
        window="Minutes per traffic window.",
    ),
    RuleKind.RATE_LIMIT: RuleHelp(
        threshold="Fire at this percentage of a sub-account's API requests per "
        "minute, or of a trunk's CPS or concurrent-call limit.",
        window="Minutes of API requests and calls to look at.",
    ),
    RuleKind.CREDENTIAL_ROTATION: RuleHelp(
        threshold="Fire this many days before a trunk password is due for "
        "rotation (the rotation period is TRUNK_PASSWORD_ROTATION_DAYS).",
    ),
    RuleKind.BUDGET: RuleHelp(
        threshold="Not used: fires once each at 50%, 80% and 100% of the month's "
        "budget.",
    ),
    RuleKind.ASR_DROP: RuleHelp(
        threshold="Fire when the last 24 hours' answer-seizure ratio is below "
        "this fraction of the 14-day baseline (0.7 = 70%).",
        min_count="Only judge sub-accounts with at least this many calls in the "
        "last 24 hours.",
    ),
    RuleKind.TOLL_FRAUD: RuleHelp(
        threshold="Fire when calls to international (non +91) or premium "
        "destinations exceed this multiple of the team's 7-day baseline.",
        min_count="And there are at least this many such calls in the window.",
        window="Minutes of outbound calls to look at.",
    ),
    RuleKind.SYNTHETIC_CALL: RuleHelp(
        threshold="Not used: fires when the latest synthetic test call failed.",
        window="Only look at checks from the last this many minutes.",
    ),
}


class Severity(models.TextChoices):
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertState(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class DeliveryEvent(models.TextChoices):
    FIRED = "fired", "Fired"
    RESOLVED = "resolved", "Resolved"
    TEST = "test", "Test"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RETRYING = "retrying", "Retrying"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
