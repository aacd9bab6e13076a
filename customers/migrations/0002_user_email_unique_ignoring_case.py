"""Sign-in by e-mail needs one account per address, ignoring case: a unique index on LOWER(email) of Django's user
table (empty addresses excluded: staff accounts may have none). Works on PostgreSQL and SQLite. Stops with an
IntegrityError if two accounts already share an address: merge or change one of them first."""

from django.db import migrations

INDEX = "customers_user_email_ci_unique"


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE UNIQUE INDEX {INDEX} ON auth_user (LOWER(email)) WHERE email <> ''",
            reverse_sql=f"DROP INDEX {INDEX}",
        ),
    ]
