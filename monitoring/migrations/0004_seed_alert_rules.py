"""Seed one account-wide rule of every kind, with the thresholds of docs/architecture.md §9.

The values are written out here rather than imported, so that later changes to
the app's defaults do not rewrite history.
"""

from decimal import Decimal

from django.db import migrations

DEFAULT_RULES = [
    # kind, name, threshold, min_count, window_minutes, cooldown_minutes
    ("balance_low", "Balance below threshold", None, 0, 15, 60),
    ("error_rate", "API error rate above 5%", Decimal("5"), 20, 15, 30),
    ("trunk_down", "Trunk down or gone silent", None, 5, 60, 60),
    ("rate_limit", "Rate limit approaching (80%)", Decimal("80"), 0, 5, 30),
    ("credential_rotation", "Trunk password rotation due", Decimal("14"), 0, 60, 1440),
    ("budget", "Team budget crossed", None, 0, 60, 1440),
    ("asr_drop", "ASR below 70% of baseline", Decimal("0.7"), 50, 1440, 360),
    (
        "toll_fraud",
        "International or premium calls far above baseline",
        Decimal("5"),
        10,
        60,
        120,
    ),
    ("synthetic_call", "Synthetic test call failed", None, 0, 60, 30),
]


def seed(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    for kind, name, threshold, min_count, window, cooldown in DEFAULT_RULES:
        AlertRule.objects.get_or_create(
            kind=kind,
            sub_account=None,
            defaults={
                "name": name,
                "threshold": threshold,
                "min_count": min_count,
                "window_minutes": window,
                "cooldown_minutes": cooldown,
                "enabled": True,
            },
        )


def unseed(apps, schema_editor):
    AlertRule = apps.get_model("monitoring", "AlertRule")
    kinds = [row[0] for row in DEFAULT_RULES]
    AlertRule.objects.filter(kind__in=kinds, sub_account=None, alerts=None).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_alerts_channels_synthetic")]

    operations = [migrations.RunPython(seed, unseed)]
