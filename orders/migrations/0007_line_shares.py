"""Line shares (API.md "Totals and vouchers"): each order line's part of the order discount and tax, and its total.

Existing rows are backfilled with the one rule (``orders.domain.line_shares``): the order's discount
split in proportion to the line totals, its tax in proportion to what is left of each line, the remainder on the
last line, so ``sum(line.total) + order.shipping == order.total`` holds for every order.
"""

from decimal import Decimal

from django.db import migrations, models

from orders.domain import line_shares


def backfill_line_shares(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderLine = apps.get_model("orders", "OrderLine")
    for order in Order.objects.only("pk", "currency", "discount", "tax").iterator(chunk_size=500):
        lines = list(OrderLine.objects.filter(order_id=order.pk).order_by("position"))
        if not lines:
            continue
        shares = line_shares(
            [line.line_total for line in lines],
            discount=Decimal(order.discount),
            tax=Decimal(order.tax),
            currency=order.currency,
        )
        for line, share in zip(lines, shares):
            line.discount, line.tax, line.total = share.discount, share.tax, share.total
        OrderLine.objects.bulk_update(lines, ["discount", "tax", "total"])


class Migration(migrations.Migration):
    dependencies = [("orders", "0006_idempotency_record_moved_to_oms_project")]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="discount",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name="orderline",
            name="tax",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name="orderline",
            name="total",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.RunPython(backfill_line_shares, migrations.RunPython.noop),
    ]
