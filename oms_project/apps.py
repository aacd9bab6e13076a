from django.apps import AppConfig


class OmsProjectConfig(AppConfig):
    name = "oms_project"
    verbose_name = "OMS operations"

    def ready(self) -> None:
        from oms_project import metrics, observability, tracing

        observability.install_record_factory()
        metrics.register()
        if tracing.enabled():
            tracing.configure()
