"""Read-only payment queries, including the sandbox ledger reconciliation tests rely on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from payments.models import Payment, SandboxLedgerEntry

Op = SandboxLedgerEntry.Operation


def payment_get(*, order_number: str) -> Payment | None:
    return Payment.objects.filter(order_number=order_number).first()


@dataclass(frozen=True)
class SandboxLedgerSummary:
    """What the sandbox PSP's books say, per order number (successful operations only).

    ``charged_twice``: orders with more than one successful authorization or capture (must be empty).
    ``open_authorizations``: orders holding an authorization that is neither captured nor voided (money
    held on the customer's card). ``orders_charged``: every order with a successful authorization.
    """

    authorizations: Counter[str] = field(default_factory=Counter)
    captures: Counter[str] = field(default_factory=Counter)
    voids: Counter[str] = field(default_factory=Counter)
    refunds: Counter[str] = field(default_factory=Counter)
    declines: Counter[str] = field(default_factory=Counter)
    charged_twice: list[str] = field(default_factory=list)
    open_authorizations: list[str] = field(default_factory=list)

    @property
    def orders_charged(self) -> set[str]:
        return set(self.authorizations)

    def charges_without_order(self, order_numbers: Iterable[str]) -> list[str]:
        """Orders the PSP authorized that are not among ``order_numbers`` (pass every order that exists)."""
        known = set(order_numbers)
        return sorted(number for number in self.authorizations if number not in known)


def sandbox_ledger_summary(*, order_numbers: Iterable[str] | None = None) -> SandboxLedgerSummary:
    """Reconcile the sandbox ledger; ``order_numbers`` limits it to those orders (None: every order)."""
    entries = SandboxLedgerEntry.objects.exclude(status=SandboxLedgerEntry.Status.PENDING)
    if order_numbers is not None:
        entries = entries.filter(order_number__in=list(order_numbers))
    counters: dict[str, Counter[str]] = {op: Counter() for op in Op.values}
    declines: Counter[str] = Counter()
    for operation, order_number, status in entries.values_list("operation", "order_number", "status"):
        if status == SandboxLedgerEntry.Status.SUCCEEDED:
            counters[operation][order_number] += 1
        else:
            declines[order_number] += 1
    authorizations, captures = counters[Op.AUTHORIZE], counters[Op.CAPTURE]
    return SandboxLedgerSummary(
        authorizations=authorizations,
        captures=captures,
        voids=counters[Op.VOID],
        refunds=counters[Op.REFUND],
        declines=declines,
        charged_twice=sorted(n for n in authorizations | captures if authorizations[n] > 1 or captures[n] > 1),
        open_authorizations=sorted(n for n in authorizations if authorizations[n] > captures[n] + counters[Op.VOID][n]),
    )
