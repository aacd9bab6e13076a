"""IdempotencyRecord now belongs to oms_project (its table stays): the state only."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_sandbox_delivery_plural"),
        ("oms_project", "0001_idempotency_record_moved_from_orders"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
