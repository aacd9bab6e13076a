"""Everything that crosses the Temporal boundary for carts: ids, activity names, payload dataclasses.

Pure module (no Django): the workflow sandbox imports it. Money travels as decimal strings because the
default data converter has no Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms_project.payload_types import resolve_annotations

# Activity names are fixed strings: workflow histories hold them, so renaming one breaks replay.
CART_PRICE_SKUS = "carts.price_skus"
CART_RECORD_STATUS = "carts.record_status"
# The checkout's order: priced and checked before the cart closes, started after (implemented by orders).
CART_PREPARE_ORDER = "carts.prepare_order"
CART_START_ORDER = "carts.start_order"
# Is a voucher code applicable to the cart's subtotal now (implemented by vouchers)?
CART_CHECK_VOUCHER = "carts.check_voucher"

WORKFLOW_ID_PREFIX = "cart-"


def cart_workflow_id(cart_id: str) -> str:
    """``cart-<uuid hex>``: opaque, never personal data."""
    return f"{WORKFLOW_ID_PREFIX}{cart_id}"


# --- Update inputs ---------------------------------------------------------------------------------------


@dataclass
class AddItemInput:
    sku: str
    quantity: int


@dataclass
class SetQuantityInput:
    sku: str
    quantity: int  # 0 removes the line


@dataclass
class RemoveItemInput:
    sku: str


@dataclass
class ResetInput:
    pass


@dataclass
class TouchInput:
    """A no-op mutation: starts the workflow (update-with-start) and pushes the idle deadline."""


@dataclass
class LineInput:
    sku: str
    quantity: int


@dataclass
class MergeInput:
    source_cart_id: str  # merging the same source twice is a no-op
    lines: list[LineInput] = field(default_factory=list)


@dataclass
class ApplyVoucherInput:
    code: str


@dataclass
class RemoveVoucherInput:
    pass


@dataclass
class CloseInput:
    reason: str  # "merged": the guest cart's lines now live in the customer's cart


@dataclass
class OrderRequest:
    """What the buyer entered at checkout: with it the cart's checkout starts the order itself (one durable step
    with the close). Owners by id (a partner's cart, a customer's, or neither: a guest)."""

    contact: dict[str, str]
    shipping_address: dict[str, str]
    payment: dict[str, str]
    actor: str
    delivery: dict[str, Any] | None = None
    partner_id: int | None = None
    customer_id: int | None = None


@dataclass
class CheckoutInput:
    idempotency_key: str
    order: OrderRequest | None = None  # None: only close (carts checked out before the order moved in here)


# --- Results ---------------------------------------------------------------------------------------------


@dataclass
class CartLine:
    sku: str
    name: str
    quantity: int
    unit_price: str
    line_total: str


@dataclass
class CartContents:
    """The checkout hand-off: final, re-priced contents of a closed cart."""

    cart_id: str
    currency: str
    lines: list[CartLine]
    subtotal: str
    voucher_code: str = ""  # the cart's voucher, carried to its order (checked again when the order is priced)


@dataclass
class CartViewLine:
    sku: str
    name: str
    quantity: int
    unit_price: str
    line_total: str
    available: int  # sellable units when the line was last priced


@dataclass
class CartView:
    """What queries and mutations return."""

    cart_id: str
    status: str
    currency: str
    lines: list[CartViewLine]
    item_count: int
    subtotal: str
    expires_at: str  # ISO 8601 with offset
    voucher_code: str = ""  # the code applied to the cart ("" when none); its discount is priced by orders.pricing
    # The workflow's count of applied mutations when this view was made: of two views of one cart, the higher is
    # the later (the read model keeps it; views recorded before it existed decode as 0).
    version: int = 0


# --- Workflow input and carried state --------------------------------------------------------------------


@dataclass
class StateLine:
    sku: str
    name: str
    quantity: int
    unit_price: str
    available: int


@dataclass
class CartState:
    """The whole cart; carried verbatim across continue-as-new."""

    cart_id: str
    currency: str
    status: str = "open"
    lines: list[StateLine] = field(default_factory=list)
    deadline: str = ""  # ISO 8601; the idle timer fires here
    merged_from: list[str] = field(default_factory=list)
    checkout_key: str | None = None
    checkout_contents: CartContents | None = None
    mutations: int = 0
    voucher_code: str = ""  # applied with ``apply_voucher`` (normalized); carts before vouchers decode as ""


@dataclass
class CartWorkflowInput:
    cart_id: str
    currency: str
    idle_timeout_seconds: float
    # Continue-as-new once history has this many events (or when the server suggests it earlier).
    max_history_events: int = 5000
    state: CartState | None = None


# --- Activity payloads -----------------------------------------------------------------------------------


@dataclass
class PriceInput:
    skus: list[str]


@dataclass
class PricedSku:
    sku: str
    name: str
    unit_price: str
    currency: str
    available: int
    is_active: bool


@dataclass
class PriceResult:
    items: list[PricedSku]  # unknown SKUs are absent


@dataclass
class PrepareOrderInput:
    contents: CartContents
    order: OrderRequest


@dataclass
class VoucherCheckInput:
    code: str
    subtotal: str
    currency: str


@dataclass
class VoucherCheckResult:
    code: str  # normalized


@dataclass
class RecordStatusInput:
    cart_id: str
    status: str
    checkout_key: str | None = None
    contents: CartContents | None = None


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
