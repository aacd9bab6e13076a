from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from backoffice.permissions import ensure_order_permissions_on_migrate

        # After every migrate (and every test-database flush), like Django's own model permissions.
        post_migrate.connect(ensure_order_permissions_on_migrate, sender=self)
