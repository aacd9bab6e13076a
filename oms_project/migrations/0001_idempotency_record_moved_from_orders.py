"""IdempotencyRecord moves from orders to oms_project: the state only, the table stays (no data is touched)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("orders", "0002_sla_flag"),
        ("partners", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="IdempotencyRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("key", models.CharField(max_length=255)),
                        ("scope", models.CharField(max_length=64)),
                        ("request_hash", models.CharField(max_length=64)),
                        ("state", models.CharField(choices=[("in_flight", "In Flight"), ("done", "Done")], default="in_flight", max_length=16)),
                        ("response_status", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("response_body", models.JSONField(blank=True, null=True)),
                        ("response_location", models.CharField(blank=True, max_length=255)),
                        ("created_at", models.DateTimeField(db_index=True)),
                        ("claimed_at", models.DateTimeField()),
                        ("partner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="partners.partner")),
                    ],
                    options={
                        "db_table": "orders_idempotencyrecord",
                        "constraints": [models.UniqueConstraint(fields=("partner", "key"), name="idempotency_unique_partner_key")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
