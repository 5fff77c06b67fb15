"""The unique constraint of SyncState takes this app's name (a real rename)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0001_moved_models"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="syncstate",
            name="monitoring_syncstate_unique",
        ),
        migrations.AddConstraint(
            model_name="syncstate",
            constraint=models.UniqueConstraint(
                fields=("provider_account", "kind"), name="sync_syncstate_unique"
            ),
        ),
    ]
