"""Product images: the service that adds them, the import's ``image`` column, the API's ``images`` and the served
files (real files under the test run's MEDIA_ROOT, real Pillow, real thumbnails)."""

from __future__ import annotations

import io
import re
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from PIL import Image

from catalog.models import Product, ProductImage
from catalog.selectors import sku_pictures
from catalog.services import product_image_add
from oms_project.errors import InvalidInput
from tests.unit.catalog.helpers import make_variant, picture, receive

pytestmark = pytest.mark.django_db


def product(name: str = "Mug") -> Product:
    return make_variant(f"{name.upper()}-1", product=name).product


def test_images_keep_their_order_and_the_same_picture_is_added_once() -> None:
    mug = product()
    first, created = product_image_add(product=mug, content=picture("red"), alt_text="Red mug")
    second, _ = product_image_add(product=mug, content=picture("blue", "PNG"), alt_text="  ")
    again, created_again = product_image_add(product=mug, content=picture("red"), alt_text="Red mug, again")

    assert created and not created_again and again.pk == first.pk
    assert [(i.position, i.alt_text) for i in mug.images.all()] == [(0, "Red mug"), (1, "Mug")]  # blank alt: name
    assert Path(first.image.path).read_bytes() == picture("red")
    assert second.image.name.endswith(".png")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"GIF89a but not really", "not a readable image"),
        (b"%PDF-1.7 a document", "not a readable image"),
        (picture("red", "BMP"), "BMP images are not accepted"),
    ],
)
def test_a_file_that_is_not_an_accepted_picture_is_refused(content: bytes, why: str) -> None:
    with pytest.raises(InvalidInput) as info:
        product_image_add(product=product(), content=content, alt_text="x", name="upload.jpg")
    assert info.value.field == "image" and why in info.value.message
    assert not ProductImage.objects.exists()


def test_a_picture_over_the_size_limit_is_refused(settings: Any) -> None:
    settings.PRODUCT_IMAGE_MAX_BYTES = 1000
    with pytest.raises(InvalidInput, match="larger than"):
        product_image_add(product=product(), content=picture(size=(400, 400)) + b"\0" * 1000, alt_text="x")


def test_storefront_shows_thumbnails_that_are_served(client: Client) -> None:
    mug = product()
    receive("MUG-1", "main", 3)
    product_image_add(product=mug, content=picture("red", size=(900, 600)), alt_text="Red enamel mug")
    product_image_add(product=mug, content=picture("blue", size=(900, 600)), alt_text="Blue enamel mug")

    listing = client.get("/").content.decode()
    card = re.search(r'<img class="thumb" src="([^"]+)" alt="Red enamel mug"', listing)
    assert card, listing
    thumb = client.get(card.group(1))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as img:
        assert img.size == (480, 480)  # the "card" size, cropped square

    page = client.get(f"/products/{mug.pk}/").content.decode()
    assert 'id="gallery-main"' in page and 'alt="Red enamel mug"' in page
    assert 'data-gallery-alt="Blue enamel mug"' in page


def test_api_products_carry_absolute_image_urls(orders_key: str) -> None:
    mug = product()
    product_image_add(product=mug, content=picture("red"), alt_text="Red mug")
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {orders_key}")

    body = client.get(f"/api/v1/products/{mug.pk}/").json()
    assert [image["alt"] for image in body["images"]] == ["Red mug"]
    url = body["images"][0]["url"]
    assert url.startswith("http://testserver/media/products/")
    served = client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200 and b"".join(served.streaming_content) == picture("red")
    assert client.get("/api/v1/products/").json()["results"][0]["images"] == body["images"]


def test_media_outside_the_folder_or_missing_is_not_found(client: Client) -> None:
    assert client.get("/media/../manage.py").status_code == 404
    assert client.get("/media/products/none.jpg").status_code == 404


def _import(tmp_path: Path, rows: str) -> str:
    csv = tmp_path / "catalog.csv"
    csv.write_text("sku,product,variant,price,currency,warehouse,on_hand,image\n" + rows, encoding="utf-8")
    out = StringIO()
    call_command("import_catalog", str(csv), stdout=out)
    return out.getvalue()


def test_import_adds_the_pictures_named_in_the_image_column_once(tmp_path: Path) -> None:
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "tee.png").write_bytes(picture("green", "PNG"))
    rows = "TEE-S,Tee,Small,19.90,EUR,main,4,pics/tee.png\nTEE-M,Tee,Medium,19.90,EUR,main,4,pics/tee.png\n"
    rows += "MUG-1,Mug,White,9.00,EUR,main,2,\n"

    output = _import(tmp_path, rows)
    assert "images added: 1" in output
    tee = Product.objects.get(name="Tee")
    assert [(i.alt_text, i.image.name.endswith(".png")) for i in tee.images.all()] == [("Tee", True)]
    assert not Product.objects.get(name="Mug").images.exists()
    assert "images added: 0" in _import(tmp_path, rows)


def test_import_refuses_a_missing_or_broken_picture_and_applies_nothing(tmp_path: Path) -> None:
    (tmp_path / "broken.jpg").write_bytes(b"not an image")
    rows = "TEE-S,Tee,Small,19.90,EUR,main,4,missing.jpg\nMUG-1,Mug,White,9.00,EUR,main,2,broken.jpg\n"
    with pytest.raises(CommandError) as info:
        _import(tmp_path, rows)
    message = str(info.value)
    assert "line 2: image 'missing.jpg': cannot be read" in message
    assert "line 3: image 'broken.jpg': the file is not a readable image" in message
    assert not Product.objects.exists()


def test_sku_pictures_gives_each_sku_its_products_first_picture(django_assert_max_num_queries: Any) -> None:
    mug = product()
    make_variant("MUG-2", product="Mug")
    make_variant("HAT-1", product="Hat")  # no picture
    product_image_add(product=mug, content=picture("red"), alt_text="first")
    product_image_add(product=mug, content=picture("blue"), alt_text="second")
    with django_assert_max_num_queries(2):
        found = sku_pictures(["MUG-1", "MUG-2", "HAT-1", "NOPE"])
    assert {sku: image.alt_text for sku, image in found.items()} == {"MUG-1": "first", "MUG-2": "first"}
