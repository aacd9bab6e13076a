"""What staff see (issue #18): the dashboard as the admin home, a read-only order page without Save buttons, the
timeline as sentences with actors (never JSON), the history, plain wording, product images with previews."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from catalog.models import ProductImage
from orders.models import IdempotencyRecord, OrderEvent
from partners.models import Partner
from tests.unit.backoffice.factories import bulk_orders
from tests.unit.catalog.helpers import make_variant, picture
from webhooks.models import WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


def test_admin_home_is_the_operations_dashboard(boss: Client) -> None:
    bulk_orders(6)
    page = boss.get(reverse("admin:index")).content.decode()
    assert "Northwind Goods · Back office" in page and "Django administration" not in page
    assert 'id="orders-per-status"' in page and 'id="revenue"' in page and 'id="compensations"' in page
    assert re.search(r'<span class="bo-kpi-value">6</span><span class="bo-kpi-label">orders this week', page)
    assert f'id="dashboard-link" href="{reverse("admin:orders_order_dashboard")}"' in page
    assert 'id="task-queues"' not in page  # the Temporal panel stays on the full dashboard: the home never waits
    assert "Sandbox deliveries" in page and "deliverys" not in page


def test_staff_without_order_access_get_the_plain_model_list() -> None:
    user = User.objects.create_user("clerk", password="pw", is_staff=True)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="orders-per-status"' not in page and "You don\u2019t have permission" in page


def test_order_page_has_no_save_buttons_and_a_readable_timeline(boss: Client, temporal_down: None) -> None:
    order = bulk_orders(1)[0]
    OrderEvent.objects.create(
        order=order,
        type="shipped",
        at=timezone.now(),
        actor="staff:ada",
        data={"carrier": "DHL", "tracking_number": "JD0146", "applied": True},
        idempotency_key=f"{order.number}:shipped",
    )
    page = boss.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page and 'name="_addanother"' not in page
    timeline = page[page.index('id="order-timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert 'Shipped</span> <span class="bo-who">by Staff: ada' in timeline
    assert (
        "<dt>Tracking number</dt><dd>JD0146</dd>" in timeline and "<dt>Changed the status</dt><dd>yes</dd>" in timeline
    )
    assert "{" not in timeline and "&quot;" not in timeline  # no JSON
    assert "the cancel reason word for word" in page


def test_order_history_is_the_timeline(boss: Client) -> None:
    order = bulk_orders(1)[0]
    OrderEvent.objects.create(
        order=order,
        type="cancel_requested",
        at=timezone.now(),
        actor="customer:7",
        data={"reason": "Too late"},
        idempotency_key=f"{order.number}:cr",
    )
    page = boss.get(reverse("admin:orders_order_history", args=[order.pk])).content.decode()
    assert "doesn\u2019t have a change history" not in page
    assert "Cancellation requested" in page and "by Customer #7" in page and "<dd>Too late</dd>" in page


def test_action_forms_say_what_the_customer_sees_and_hide_the_event_id(boss: Client) -> None:
    order = bulk_orders(1)[0]
    cancel = boss.get(reverse("admin:orders_order_act", args=[order.pk, "cancel"])).content.decode()
    assert "Reason (the customer sees it)" in cancel and "Shown word for word on the customer" in cancel
    event = boss.get(reverse("admin:orders_order_act", args=[order.pk, "delivery_event"])).content.decode()
    assert "Event id" not in event and 'type="hidden" name="event_id"' in event


def test_order_list_shows_badges_and_one_total_column(boss: Client) -> None:
    bulk_orders(2)
    page = boss.get(reverse("admin:orders_order_changelist")).content.decode()
    assert '<span class="bo-status bo-status-created">created</span>' in page
    assert re.search(r'<td class="field-total_display">14.90 (EUR|USD)</td>', page)


def test_product_admin_uploads_a_picture_with_a_preview_and_refuses_a_non_image(boss: Client) -> None:
    product = make_variant("MUG-1", product="Mug").product
    url = reverse("admin:catalog_product_change", args=[product.pk])
    form = {
        "name": "Mug",
        "slug": product.slug,
        "description": "",
        "category": "",
        "is_active": "on",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-alt_text": "A red mug",
        "images-0-position": "0",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-0-id": str(product.variants.get().pk),
        "variants-0-product": str(product.pk),
        "variants-0-sku": "MUG-1",
        "variants-0-name": "One",
        "variants-0-price": "10.00",
        "variants-0-currency": "EUR",
        "variants-0-is_active": "on",
    }
    refused = boss.post(url, {**form, "images-0-image": io.BytesIO(b"not a picture")})
    assert refused.status_code == 200 and not ProductImage.objects.exists()

    disguised = io.BytesIO(picture("red", size=(300, 200)))
    disguised.name = "mug.html"
    assert boss.post(url, {**form, "images-0-image": disguised}).status_code == 200  # refused: not an image name
    assert not ProductImage.objects.exists()
    upload = io.BytesIO(picture("red", size=(300, 200)))
    upload.name = "mug.png"  # a JPEG under a PNG name is stored under its real type
    assert boss.post(url, {**form, "images-0-image": upload}).status_code == 302
    image = ProductImage.objects.get()
    assert image.alt_text == "A red mug" and len(image.checksum) == 64
    assert re.fullmatch(r"products/upload-[0-9a-f]{12}\.jpg", image.image.name), image.image.name

    page = boss.get(url).content.decode()
    preview = re.search(r'<img src="([^"]+)" alt="A red mug" class="bo-preview">', page)
    assert preview, page
    served = boss.get(preview.group(1))
    with Image.open(io.BytesIO(b"".join(served.streaming_content))) as thumb:
        assert thumb.size == (120, 120)
    listing = boss.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert 'alt="A red mug" class="bo-thumb"' in listing


def test_webhook_pages_read_in_words_and_keep_the_json_in_a_folded_technical_section(boss: Client) -> None:
    partner = Partner.objects.create(name="Shop")
    endpoint = WebhookEndpoint.objects.create(
        partner=partner, url="https://shop.example/hook", events=["order.created", "order.shipped"], secret="s"
    )
    event = WebhookEvent.objects.create(
        partner=partner,
        type="order.shipped",
        dedupe_key="O-1:order.shipped",
        data={"number": "O-1", "status": "shipped", "total": "17.40", "currency": "EUR"},
        body='{"data":{"number":"O-1"}}',
        created_at=timezone.now(),
    )
    page = boss.get(reverse("admin:webhooks_webhookevent_change", args=[event.pk])).content.decode()
    assert "O-1 · shipped · 17.40 EUR" in page
    technical = page.index("Technical (for partners")
    assert page.index("{&quot;data&quot;") > technical and "collapse" in page[technical - 300 : technical]
    assert "{&#x27;number&#x27;" not in page  # the data dict is not shown as a Python/JSON literal
    endpoint_page = boss.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])).content.decode()
    assert "order.created, order.shipped" in endpoint_page and "[&#x27;order" not in endpoint_page


def test_system_records_are_read_only_and_show_no_json(boss: Client) -> None:
    partner = Partner.objects.create(name="Shop")
    record = IdempotencyRecord.objects.create(
        partner=partner,
        key="mp-1",
        scope="orders.create",
        request_hash="h",
        state="done",
        response_status=201,
        response_body={"number": "O-42", "status": "created"},
        created_at=timezone.now(),
        claimed_at=timezone.now(),
    )
    home = boss.get(reverse("admin:index")).content.decode()
    assert reverse("admin:oms_project_idempotencyrecord_add") not in home
    assert reverse("admin:orders_sandboxdelivery_add") not in home
    listing = boss.get(reverse("admin:oms_project_idempotencyrecord_changelist")).content.decode()
    assert "O-42" in listing
    page = boss.get(reverse("admin:oms_project_idempotencyrecord_change", args=[record.pk])).content.decode()
    assert "O-42" in page and "&quot;status&quot;" not in page and 'name="_save"' not in page


@pytest.mark.parametrize(
    ("status", "pending", "offered"),
    [
        ("confirmed", "", {"cancel", "ship", "create_shipment", "edit_lines", "delivery_event"}),
        ("partially_shipped", "", {"ship", "create_shipment", "edit_lines", "delivery_event"}),
        ("confirmed", "shipment", {"delivery_event"}),  # shipping: no cancel, no second shipment
        ("shipped", "", {"delivery_event"}),
        ("delivered", "", set()),
        ("cancelled", "", set()),
    ],
)
def test_the_order_page_offers_only_the_actions_the_order_allows_now(
    boss: Client, status: str, pending: str, offered: set[str]
) -> None:
    """The order page asks the domain's rules (orders.domain) with the read model: no "Ship" on a delivered order."""
    [order] = bulk_orders(1, prefix="ACT")
    order.status, order.pending_action = status, pending
    order.save(update_fields=["status", "pending_action"])
    page = boss.get(reverse("admin:orders_order_change", args=[order.pk])).content.decode()
    assert set(re.findall(r'class="order-action-(\w+)"', page)) == offered
