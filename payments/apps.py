from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "payments"

    def ready(self) -> None:
        # Registers PaymentDeclined, so an ApplicationError("payment_declined") comes back as that class.
        from payments import errors  # noqa: F401
