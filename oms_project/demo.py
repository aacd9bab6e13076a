"""The demo data set (``manage.py seed_demo``): a small shop that the embedded run can show at once.

Idempotent and conservative: it creates what is missing and never overwrites what exists, so re-running it (the
launcher does on every start) keeps prices staff edited and stock that orders moved. Stock goes through the
ledger with a fixed idempotency key per SKU and warehouse, so it is received once, ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from catalog.models import Product, StockMovement, Variant
from catalog.services import (
    product_image_add,
    product_slug,
    product_upsert,
    stock_set_on_hand,
    variant_upsert,
    warehouse_get_or_create,
)
from customers.models import Address, Customer
from oms_project.demo_images import product_pictures
from partners.models import ApiKey
from partners.services import api_key_create_with_secret

ADMIN_USERNAME = "admin"
CUSTOMER_EMAIL = "customer@example.com"
PARTNER_NAME = "Demo Marketplace"
ACTOR = "seed_demo"
# The documented defaults of the OMS_DEMO_* settings: public, so fine for a laptop and nowhere else (seed_demo
# refuses them when DEBUG is off, hence the nosec B105).
DEMO_DEFAULTS = {  # nosec B105
    "DEMO_ADMIN_PASSWORD": "admin",
    "DEMO_CUSTOMER_PASSWORD": "customer",
    "DEMO_API_KEY": "oms_000000000001_demo-key-for-local-use-only",
}

# code, name, priority (lower is tried first when stock is picked for an order)
WAREHOUSES = [("main", "Main warehouse (Berlin)", 10), ("north", "North depot (Hamburg)", 20)]

# category, product, description, price, [(sku, variant name)]
CATALOG: list[tuple[str, str, str, str, list[tuple[str, str]]]] = [
    (
        "Apparel",
        "Classic Tee",
        "Heavyweight organic cotton T-shirt with a relaxed fit.",
        "19.90",
        [
            ("TEE-CLS-S-BLK", "Small / Black"),
            ("TEE-CLS-M-BLK", "Medium / Black"),
            ("TEE-CLS-L-BLK", "Large / Black"),
            ("TEE-CLS-S-WHT", "Small / White"),
            ("TEE-CLS-M-WHT", "Medium / White"),
            ("TEE-CLS-L-WHT", "Large / White"),
        ],
    ),
    (
        "Apparel",
        "Merino Hoodie",
        "Warm merino wool hoodie with a kangaroo pocket.",
        "89.00",
        [("HOOD-MER-S-NVY", "Small / Navy"), ("HOOD-MER-M-NVY", "Medium / Navy"), ("HOOD-MER-L-NVY", "Large / Navy")],
    ),
    (
        "Apparel",
        "Rain Jacket",
        "Packable waterproof shell with taped seams.",
        "129.00",
        [("JKT-RAIN-M-OLV", "Medium / Olive"), ("JKT-RAIN-L-OLV", "Large / Olive"), ("JKT-RAIN-XL-OLV", "XL / Olive")],
    ),
    (
        "Apparel",
        "Wool Socks",
        "Cushioned hiking socks, pack of two.",
        "14.50",
        [("SOCK-WOOL-39", "EU 36-39"), ("SOCK-WOOL-43", "EU 40-43"), ("SOCK-WOOL-47", "EU 44-47")],
    ),
    (
        "Kitchen",
        "Enamel Mug",
        "Camp-style enamel mug, 350 ml.",
        "12.50",
        [("MUG-ENM-WHT", "White"), ("MUG-ENM-GRN", "Forest Green"), ("MUG-ENM-BLU", "Lake Blue")],
    ),
    (
        "Kitchen",
        "Pour-Over Coffee Set",
        "Ceramic dripper, glass server and 100 filters.",
        "39.00",
        [("COF-POUR-SET", "Standard")],
    ),
    (
        "Kitchen",
        "Chef's Knife",
        "Forged stainless steel chef's knife.",
        "74.00",
        [("KNF-CHEF-18", "18 cm"), ("KNF-CHEF-21", "21 cm")],
    ),
    (
        "Home",
        "Linen Cushion Cover",
        "Stonewashed linen cover with a hidden zip.",
        "29.00",
        [("CUSH-LIN-45-SND", "45x45 / Sand"), ("CUSH-LIN-45-RST", "45x45 / Rust"), ("CUSH-LIN-60-SND", "60x60 / Sand")],
    ),
    (
        "Home",
        "Soy Candle",
        "Hand-poured soy wax candle, about 40 hours.",
        "18.00",
        [("CNDL-SOY-CED", "Cedar"), ("CNDL-SOY-FIG", "Fig"), ("CNDL-SOY-SEA", "Sea Salt")],
    ),
    (
        "Outdoor",
        "Trail Backpack",
        "Lightweight 28 l daypack with hip belt.",
        "119.00",
        [("PACK-TRL-28-BLK", "28 l / Black"), ("PACK-TRL-28-RED", "28 l / Red")],
    ),
    (
        "Outdoor",
        "Insulated Bottle",
        "Double-walled steel bottle, keeps drinks cold for 24 h.",
        "27.00",
        [("BTL-INS-500", "500 ml"), ("BTL-INS-750", "750 ml"), ("BTL-INS-1000", "1 l")],
    ),
]

# A few SKUs with little or no stock, so the demo can show "insufficient stock".
SPECIAL_STOCK = {"JKT-RAIN-XL-OLV": (0, 0), "KNF-CHEF-21": (2, 0), "CNDL-SOY-SEA": (0, 3)}


def demo_stock(sku: str, index: int) -> tuple[int, int]:
    """On-hand at (main, north): fixed numbers, so every run and every machine gets the same shop."""
    if sku in SPECIAL_STOCK:
        return SPECIAL_STOCK[sku]
    return 20 + (index * 7) % 40, (index * 5) % 15


@dataclass
class DemoResult:
    admin_username: str
    admin_password: str
    customer_email: str
    customer_password: str
    api_key: str
    api_key_usable: bool
    created: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def demo_seed() -> DemoResult:
    created = {"products": 0, "images": 0, "variants": 0, "warehouses": 0, "stock entries": 0, "users": 0}
    for code, name, priority in WAREHOUSES:
        created["warehouses"] += warehouse_get_or_create(code=code, name=name, priority=priority)[1]
    index = 0
    for category, product_name, description, price, variants in CATALOG:
        product = Product.objects.filter(slug=product_slug(product_name)).first()
        if product is None:
            product, _ = product_upsert(name=product_name, description=description, category=category)
            created["products"] += 1
        if not product.images.exists():  # pictures staff replaced or removed stay as staff left them
            for alt_text, picture in product_pictures(product_name):
                created["images"] += product_image_add(product=product, content=picture, alt_text=alt_text)[1]
        for sku, variant_name in variants:
            index += 1
            if not Variant.objects.filter(sku=sku).exists():
                variant_upsert(sku=sku, product=product, name=variant_name, price=Decimal(price), currency="EUR")
                created["variants"] += 1
            for (code, _, _), on_hand in zip(WAREHOUSES, demo_stock(sku, index), strict=True):
                key = f"demo-seed:{sku}:{code}"
                if on_hand and not StockMovement.objects.filter(idempotency_key=key).exists():
                    stock_set_on_hand(
                        sku=sku,
                        warehouse_code=code,
                        on_hand=on_hand,
                        kind=StockMovement.Kind.RECEIVE,
                        reason="demo data set",
                        actor=ACTOR,
                        idempotency_key=key,
                    )
                    created["stock entries"] += 1

    created["users"] += _user(
        username=ADMIN_USERNAME,
        email="admin@example.com",
        password=settings.DEMO_ADMIN_PASSWORD,
        first_name="Ada",
        last_name="Admin",
        staff=True,
    )
    created["users"] += _demo_customer()
    api_key, _ = api_key_create_with_secret(
        partner_name=PARTNER_NAME, scopes=list(ApiKey.Scope.values), raw_key=settings.DEMO_API_KEY, name="demo"
    )
    return DemoResult(
        admin_username=ADMIN_USERNAME,
        admin_password=settings.DEMO_ADMIN_PASSWORD,
        customer_email=CUSTOMER_EMAIL,
        customer_password=settings.DEMO_CUSTOMER_PASSWORD,
        api_key=settings.DEMO_API_KEY,
        api_key_usable=api_key.is_usable,
        created=created,
    )


def _user(*, username: str, email: str, password: str, first_name: str, last_name: str, staff: bool) -> int:
    """Create the user if missing; reset the password only when it no longer matches (a changed env var)."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=staff,
            is_superuser=staff,
        )
        user.set_password(password)
        user.save()
        return 1
    if not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])
    return 0


def _demo_customer() -> int:
    # Username = email, so both a username login and an email login work for the demo customer.
    created = _user(
        username=CUSTOMER_EMAIL,
        email=CUSTOMER_EMAIL,
        password=settings.DEMO_CUSTOMER_PASSWORD,
        first_name="Dana",
        last_name="Demo",
        staff=False,
    )
    user = get_user_model().objects.get(username=CUSTOMER_EMAIL)
    customer, _ = Customer.objects.get_or_create(user=user, defaults={"phone": "+49 30 1234567"})
    if not customer.addresses.exists():
        Address.objects.create(
            customer=customer,
            name="Dana Demo",
            line1="Alexanderplatz 1",
            city="Berlin",
            postal_code="10178",
            country="DE",
            is_default=True,
        )
    return created
