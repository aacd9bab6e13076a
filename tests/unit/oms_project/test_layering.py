"""Layering (issue #13, STYLE.md): the domain and the activities never import the API layer (DRF, views,
serializers), not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BELOW_THE_API = [
    "orders/bodies.py",
    "orders/services.py",
    "orders/activities.py",
    "webhooks/services.py",
    "webhooks/activities.py",
]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):  # every import, module level or function-local
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def is_api_layer(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in {"rest_framework", "drf_spectacular"} or "api" in parts or parts[-1] == "views"


@pytest.mark.parametrize("relative", BELOW_THE_API)
def test_module_imports_nothing_from_the_api_layer(relative: str) -> None:
    offending = sorted(module for module in imported_modules(ROOT / relative) if is_api_layer(module))
    assert offending == [], f"{relative} imports {offending}"


def test_order_services_import_the_body_renderer_at_module_level() -> None:
    tree = ast.parse((ROOT / "orders/services.py").read_text())
    top_level = {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
    assert "orders.bodies" in top_level
