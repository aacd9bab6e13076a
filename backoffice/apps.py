from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    default = True  # the config of "backoffice" in INSTALLED_APPS (the module holds the admin's config too)
    name = "backoffice"
    verbose_name = "Back office"

    def ready(self) -> None:
        from backoffice.permissions import ensure_order_permissions_on_migrate

        # After every migrate (and every test-database flush), like Django's own model permissions.
        post_migrate.connect(ensure_order_permissions_on_migrate, sender=self)


class BackofficeAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` whose site is the back office's (backoffice/site.py: the dashboard as home)."""

    default = False

    default_site = "backoffice.site.BackofficeAdminSite"
