"""Schemathesis against the served OpenAPI schema, every operation, through the project's real WSGI app.

Three phases per operation: the schema's examples, the coverage phase (boundary values and, in negative
mode, inputs that violate the schema: each must be refused with a 4xx) and bounded fuzzing. All of
schemathesis' checks run on every response: no 5xx, status codes, content types, headers and bodies as the
schema documents them, negative data rejected, valid data accepted. Requests carry a key with every scope; a
path id is a real object of the caller's (an order confirmed by the real workers, a cart, a webhook) whenever
the generated case means it to be valid, and what schemathesis drew otherwise.

Deterministic: a fixed seed, derandomized generation, no example database, bounded examples.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.security.conftest import FUZZ_CASES, SKU, PartnerOwner

pytestmark = [pytest.mark.integration, pytest.mark.security]

SEED = 20260825
FUZZ_EXAMPLES = 60

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
schema.config.seed = SEED
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
schema.config.generation.update(max_examples=FUZZ_EXAMPLES, deterministic=True, database="none", allow_x00=True)

REAL_IDS: dict[str, Callable[[PartnerOwner], str]] = {
    "number": lambda owner: owner.order_number or owner.place_order(),
    "cart_id": lambda owner: owner.cart_id or owner.open_cart(),
    "endpoint_id": lambda owner: str(owner.webhook_id or owner.register_webhook()),
    "product_id": lambda owner: str(owner_product_id()),
    "sku": lambda owner: SKU,
    "return_id": lambda owner: owner.return_id or owner.request_return(),
    "shipment": lambda owner: "1",
}


class CallerKey:
    """The key schemathesis authenticates with; a registered provider, so its auth checks know the key is real
    (they then also send each request without it and with a broken one, and expect 401)."""

    current = ""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return self.current

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Api-Key {data}"}


schema.auth(refresh_interval=None)(CallerKey)


def owner_product_id() -> int:
    from catalog.models import Variant

    return Variant.objects.get(sku=SKU).product_id


@pytest.fixture
def caller(acme: PartnerOwner) -> PartnerOwner:
    CallerKey.current = acme.key()
    return acme


def registers_a_public_target(case: schemathesis.Case) -> bool:
    """A generated webhook registration whose URL is a public IP literal would make the workers deliver to it;
    tests send traffic to this machine only, so such a case is not sent (hostnames do not resolve here)."""
    if case.operation.label != "POST /api/v1/webhooks/" or not isinstance(case.body, dict):
        return False
    try:
        host = urlsplit(str(case.body.get("url", ""))).hostname or ""
        return ipaddress.ip_address(host).is_global
    except ValueError:
        return False


@schema.parametrize()
# The owner fixture is meant to be shared by all examples of an operation: its objects are created once.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_operation_conforms_and_refuses_bad_input(case: schemathesis.Case, caller: PartnerOwner) -> None:
    path_info = case.meta.components.get("path") if case.meta else None
    if case.path_parameters and (path_info is None or path_info.mode is GenerationMode.POSITIVE):
        case.path_parameters = {name: REAL_IDS[name](caller) for name in case.path_parameters}
    if registers_a_public_target(case):
        return
    mode = case.meta.generation.mode if case.meta else GenerationMode.POSITIVE
    response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
    FUZZ_CASES[(case.operation.label, str(mode), f"{response.status_code // 100}xx")] += 1
