from django.apps import AppConfig


class VouchersConfig(AppConfig):
    name = "vouchers"
    default_auto_field = "django.db.models.BigAutoField"
