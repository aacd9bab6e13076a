"""One idempotency mechanism for every creating POST: keys belong to an owner (a partner, a customer, a
storefront session), no longer only to a partner. Existing rows are the partners'."""

import django.db.models.deletion
from django.db import migrations, models


def owners_of_partner_rows(apps, schema_editor):  # type: ignore[no-untyped-def]
    record = apps.get_model("oms_project", "IdempotencyRecord")
    record.objects.filter(owner="").update(owner=models.functions.Concat(models.Value("partner:"), "partner_id"))


class Migration(migrations.Migration):
    dependencies = [
        ("oms_project", "0001_idempotency_record_moved_from_orders"),
        ("orders", "0006_idempotency_record_moved_to_oms_project"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord", name="owner", field=models.CharField(default="", max_length=100)
        ),
        migrations.AlterField(
            model_name="idempotencyrecord",
            name="partner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="partners.partner",
            ),
        ),
        migrations.RunPython(owners_of_partner_rows, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="idempotencyrecord", name="idempotency_unique_partner_key"),
        migrations.AddConstraint(
            model_name="idempotencyrecord",
            constraint=models.UniqueConstraint(fields=("owner", "key"), name="idempotency_unique_owner_key"),
        ),
    ]
