from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from catalog.models import Product, StockLevel, StockMovement, Variant, Warehouse
from tests.unit.catalog.helpers import allocate

pytestmark = pytest.mark.django_db

HEADER = "sku,product,variant,price,currency,warehouse,on_hand\n"
GOOD = "TEE-S,Tee,Small,19.90,EUR,main,10\nTEE-S,Tee,Small,19.90,EUR,north,3\nMUG-1,Mug,White,12.5,EUR,main,0\n"
SAMPLE = Path(settings.BASE_DIR) / "catalog" / "fixtures" / "sample_catalog.csv"


def write(tmp_path: Path, text: str | bytes, name: str = "catalog.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("import_catalog", str(path), *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int, int]:
    return (
        Product.objects.count(),
        Variant.objects.count(),
        Warehouse.objects.count(),
        StockLevel.objects.count(),
        StockMovement.objects.count(),
    )


def import_error(path: Path) -> str:
    with pytest.raises(CommandError) as info:
        run(path)
    return str(info.value)


def test_import_creates_catalog_and_stock_through_the_ledger(tmp_path: Path) -> None:
    output = run(write(tmp_path, HEADER + GOOD))
    tee = Variant.objects.select_related("product").get(sku="TEE-S")
    assert tee.product.name == "Tee" and str(tee.price) == "19.90" and tee.currency == "EUR"
    levels = {
        (lv.variant.sku, lv.warehouse.code): lv.on_hand
        for lv in StockLevel.objects.select_related("variant", "warehouse")
    }
    assert levels == {("TEE-S", "main"): 10, ("TEE-S", "north"): 3, ("MUG-1", "main"): 0}
    movements = list(StockMovement.objects.all())
    assert len(movements) == 2 and {m.kind for m in movements} == {"import"}
    assert "products: 2 created" in output and "variants: 2 created" in output
    assert "stock levels changed: 2" in output


def test_second_run_of_the_same_file_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + GOOD)
    run(path)
    before = counts()
    output = run(path)
    assert counts() == before
    assert "stock levels changed: 0" in output and "variants: 0 created, 0 updated, 2 unchanged" in output


def test_changed_file_updates_price_and_writes_only_the_delta(tmp_path: Path) -> None:
    run(write(tmp_path, HEADER + GOOD))
    run(write(tmp_path, HEADER + GOOD.replace("19.90,EUR,main,10", "21.00,EUR,main,4").replace("19.90", "21.00")))
    assert str(Variant.objects.get(sku="TEE-S").price) == "21.00"
    last = StockMovement.objects.filter(variant__sku="TEE-S", warehouse__code="main").order_by("-id").first()
    assert last.on_hand_delta == -6
    assert StockLevel.objects.get(variant__sku="TEE-S", warehouse__code="main").on_hand == 4


def test_sample_file_imports_and_is_idempotent() -> None:
    run(SAMPLE)
    before = counts()
    assert before[1] >= 5
    run(SAMPLE)
    assert counts() == before


def test_progress_is_reported(tmp_path: Path) -> None:
    rows = "".join(f"SKU-{i},Product {i % 3},V{i},1.00,EUR,main,{i}\n" for i in range(25))
    output = run(write(tmp_path, HEADER + rows), "--progress-every", "10")
    assert "validated 20 rows" in output and "applied 20 of 25 rows" in output
    assert Variant.objects.count() == 25


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("X-1,P,V,-1.00,EUR,main,1", "price -1.00 is negative"),
        ("X-1,P,V,1.234,EUR,main,1", "price 1.234 has more than 2 decimal"),
        ("X-1,P,V,150.5,JPY,main,1", "price 150.5 has more than 0 decimal"),
        ("X-1,P,V,abc,EUR,main,1", "price 'abc' is not a number"),
        ("X-1,P,V,NaN,EUR,main,1", "price 'NaN' is not a number"),
        ("X-1,P,V,1.00,XXX,main,1", "currency 'XXX' is not supported"),
        ("X-1,P,V,1.00,EUR,main,-1", "on_hand '-1' must be a whole number"),
        ("X-1,P,V,1.00,EUR,main,2.5", "on_hand '2.5' must be a whole number"),
        ("X-1,P,V,1.00,EUR,main,ten", "on_hand 'ten'"),
        ("bad sku,P,V,1.00,EUR,main,1", "sku 'bad sku': Letters, digits"),
        ("-X,P,V,1.00,EUR,main,1", "sku '-X': Letters, digits"),
        ("S" * 65 + ",P,V,1.00,EUR,main,1", "at most 64 characters"),
        ("X-1,P,V,1.00,EUR,main wh,1", "warehouse 'main wh'"),
        ("X-1,,V,1.00,EUR,main,1", "product is empty"),
        ("X-1,P,V,1.00,EUR,main", "expected 7 fields, found 6"),
        ("X-1,P,V,1.00,EUR,main,1,extra", "expected 7 fields, found 8"),
    ],
)
def test_bad_row_is_reported_with_its_line_and_nothing_is_applied(tmp_path: Path, row: str, expected: str) -> None:
    message = import_error(write(tmp_path, HEADER + GOOD + row + "\n"))
    reported = [line.strip() for line in message.splitlines() if line.strip().startswith("line ")]
    assert len(reported) == 1 and reported[0].startswith("line 5: ") and expected in reported[0], message
    assert "nothing was imported" in message
    assert counts() == (0, 0, 0, 0, 0)


