"""Payload dataclasses carry types, not strings, in their annotations (``oms_project.payload_types``): Temporal's
converter asks ``typing.get_type_hints`` for them on every conversion, and strings are compiled and evaluated anew
each time."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import sys
from types import ModuleType

import pytest
from django.apps import apps
from temporalio.converter import DataConverter

from oms_project.payload_types import resolve_annotations
from orders.contracts import LineInput, PaymentInput, PlaceOrderInput

# Modules whose dataclasses travel as payloads besides the apps' contracts: state the progress queries return.
PAYLOAD_MODULES = ["orders.domain", "returns.domain", "sagas.saga", "orders.workflow_state", "returns.workflow_state"]


def payload_modules() -> list[ModuleType]:
    names = [f"{config.name}.contracts" for config in apps.get_app_configs()]
    names += [f"oms_project.{info.name}" for info in pkgutil.iter_modules(["oms_project"]) if "contracts" in info.name]
    found = [importlib.import_module(name) for name in names if importlib.util.find_spec(name) is not None]
    return found + [importlib.import_module(name) for name in PAYLOAD_MODULES]


def test_every_payload_dataclass_has_resolved_annotations() -> None:
    modules = payload_modules()
    assert len(modules) >= 12, [module.__name__ for module in modules]
    unresolved = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module.__name__:
                strings = [name for name, hint in inspect.get_annotations(value).items() if isinstance(hint, str)]
                if strings:
                    unresolved[f"{module.__name__}.{value.__name__}"] = strings
    assert not unresolved, f"end these modules with resolve_annotations(globals()): {unresolved}"


def test_a_module_with_string_annotations_is_resolved_to_its_own_fields_only(monkeypatch: pytest.MonkeyPatch) -> None:
    module = ModuleType("payload_types_probe")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses looks its module up
    exec(
        "from __future__ import annotations\n"
        "from dataclasses import dataclass\n"
        "@dataclass\nclass Base:\n    a: int\n"
        "@dataclass\nclass Child(Base):\n    b: list[Base] | None = None\n",
        module.__dict__,
    )
    base, child = module.Base, module.Child
    assert inspect.get_annotations(child) == {"b": "list[Base] | None"}
    resolve_annotations(module.__dict__)
    assert inspect.get_annotations(base) == {"a": int}
    assert inspect.get_annotations(child) == {"b": list[base] | None}
    assert [field.name for field in dataclasses.fields(child)] == ["a", "b"]


async def test_payloads_round_trip_through_the_converter_unchanged() -> None:
    order = PlaceOrderInput(
        number="R-1",
        channel="api",
        partner_id=None,
        customer_id=7,
        external_ref="",
        currency="EUR",
        lines=[LineInput(sku="A", name="A", unit_price="1.50", quantity=2, line_total="3.00")],
        subtotal="3.00",
        discount="0.00",
        shipping="0.00",
        tax="0.00",
        total="3.00",
        contact={"email": "a@example.com"},
        shipping_address={},
        delivery={"method": None},
        payment=PaymentInput(method="card", token="tok"),
        actor="partner:1",
        placed_at="2026-12-03T09:30:00+00:00",
    )
    converter = DataConverter.default
    payloads = await converter.encode([order])
    assert await converter.decode(payloads, [PlaceOrderInput]) == [order]
