"""The voucher saga step runs on the order queue, next to the order process that calls it."""

from oms_project.workers import ORDER, WorkerComponents
from vouchers import activities

COMPONENTS = [WorkerComponents(queue=ORDER, activities=[activities.voucher_redeem, activities.voucher_release])]
