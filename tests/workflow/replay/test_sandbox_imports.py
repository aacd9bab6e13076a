"""The sandbox re-imports only the workflow modules for each workflow run, never the pure code they use.

The sandboxed runner loads a workflow's own module (and its package) afresh for every run, so workflow state never
leaks between runs. What a workflow module imports under ``imports_passed_through()`` (contracts, domain rules) is
meant to come from the worker's process, loaded once. One import form defeats that: ``from orders import domain``
asks the freshly loaded ``orders`` package for ``domain``, and the sandbox then executes ``orders/domain.py`` again,
its dataclasses and enums included, for every order, cart and e-mail (measured: an e-mail workflow run cost 10 ms of
worker CPU instead of 5, docs/benchmarks.md, issue #19). Workflow modules write ``import orders.domain as domain``.
This test replays one stored history of each workflow type and fails if any other module was loaded in the sandbox.

What a workflow module itself defines is built again for every run too: a dataclass there (its methods generated and
compiled) cost about 6 ms of worker CPU per order for the order process's four. State and command dataclasses live
in a passed-through module (``orders.workflow_state``, ``returns.workflow_state``); the second test keeps it so.
"""

from __future__ import annotations

import ast
import importlib._bootstrap as bootstrap
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory

from carts.workflows import CartWorkflow
from notifications.workflows import EmailWorkflow
from oms_project import workers
from orders.workflows import OrderWorkflow
from orders.workflows_shipment import ShipmentWorkflow
from returns.workflows import ReturnWorkflow

TESTS = Path(__file__).resolve().parent.parent
HISTORIES = [
    (OrderWorkflow, TESTS / "replay" / "histories" / "order_process_two_shipments.json"),
    (EmailWorkflow, TESTS / "replay" / "histories" / "email_sent.json"),
    (ReturnWorkflow, TESTS / "replay" / "histories" / "return_refunded.json"),
    (CartWorkflow, TESTS / "carts" / "histories" / "cart_checkout_starts_order.json"),
]


@contextmanager
def modules_loaded() -> Iterator[list[str]]:
    """The names of the modules executed while the block runs (importlib's one loading function: a module that
    comes from ``sys.modules`` or is passed through from the worker's process is not executed again)."""
    loaded: list[str] = []
    original: Callable[[Any], Any] = bootstrap._load_unlocked

    def spy(spec: Any) -> Any:
        loaded.append(spec.name)
        return original(spec)

    bootstrap._load_unlocked = spy
    try:
        yield loaded
    finally:
        bootstrap._load_unlocked = original


@pytest.mark.parametrize(("workflow", "path"), HISTORIES, ids=lambda value: getattr(value, "stem", ""))
async def test_a_workflow_run_loads_only_its_own_module_afresh(workflow: type, path: Path) -> None:
    workflows = [workflow, ShipmentWorkflow] if workflow is OrderWorkflow else [workflow]
    replayer = workers.replayer(workflows)
    history = WorkflowHistory.from_json("sandbox-imports", path.read_text())
    await replayer.replay_workflow(history)  # the worker process's own imports happen on the first run
    with modules_loaded() as loaded:
        await replayer.replay_workflow(history)
    assert workflow.__module__ in loaded, f"the spy saw no sandbox import ({loaded}): the test would prove nothing"
    modules = {each.__module__ for each in workflows}
    allowed = modules | {module.rsplit(".", 1)[0] for module in modules}  # and the packages they are in
    assert set(loaded) <= allowed, f"loaded afresh in the sandbox: {sorted(set(loaded) - allowed)}"


def _dataclasses_defined(module: Any) -> list[str]:
    tree = ast.parse(inspect.getsource(module))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for decorator in node.decorator_list
        if "dataclass" in ast.unparse(decorator)
    ]


def test_workflow_modules_define_no_dataclasses() -> None:
    modules = {
        inspect.getmodule(workflow)
        for components in workers.collect_components().values()
        for workflow in components.workflows
    }
    assert len(modules) >= 5, f"the registry's workflow modules: {sorted(m.__name__ for m in modules)}"
    defined = {module.__name__: names for module in modules if (names := _dataclasses_defined(module))}
    assert not defined, (
        f"dataclasses built afresh for every workflow run (move them to a passed-through module): {defined}"
    )
