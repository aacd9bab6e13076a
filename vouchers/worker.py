"""The voucher saga step runs on the order queue, next to the order process that calls it; a cart's voucher check
on the cart queue."""

from oms_project.workers import CART, ORDER, WorkerComponents
from vouchers import activities

COMPONENTS = [
    WorkerComponents(queue=ORDER, activities=[activities.voucher_redeem, activities.voucher_release]),
    WorkerComponents(queue=CART, activities=[activities.cart_check_voucher]),
]
