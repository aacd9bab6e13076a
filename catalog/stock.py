"""Stock held by orders: reserve at checkout, release on compensation, fulfil at shipment, restock on return.

Correctness lives in the database, not in the caller: every call is one transaction that locks the affected
``StockLevel`` rows in primary-key order (no deadlocks between concurrent orders), re-reads what it needs
after the lock, changes the levels with conditional updates (the CHECK constraints are the last line) and
writes one ``StockMovement`` ledger row per (SKU, warehouse) with a unique idempotency key derived from the
caller's key. A repeated call with the same key finds its ledger rows and returns what they say, writing
nothing. What an order holds is never stored separately: it is the sum of its ledger rows (``reference`` is
the order number), so the ledger and the levels cannot disagree. Rules and examples: docs/stock.md.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum

from catalog.contracts import Allocation, StockLine
from catalog.models import StockLevel, StockMovement, Variant
from oms_project.errors import DomainError, ErrorCode, InsufficientStock, InvalidInput

Kind = StockMovement.Kind
ACTOR = "order-workflow"
_HOLD_KINDS = (Kind.RESERVE, Kind.RELEASE, Kind.FULFIL)  # their allocated_delta sums to what an order holds
_SHIPPED_KINDS = (Kind.FULFIL, Kind.RESTOCK)  # minus their on_hand_delta sums to shipped, not yet restocked

# (variant_id, warehouse_id) -> quantity
_Holdings = dict[tuple[int, int], int]


def _key_prefix(idempotency_key: str, kind: str) -> str:
    # Ledger keys are "<caller key>:<kind>:<sku>@<warehouse>" (max 255 chars); a very long caller key is
    # hashed so the suffix always fits.
    if not idempotency_key:
        raise InvalidInput("An idempotency key is required.", field="idempotency_key")
    if len(idempotency_key) > 120:
        idempotency_key = "sha256-" + hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"{idempotency_key}:{kind}:"


def _recorded(prefix: str) -> list[Allocation] | None:
    """What an earlier call with this key did, in the order it did it; None if it never ran."""
    rows = list(
        StockMovement.objects.filter(idempotency_key__startswith=prefix)
        .select_related("variant", "warehouse")
        .order_by("id")
    )
    if not rows:
        return None
    return [
        Allocation(
            sku=row.variant.sku,
            warehouse=row.warehouse.code,
            quantity=max(abs(row.allocated_delta), abs(row.on_hand_delta)),
        )
        for row in rows
    ]


def _as_line(line: StockLine | Mapping[str, Any]) -> StockLine:
    if isinstance(line, StockLine):
        return line
    return StockLine(sku=str(line["sku"]), quantity=line["quantity"])


def _validate_lines(lines: Sequence[StockLine]) -> None:
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or line.quantity <= 0:
            raise InvalidInput(
                "Quantity must be a positive whole number.",
                code=ErrorCode.INVALID_QUANTITY,
                field=f"lines[{index}].quantity",
                details={"sku": line.sku, "quantity": line.quantity},
            )
    skus = {line.sku for line in lines}
    known = set(Variant.objects.filter(sku__in=skus).order_by().values_list("sku", flat=True))  # no join for the order
    for index, line in enumerate(lines):
        if line.sku not in known:
            raise DomainError(
                f"Unknown SKU {line.sku}.",
                code=ErrorCode.UNKNOWN_SKU,
                field=f"lines[{index}].sku",
                details={"sku": line.sku},
            )


def _pick(lines: Sequence[StockLine], levels: Sequence[StockLevel]) -> dict[int, int]:
    """The warehouse rule (docs/stock.md): per line, the highest-priority active warehouse that can serve the
    whole quantity; otherwise split across warehouses in priority order. Returns StockLevel pk -> quantity."""
    by_sku: dict[str, list[StockLevel]] = defaultdict(list)
    for level in sorted(levels, key=lambda lv: (lv.warehouse.priority, lv.warehouse.code)):
        by_sku[level.variant.sku].append(level)
    free = {level.pk: max(level.on_hand - level.allocated, 0) for level in levels}
    picks: dict[int, int] = {}
    for index, line in enumerate(lines):
        candidates = by_sku[line.sku]
        available = sum(free[level.pk] for level in candidates)
        if available < line.quantity:
            raise InsufficientStock(
                f"Only {available} of {line.sku} available, {line.quantity} requested.",
                field=f"lines[{index}].quantity",
                details={"sku": line.sku, "requested": line.quantity, "available": available},
            )
        whole = next((level for level in candidates if free[level.pk] >= line.quantity), None)
        remaining = line.quantity
        for level in [whole] if whole else candidates:
            take = min(free[level.pk], remaining)
            if take:
                free[level.pk] -= take
                picks[level.pk] = picks.get(level.pk, 0) + take
                remaining -= take
    return picks


def _lock(filter_: Q) -> list[StockLevel]:
    # pk order for every caller, so two transactions never wait on each other in a cycle.
    return list(
        StockLevel.objects.select_for_update(of=("self",))
        .filter(filter_)
        .select_related("variant", "warehouse")
        .order_by("pk")
    )


def _apply(
    level: StockLevel, *, kind: str, quantity: int, on_hand_sign: int, allocated_sign: int, prefix: str, order: str
) -> Allocation:
    on_hand_delta, allocated_delta = on_hand_sign * quantity, allocated_sign * quantity
    guard = Q(pk=level.pk)
    if allocated_delta > 0:
        guard &= Q(on_hand__gte=F("allocated") + allocated_delta)
    if allocated_delta < 0:
        guard &= Q(allocated__gte=-allocated_delta)
    if on_hand_delta < 0:
        guard &= Q(on_hand__gte=F("allocated") + allocated_delta - on_hand_delta)
    updated = StockLevel.objects.filter(guard).update(
        on_hand=F("on_hand") + on_hand_delta, allocated=F("allocated") + allocated_delta
    )
    if updated != 1:
        # Cannot happen while the row is locked; retrying (plain exception) re-reads and decides again.
        raise RuntimeError(f"stock level {level.pk} changed under a lock")
    StockMovement.objects.create(
        variant=level.variant,
        warehouse=level.warehouse,
        kind=kind,
        on_hand_delta=on_hand_delta,
        allocated_delta=allocated_delta,
        reason=f"order {order}",
        reference=order,
        actor=ACTOR,
        idempotency_key=f"{prefix}{level.variant.sku}@{level.warehouse.code}",
    )
    return Allocation(sku=level.variant.sku, warehouse=level.warehouse.code, quantity=quantity)


def stock_reserve(
    *, order_number: str, lines: Iterable[StockLine | Mapping[str, Any]], idempotency_key: str
) -> list[Allocation]:
    """Allocate every line or nothing (one transaction). Raises ``InsufficientStock`` naming the first line
    that cannot be served, ``InvalidInput``/``unknown_sku`` for bad lines. Same key again: same result."""
    prefix = _key_prefix(idempotency_key, Kind.RESERVE)
    stock_lines = [_as_line(line) for line in lines]
    skus = {line.sku for line in stock_lines}
    try:
        with transaction.atomic():
            levels = _lock(Q(variant__sku__in=skus, warehouse__is_active=True))
            # An earlier call with this key answers as it did (a retry, or a concurrent attempt that waited on the
            # same locks: its rows are visible now). Looked up once, under the locks: a first call, the usual case,
            # pays one look-up, not two (a retry takes the locks for a moment before it answers).
            if (done := _recorded(prefix)) is not None:
                return done
            _validate_lines(stock_lines)
            picks = _pick(stock_lines, levels)
            by_pk = {level.pk: level for level in levels}
            return [
                _apply(
                    by_pk[pk],
                    kind=Kind.RESERVE,
                    quantity=quantity,
                    on_hand_sign=0,
                    allocated_sign=1,
                    prefix=prefix,
                    order=order_number,
                )
                for pk, quantity in picks.items()
            ]
    except IntegrityError:
        if (done := _recorded(prefix)) is not None:
            return done
        raise


def _holdings(order_number: str, kinds: Sequence[str], field: str) -> _Holdings:
    rows = (
        StockMovement.objects.filter(reference=order_number, kind__in=kinds)
        .values("variant_id", "warehouse_id")
        .annotate(total=Sum(field))
    )
    return {(row["variant_id"], row["warehouse_id"]): row["total"] for row in rows}


def _held(order_number: str) -> _Holdings:
    return {k: q for k, q in _holdings(order_number, _HOLD_KINDS, "allocated_delta").items() if q > 0}


def _shipped(order_number: str) -> _Holdings:
    return {k: -q for k, q in _holdings(order_number, _SHIPPED_KINDS, "on_hand_delta").items() if q < 0}


def _limited(holdings: Callable[[str], _Holdings], lines: Sequence[StockLine] | None) -> Callable[[str], _Holdings]:
    """``holdings`` cut down to ``lines`` (units per sku; None: all of it), warehouse by warehouse in pk order.
    Asking for more of a sku than the order holds is a bug in the caller (the workflow checked the lines)."""
    if lines is None:
        return holdings
    wanted = {line.sku: line.quantity for line in lines if line.quantity > 0}
    variants = dict(Variant.objects.filter(sku__in=wanted).values_list("pk", "sku"))

    def cut(order_number: str) -> _Holdings:
        left = dict(wanted)
        limited: _Holdings = {}
        for (variant_id, warehouse_id), quantity in sorted(holdings(order_number).items()):
            sku = variants.get(variant_id)
            take = min(quantity, left.get(sku, 0)) if sku else 0
            if take > 0:
                limited[(variant_id, warehouse_id)] = take
                left[sku] -= take
        if any(left.values()):
            raise InvalidInput(f"Order {order_number} does not hold {left} to move.", field="lines")
        return limited

    return cut


def _move_order_stock(
    *, order_number: str, idempotency_key: str, kind: str, quantities: Any, on_hand_sign: int, allocated_sign: int
) -> list[Allocation]:
    prefix = _key_prefix(idempotency_key, kind)
    if (done := _recorded(prefix)) is not None:
        return done
    if not (wanted := quantities(order_number)):
        return []
    rows = Q()
    for variant_id, warehouse_id in wanted:
        rows |= Q(variant_id=variant_id, warehouse_id=warehouse_id)
    try:
        with transaction.atomic():
            levels = _lock(rows)
            if (done := _recorded(prefix)) is not None:
                return done
            wanted = quantities(order_number)  # again, now that the rows are locked
            moved = []
            for level in levels:
                quantity = wanted.get((level.variant_id, level.warehouse_id), 0)
                if quantity > 0:
                    moved.append(
                        _apply(
                            level,
                            kind=kind,
                            quantity=quantity,
                            on_hand_sign=on_hand_sign,
                            allocated_sign=allocated_sign,
                            prefix=prefix,
                            order=order_number,
                        )
                    )
            return moved
    except IntegrityError:
        if (done := _recorded(prefix)) is not None:
            return done
        raise


def _reserved_by(reserve_key: str) -> Callable[[str], _Holdings]:
    """What the reserve with ``reserve_key`` took and the order still holds, per stock row."""
    prefix = _key_prefix(reserve_key, Kind.RESERVE)

    def holdings(order_number: str) -> _Holdings:
        held = _held(order_number)
        taken = StockMovement.objects.filter(idempotency_key__startswith=prefix, reference=order_number)
        return {
            (row.variant_id, row.warehouse_id): min(
                row.allocated_delta, held.get((row.variant_id, row.warehouse_id), 0)
            )
            for row in taken
            if held.get((row.variant_id, row.warehouse_id), 0) > 0
        }

    return holdings


def stock_release(
    *, order_number: str, idempotency_key: str, lines: Sequence[StockLine] | None = None, reserved_by: str = ""
) -> list[Allocation]:
    """Give back whatever the order still holds allocated (or only ``lines``: an edit's freed units; or only
    what the reserve keyed ``reserved_by`` took: undoing an edit's extra units, nothing if it never ran). Nothing
    held (never reserved, already released or shipped): a no-op returning []."""
    return _move_order_stock(
        order_number=order_number,
        idempotency_key=idempotency_key,
        kind=Kind.RELEASE,
        quantities=_reserved_by(reserved_by) if reserved_by else _limited(_held, lines),
        on_hand_sign=0,
        allocated_sign=-1,
    )


def stock_fulfil(
    *, order_number: str, idempotency_key: str, lines: Sequence[StockLine] | None = None
) -> list[Allocation]:
    """At shipment the held units (or only ``lines``: one shipment's) leave the building: on_hand and allocated
    both drop by them."""
    return _move_order_stock(
        order_number=order_number,
        idempotency_key=idempotency_key,
        kind=Kind.FULFIL,
        quantities=_limited(_held, lines),
        on_hand_sign=-1,
        allocated_sign=-1,
    )


def stock_restock(
    *, order_number: str, idempotency_key: str, lines: Sequence[StockLine] | None = None
) -> list[Allocation]:
    """After a failed delivery the shipped units come back: on_hand rises by what was fulfilled and not yet
    restocked (or only ``lines``: one shipment's), into the warehouse they left from."""
    return _move_order_stock(
        order_number=order_number,
        idempotency_key=idempotency_key,
        kind=Kind.RESTOCK,
        quantities=_limited(_shipped, lines),
        on_hand_sign=1,
        allocated_sign=0,
    )


def stock_held_by_order(order_number: str) -> list[Allocation]:
    """What the order holds allocated right now, from the ledger (sku, warehouse order)."""
    rows = (
        StockMovement.objects.filter(reference=order_number, kind__in=_HOLD_KINDS)
        .values("variant__sku", "warehouse__code")
        .annotate(total=Sum("allocated_delta"))
        .order_by("variant__sku", "warehouse__code")
    )
    return [
        Allocation(sku=row["variant__sku"], warehouse=row["warehouse__code"], quantity=row["total"])
        for row in rows
        if row["total"] > 0
    ]


def stock_return(
    *, order_number: str, lines: Sequence[tuple[str, int, bool]], idempotency_key: str, reason: str
) -> list[Allocation]:
    """A return's received units, per ``(sku, quantity, restock)``: restocked units go back on hand into the
    warehouses they were shipped from (never more than the order shipped and has not had back); the others are
    written off (a ledger row without a level change: they never came back on the shelf, the row says why). One
    transaction; the same key again returns what it did and writes nothing (no unit is ever restocked twice)."""
    prefix = _key_prefix(idempotency_key, "return")
    if (done := _recorded(prefix)) is not None:
        return done
    wanted = [(sku, quantity, restock) for sku, quantity, restock in lines if quantity > 0]
    if not wanted:
        return []
    try:
        with transaction.atomic():
            levels = _lock(Q(variant__sku__in={sku for sku, _, _ in wanted}))
            if (done := _recorded(prefix)) is not None:
                return done
            shipped = _shipped(order_number)
            moved = []
            for sku, quantity, restock in wanted:
                candidates = [level for level in levels if level.variant.sku == sku]
                if not restock:
                    level = next(
                        (lv for lv in candidates if shipped.get((lv.variant_id, lv.warehouse_id))), candidates[0]
                    )
                    StockMovement.objects.create(
                        variant=level.variant,
                        warehouse=level.warehouse,
                        kind=Kind.WRITE_OFF,
                        reason=f"{reason}: {quantity} returned, written off",
                        reference=order_number,
                        actor=ACTOR,
                        idempotency_key=f"{prefix}{sku}@{level.warehouse.code}:write_off",
                    )
                    moved.append(Allocation(sku=sku, warehouse=level.warehouse.code, quantity=quantity))
                    continue
                remaining = quantity
                for level in candidates:
                    take = min(shipped.get((level.variant_id, level.warehouse_id), 0), remaining)
                    if take:
                        moved.append(
                            _apply(
                                level,
                                kind=Kind.RESTOCK,
                                quantity=take,
                                on_hand_sign=1,
                                allocated_sign=0,
                                prefix=prefix,
                                order=order_number,
                            )
                        )
                        remaining -= take
                if remaining:
                    raise DomainError(
                        f"Order {order_number} shipped fewer units of {sku} than are being restocked.",
                        code=ErrorCode.INVALID_TRANSITION,
                        details={"sku": sku, "missing": remaining},
                    )
            return moved
    except IntegrityError:
        if (done := _recorded(prefix)) is not None:
            return done
        raise
