from typing import Any

from django.core.management.base import BaseCommand

from backoffice.permissions import staff_groups_setup


class Command(BaseCommand):
    help = 'Create (or reset) the staff groups "support", "warehouse" and "manager" with their permissions.'

    def handle(self, *args: Any, **options: Any) -> None:
        for name, count in staff_groups_setup().items():
            self.stdout.write(f"{name}: {count} permissions")
