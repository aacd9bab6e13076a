"""Read-only payment queries, including the sandbox ledger reconciliation tests rely on."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from payments.models import Payment, SandboxLedgerEntry

Op = SandboxLedgerEntry.Operation


def payment_get(*, order_number: str) -> Payment | None:
    return Payment.objects.filter(order_number=order_number).first()


@dataclass(frozen=True)
class SandboxLedgerSummary:
    """What the sandbox PSP's books say, per order number (successful operations only).

    Counters of operations (``authorizations``, ``increments``, ``captures``, ``voids``, ``refunds``,
    ``declines``) and of amounts (``authorized_amounts`` with increments, ``captured_amounts``,
    ``refunded_amounts``). ``charged_twice``: orders with more than one successful authorization, captures
    past what was authorized, or refunds past what was captured (must be empty). ``open_authorizations``:
    orders holding money on the card: an authorization neither voided nor completely captured (captured to
    its amount, or closed by a final capture). ``orders_charged``: every order with a successful authorization.
    """

    authorizations: Counter[str] = field(default_factory=Counter)
    increments: Counter[str] = field(default_factory=Counter)
    captures: Counter[str] = field(default_factory=Counter)
    voids: Counter[str] = field(default_factory=Counter)
    refunds: Counter[str] = field(default_factory=Counter)
    declines: Counter[str] = field(default_factory=Counter)
    authorized_amounts: dict[str, Decimal] = field(default_factory=dict)
    captured_amounts: dict[str, Decimal] = field(default_factory=dict)
    refunded_amounts: dict[str, Decimal] = field(default_factory=dict)
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
    amounts: dict[str, defaultdict[str, Decimal]] = {op: defaultdict(Decimal) for op in Op.values}
    declines: Counter[str] = Counter()
    closed: set[str] = set()
    rows = entries.values_list("operation", "order_number", "status", "amount", "final")
    for operation, order_number, status, amount, final in rows:
        if status == SandboxLedgerEntry.Status.SUCCEEDED:
            counters[operation][order_number] += 1
            amounts[operation][order_number] += amount
            if final:
                closed.add(order_number)
        else:
            declines[order_number] += 1
    authorizations, captures = counters[Op.AUTHORIZE], counters[Op.CAPTURE]
    authorized = {n: amounts[Op.AUTHORIZE][n] + amounts[Op.INCREMENT][n] for n in authorizations}
    captured, refunded = dict(amounts[Op.CAPTURE]), dict(amounts[Op.REFUND])
    zero = Decimal("0")
    return SandboxLedgerSummary(
        authorizations=authorizations,
        increments=counters[Op.INCREMENT],
        captures=captures,
        voids=counters[Op.VOID],
        refunds=counters[Op.REFUND],
        declines=declines,
        authorized_amounts=authorized,
        captured_amounts=captured,
        refunded_amounts=refunded,
        charged_twice=sorted(
            n
            for n in set(authorizations) | set(captured) | set(refunded)
            if authorizations[n] > 1
            or captured.get(n, zero) > authorized.get(n, zero)
            or refunded.get(n, zero) > captured.get(n, zero)
        ),
        open_authorizations=sorted(
            n
            for n in authorizations
            if not counters[Op.VOID][n] and n not in closed and captured.get(n, zero) < authorized[n]
        ),
    )
