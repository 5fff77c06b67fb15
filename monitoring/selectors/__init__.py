"""Reads of the monitoring app; the pages' reads take the user and check the role.

`api` serves the request log and API health (also read by /metrics);
`alerts` the alert, rule, channel, delivery, notification and test-call pages;
`healthz` and `metrics` the two probes (`/healthz`, `/metrics`), which a load
balancer and a scraper call without a user.
"""

from monitoring.selectors.alerts import (
    alert_deliveries,
    alert_get,
    alert_list,
    channel_get,
    channel_list,
    delivery_list,
    notification_get,
    notification_list,
    open_alerts,
    rule_get,
    rule_list,
    synthetic_list,
    unread_count,
)
from monitoring.selectors.api import (
    BREAKER_STATES,
    PERCENTILE_SAMPLE,
    WINDOWS,
    BreakerView,
    EndpointStats,
    PercentileCont,
    SyncView,
    Totals,
    api_health,
    api_health_summary,
    apicall_list,
    breaker_states,
    endpoint_stats,
    error_label,
    errors_by_code,
    percentile,
    sync_states,
    totals_of,
)
from monitoring.selectors.healthz import CheckResult, health_report
from monitoring.selectors.metrics import PortalCollector, metrics_render

__all__ = [
    "BREAKER_STATES",
    "PERCENTILE_SAMPLE",
    "WINDOWS",
    "BreakerView",
    "CheckResult",
    "EndpointStats",
    "PercentileCont",
    "PortalCollector",
    "SyncView",
    "Totals",
    "alert_deliveries",
    "alert_get",
    "alert_list",
    "api_health",
    "api_health_summary",
    "apicall_list",
    "breaker_states",
    "channel_get",
    "channel_list",
    "delivery_list",
    "endpoint_stats",
    "error_label",
    "errors_by_code",
    "health_report",
    "metrics_render",
    "notification_get",
    "notification_list",
    "open_alerts",
    "percentile",
    "rule_get",
    "rule_list",
    "sync_states",
    "synthetic_list",
    "totals_of",
    "unread_count",
]
