"""Writes of the monitoring app, one module per feature.

- `alerts`: evaluate the rules into alert episodes (fire, refresh, resolve);
- `alert_rules`: add and change alert rules;
- `notifications`: who sees an alert in the portal, marking notifications read;
- `channels`: add, change and delete notification channels;
- `deliveries`: send alert events to channels, with claims, retries and test sends;
- `webhooks`: where a webhook may point, how it is signed and posted;
- `synthetic`: the synthetic test call;
- `retention`: prune the API call log and the monitoring history;
- `sync_requests`: an admin's "Sync now".

Callers write `from monitoring import services` and `services.rule_create(...)`.
"""

from monitoring.services.alert_rules import (
    EDITABLE_RULE_FIELDS,
    RULE_FIELDS,
    rule_create,
    rule_update,
)
from monitoring.services.alerts import (
    EVALUATE_LEASE_KEY,
    EVALUATE_LEASE_SECONDS,
    alerts_evaluate,
    dedup_key,
)
from monitoring.services.channels import (
    CHANNEL_FIELDS,
    channel_create,
    channel_delete,
    channel_update,
    url_display,
)
from monitoring.services.deliveries import (
    channel_send_test,
    deliveries_create,
    deliveries_retry,
    delivery_send,
)
from monitoring.services.notifications import (
    alert_recipients,
    notifications_create,
    notifications_mark_read,
)
from monitoring.services.retention import PRUNE_BATCH, apicalls_prune, history_prune
from monitoring.services.sync_requests import sync_request
from monitoring.services.synthetic import synthetic_call_run

__all__ = [
    "CHANNEL_FIELDS",
    "EDITABLE_RULE_FIELDS",
    "EVALUATE_LEASE_KEY",
    "EVALUATE_LEASE_SECONDS",
    "PRUNE_BATCH",
    "RULE_FIELDS",
    "alert_recipients",
    "alerts_evaluate",
    "apicalls_prune",
    "channel_create",
    "channel_delete",
    "channel_send_test",
    "channel_update",
    "dedup_key",
    "deliveries_create",
    "deliveries_retry",
    "delivery_send",
    "history_prune",
    "notifications_create",
    "notifications_mark_read",
    "rule_create",
    "rule_update",
    "sync_request",
    "synthetic_call_run",
    "url_display",
]
