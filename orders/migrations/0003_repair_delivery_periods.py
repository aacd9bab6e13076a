"""Repair order rows whose delivery period lies outside what Python can read (issue: a PATCH with
``9999-12-31T23:59:59-14:00`` was stored as year 10000 in PostgreSQL, and every read of the row failed).

Such an end is cleared (the period is open on that side), and the order's timeline records what was cleared, so
staff and the partner can see it. Only PostgreSQL can hold such values: on SQLite the conversion to UTC already
failed in Python before anything was written. Raw SQL, because the ORM cannot load the broken rows.
"""

from django.db import migrations

# Strictly inside the years Python's datetime can represent (1..9999), so a repaired row always loads.
OUT_OF_RANGE = "({column} >= '9999-12-31 00:00:00+00' OR {column} < '0001-01-02 00:00:00+00')"


def repair_delivery_periods(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for column in ("delivery_period_start", "delivery_period_end"):
            out_of_range = OUT_OF_RANGE.format(column=column)
            cursor.execute(
                "INSERT INTO orders_orderevent (order_id, type, at, actor, data, idempotency_key) "  # nosec B608
                "SELECT id, 'delivery_period_repaired', now(), 'system', "
                f"jsonb_build_object('field', '{column}', 'stored', {column}::text), "
                f"'repair:{column}:' || id FROM orders_order WHERE {out_of_range} "
                "ON CONFLICT (idempotency_key) DO NOTHING"
            )
            cursor.execute(f"UPDATE orders_order SET {column} = NULL WHERE {out_of_range}")  # nosec B608


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_sla_flag")]

    operations = [migrations.RunPython(repair_delivery_periods, migrations.RunPython.noop)]