def test_same_sku_with_two_prices_or_products(tmp_path: Path) -> None:
    rows = "A-1,Tee,Small,10.00,EUR,main,1\nA-1,Tee,Small,11.00,EUR,north,1\nA-1,Mug,Small,10.00,EUR,east,1\n"
    message = import_error(write(tmp_path, HEADER + rows))
    assert "line 3: sku A-1 has price 11.00 here but 10.00 on line 2" in message
    assert "line 4: sku A-1 has product Mug here but Tee on line 2" in message
    assert counts() == (0, 0, 0, 0, 0)


def test_same_sku_and_warehouse_twice(tmp_path: Path) -> None:
    rows = "A-1,Tee,Small,10.00,EUR,main,1\nA-1,Tee,Small,10.00,EUR,MAIN,2\n"
    assert "line 3: sku A-1 at warehouse main repeats line 2" in import_error(write(tmp_path, HEADER + rows))


def test_every_bad_row_is_reported_in_one_run(tmp_path: Path) -> None:
    rows = "A-1,P,V,x,EUR,main,1\nB-1,P,V,1.00,EUR,main,1\nC-1,P,V,1.00,EUR,main,-5\n"
    message = import_error(write(tmp_path, HEADER + rows))
    assert "2 problem(s)" in message and "line 2:" in message and "line 4:" in message and "line 3:" not in message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sku,product,variant,price,currency,warehouse\n", "missing column(s) on_hand"),
        ("sku,product,variant,price,currency,warehouse,on_hand,colour\n", "unknown column(s) 'colour'"),
        ("sku;product;variant;price;currency;warehouse;on_hand\n", "bad header"),
        ("TEE-S,Tee,Small,19.90,EUR,main,10\n", "missing column(s)"),
    ],
)
def test_bad_header(tmp_path: Path, header: str, expected: str) -> None:
    message = import_error(write(tmp_path, header + GOOD))
    assert "line 1: bad header" in message and expected in message
    assert counts() == (0, 0, 0, 0, 0)


def test_header_columns_may_come_in_any_order(tmp_path: Path) -> None:
    run(write(tmp_path, "on_hand,sku,product,variant,price,currency,warehouse\n4,A-1,Tee,Small,1.00,EUR,main\n"))
    assert StockLevel.objects.get().on_hand == 4


def test_empty_file_header_only_and_unreadable_file(tmp_path: Path) -> None:
    assert "the file is empty" in import_error(write(tmp_path, ""))
    assert "the file is empty" in import_error(write(tmp_path, "\n  \n"))
    assert "header but no rows" in import_error(write(tmp_path, HEADER))
    assert "Cannot read" in import_error(tmp_path / "missing.csv")
    assert "Cannot read" in import_error(tmp_path)  # a directory


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    data = (HEADER + GOOD).encode() + "CAF-1,Café,Noir,3.00,EUR,main,1\n".encode("latin-1")
    message = import_error(write(tmp_path, data))
    assert "line 5: the file is not valid UTF-8" in message


def test_utf8_with_bom_and_quoted_fields(tmp_path: Path) -> None:
    text = HEADER + 'CAF-1,"Café, noir","Grande ""XL""",3.00,eur,main,1\n'
    run(write(tmp_path, b"\xef\xbb\xbf" + text.encode()))
    variant = Variant.objects.select_related("product").get()
    assert variant.product.name == "Café, noir" and variant.name == 'Grande "XL"' and variant.currency == "EUR"


def test_row_below_allocated_stock_rolls_back_the_whole_file(tmp_path: Path) -> None:
    run(write(tmp_path, HEADER + GOOD))
    allocate("TEE-S", "north", 3)
    before = counts()
    changed = GOOD.replace("19.90,EUR,main,10", "19.90,EUR,main,50").replace("north,3", "north,1")
    message = import_error(write(tmp_path, HEADER + changed))
    assert "line 3:" in message and "3 unit(s) are allocated" in message
    assert counts() == before
    assert StockLevel.objects.get(variant__sku="TEE-S", warehouse__code="main").on_hand == 10


def test_command_line_exit_code_and_no_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "A-1,P,V,1.00,EUR,main,-1\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_catalog", str(path)],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "OMS_DATA_DIR": str(tmp_path)},
    )
    assert result.returncode == 1
    assert "line 2: on_hand '-1'" in result.stderr and "Traceback" not in result.stderr
