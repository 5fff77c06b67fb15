"""`/metrics`: Prometheus text format from a collector that reads the database.

Figures come from the tables the portal already keeps (ApiCall, SyncState,
balance snapshots, alerts, synthetic checks, CDRs), read at scrape time. API
figures are gauges over the last hour rather than counters: the ApiCall table is
pruned, so a running total read from it would go down.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    StateSetMetricFamily,
)
from prometheus_client.registry import Collector

from billing.models import BalanceSnapshot, Cdr
from billing.selectors import consumption_rate, runway_days
from monitoring.choices import AlertState, RuleKind
from monitoring.models import Alert, SyntheticCheck
from monitoring.rules.calls import answered_q
from monitoring.selectors.api import (
    BREAKER_STATES,
    breaker_states,
    endpoint_stats,
    errors_by_code,
    sync_states,
)
from sync.models import ApiCall, ProviderAccount

WINDOW = dt.timedelta(hours=1)
BUCKETS_MS = (50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000)

Metrics = Iterator[
    GaugeMetricFamily | GaugeHistogramMetricFamily | StateSetMetricFamily
]


def _ts(value: dt.datetime | None) -> float:
    return value.timestamp() if value else 0.0


class PortalCollector(Collector):
    """Collect the portal's metrics from the database on every scrape."""

    def collect(self) -> Metrics:
        now = timezone.now()
        since = now - WINDOW
        yield from self._api(since, now)
        yield from self._latency(since, now)
        yield from self._breakers()
        yield from self._syncs(now)
        yield from self._balances()
        yield from self._alerts()
        yield from self._synthetic()
        yield from self._calls(now)

    def _api(self, since: dt.datetime, now: dt.datetime) -> Metrics:
        requests = GaugeMetricFamily(
            "vobiz_api_requests",
            "Vobiz API attempts in the last hour, by endpoint and outcome.",
            labels=["endpoint", "outcome"],
        )
        rows = (
            ApiCall.objects.filter(created_at__gte=since, created_at__lte=now)
            .values("path_template", "outcome")
            .annotate(n=Count("id"))
            .order_by("path_template", "outcome")
        )
        totals: dict[str, int] = {}
        for row in rows:
            requests.add_metric([row["path_template"], row["outcome"]], row["n"])
            totals[row["outcome"]] = totals.get(row["outcome"], 0) + row["n"]
        yield requests
        errors = GaugeMetricFamily(
            "vobiz_api_errors",
            "Failed Vobiz API attempts in the last hour, by error code.",
            labels=["code"],
        )
        for row in errors_by_code(since=since, until=now, limit=50):
            errors.add_metric([row["label"]], row["n"])
        yield errors
        yield GaugeMetricFamily(
            "vobiz_api_token_refreshes",
            "Console token refreshes after a 401 in the last hour.",
            value=totals.get("token_refresh", 0),
        )
        yield GaugeMetricFamily(
            "vobiz_api_rate_limited",
            "Vobiz API attempts answered 429 in the last hour.",
            value=totals.get("rate_limited", 0),
        )

    def _latency(self, since: dt.datetime, now: dt.datetime) -> Metrics:
        histogram = GaugeHistogramMetricFamily(
            "vobiz_api_request_duration_seconds",
            "Duration of Vobiz API attempts in the last hour, by endpoint.",
            labels=["endpoint"],
        )
        buckets = {
            f"le_{i}": Count("id", filter=Q(duration_ms__lte=ms))
            for i, ms in enumerate(BUCKETS_MS)
        }
        rows = (
            ApiCall.objects.filter(created_at__gte=since, created_at__lte=now)
            .exclude(outcome="circuit_open")
            .values("path_template")
            .annotate(n=Count("id"), total_ms=Sum("duration_ms"), **buckets)
            .order_by("path_template")
        )
        for row in rows:
            counts = [
                (str(ms / 1000), row[f"le_{i}"]) for i, ms in enumerate(BUCKETS_MS)
            ]
            histogram.add_metric(
                [row["path_template"]],
                buckets=[*counts, ("+Inf", row["n"])],
                gsum_value=(row["total_ms"] or 0) / 1000,
            )
        yield histogram
        quantiles = GaugeMetricFamily(
            "vobiz_api_latency_seconds",
            "p50 and p95 duration of Vobiz API attempts in the last hour.",
            labels=["endpoint", "quantile"],
        )
        failure = GaugeMetricFamily(
            "vobiz_api_failure_ratio",
            "Share of Vobiz API attempts that failed in the last hour.",
            labels=["endpoint"],
        )
        for stat in endpoint_stats(since=since, until=now):
            for q, value in (("0.5", stat.p50_ms), ("0.95", stat.p95_ms)):
                if value is not None:
                    quantiles.add_metric([stat.path_template, q], value / 1000)
            failure.add_metric([stat.path_template], stat.failure_rate / 100)
        yield quantiles
        yield failure

    def _breakers(self) -> Metrics:
        state = StateSetMetricFamily(
            "vobiz_circuit_breaker_state",
            "State of the Vobiz circuit breaker of each provider account.",
            labels=["provider"],
        )
        failures = GaugeMetricFamily(
            "vobiz_circuit_breaker_failures",
            "Consecutive transient failures the breaker has counted.",
            labels=["provider"],
        )
        for view in breaker_states():
            auth_id = view.provider.auth_id
            state.add_metric([auth_id], {s: view.state == s for s in BREAKER_STATES})
            failures.add_metric([auth_id], view.failures)
        yield state
        yield failures

    def _syncs(self, now: dt.datetime) -> Metrics:
        lag = GaugeMetricFamily(
            "vobiz_sync_lag_seconds",
            "Seconds since the last successful sync of each kind.",
            labels=["provider", "kind"],
        )
        last = GaugeMetricFamily(
            "vobiz_sync_last_success_timestamp_seconds",
            "When each kind of sync last succeeded (Unix time).",
            labels=["provider", "kind"],
        )
        for view in sync_states(now=now):
            labels = [view.state.provider_account.auth_id, view.state.kind]
            if view.lag is not None:
                lag.add_metric(labels, view.lag.total_seconds())
            last.add_metric(labels, _ts(view.state.last_success_at))
        yield lag
        yield last

    def _balances(self) -> Metrics:
        names = ("balance", "available", "spend", "runway")
        families = {
            "balance": GaugeMetricFamily(
                "vobiz_balance", "Account balance.", labels=["provider", "currency"]
            ),
            "available": GaugeMetricFamily(
                "vobiz_balance_available",
                "Available balance.",
                labels=["provider", "currency"],
            ),
            "spend": GaugeMetricFamily(
                "vobiz_spend_per_day",
                "Average daily spend over the last 7 full days.",
                labels=["provider", "currency"],
            ),
            "runway": GaugeMetricFamily(
                "vobiz_runway_days",
                "Days the available balance lasts at the 7-day spend rate.",
                labels=["provider"],
            ),
        }
        for provider in ProviderAccount.objects.order_by("pk"):
            self._balance_of(provider, families)
        for name in names:
            yield families[name]

    def _balance_of(
        self, provider: ProviderAccount, families: dict[str, GaugeMetricFamily]
    ) -> None:
        snapshot = (
            BalanceSnapshot.objects.filter(provider_account=provider)
            .order_by("-taken_at", "-pk")
            .first()
        )
        if snapshot is None:
            return
        labels = [provider.auth_id, snapshot.currency]
        families["balance"].add_metric(labels, float(snapshot.balance))
        families["available"].add_metric(labels, float(snapshot.available_balance))
        per_day = consumption_rate(provider=provider, days=7).per_day
        families["spend"].add_metric(labels, float(per_day))
        runway = runway_days(balance=snapshot.available_balance, per_day=per_day)
        if runway is not None:
            families["runway"].add_metric([provider.auth_id], float(runway))

    def _alerts(self) -> Metrics:
        firing = GaugeMetricFamily(
            "vobiz_alerts_firing", "Alerts firing now, by kind.", labels=["kind"]
        )
        counts = dict(
            Alert.objects.filter(state=AlertState.FIRING)
            .values("kind")
            .annotate(n=Count("id"))
            .values_list("kind", "n")
        )
        for kind in RuleKind.values:
            firing.add_metric([kind], counts.get(kind, 0))
        yield firing

    def _synthetic(self) -> Metrics:
        ok = GaugeMetricFamily(
            "vobiz_synthetic_call_success",
            "Whether the latest synthetic test call passed (1) or failed (0).",
            labels=["provider"],
        )
        pdd = GaugeMetricFamily(
            "vobiz_synthetic_call_pdd_seconds",
            "Post-dial delay of the latest synthetic test call.",
            labels=["provider"],
        )
        when = GaugeMetricFamily(
            "vobiz_synthetic_call_timestamp_seconds",
            "When the latest synthetic test call started (Unix time).",
            labels=["provider"],
        )
        for provider in ProviderAccount.objects.order_by("pk"):
            check = SyntheticCheck.objects.filter(provider_account=provider).first()
            if check is None:
                continue
            ok.add_metric([provider.auth_id], 1 if check.ok else 0)
            if check.pdd_seconds is not None:
                pdd.add_metric([provider.auth_id], check.pdd_seconds)
            when.add_metric([provider.auth_id], _ts(check.started_at))
        yield ok
        yield pdd
        yield when

    def _calls(self, now: dt.datetime) -> Metrics:
        calls = GaugeMetricFamily(
            "vobiz_calls_24h", "Calls in the last 24 hours.", labels=["sub_account"]
        )
        asr = GaugeMetricFamily(
            "vobiz_asr_24h",
            "Answer-seizure ratio over the last 24 hours.",
            labels=["sub_account"],
        )
        acd = GaugeMetricFamily(
            "vobiz_acd_seconds_24h",
            "Average duration of answered calls over the last 24 hours.",
            labels=["sub_account"],
        )
        rows = (
            Cdr.objects.filter(
                start_time__gte=now - dt.timedelta(hours=24), start_time__lte=now
            )
            .filter(sub_account__isnull=False)
            .values("sub_account__name")
            .annotate(
                n=Count("id"),
                ok=Count("id", filter=answered_q()),
                billsec=Sum("billsec"),
            )
            .order_by("sub_account__name")
        )
        for row in rows:
            name = row["sub_account__name"]
            calls.add_metric([name], row["n"])
            asr.add_metric([name], row["ok"] / row["n"] if row["n"] else 0)
            answered = row["ok"]
            seconds = Decimal(row["billsec"] or 0)
            acd.add_metric([name], float(seconds / answered) if answered else 0)
        yield calls
        yield asr
        yield acd


def metrics_render() -> bytes:
    """Return the metrics in Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PortalCollector())
    return generate_latest(registry)
