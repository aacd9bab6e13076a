"""Stock reservation contracts shared with workflows: activity names and payload dataclasses (no Django).

Activity names are fixed strings because workflow histories record them; never rename.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from oms_project.payload_types import resolve_annotations

STOCK_RESERVE = "stock.reserve"
STOCK_RELEASE = "stock.release"
STOCK_FULFIL = "stock.fulfil"
STOCK_RESTOCK = "stock.restock"


@dataclass
class StockLine:
    sku: str
    quantity: int


@dataclass
class ReserveInput:
    order_number: str
    lines: list[StockLine]
    idempotency_key: str  # derived from the workflow, e.g. f"{workflow_id}:stock.reserve"


@dataclass
class Allocation:
    sku: str
    warehouse: str  # Warehouse.code
    quantity: int


@dataclass
class ReserveResult:
    allocations: list[Allocation] = field(default_factory=list)


@dataclass
class StockOrderInput:
    """Input of release / fulfil / restock: they act on whatever the ledger says the order holds, or only on
    ``lines`` (units per sku: a shipment, an edit's freed units). Histories recorded before it decode as None."""

    order_number: str
    idempotency_key: str
    lines: list[StockLine] | None = None
    # release only: give back exactly what the reserve with this idempotency key took (nothing if it never ran),
    # the compensation of an edit's extra units.
    reserved_by: str = ""


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
