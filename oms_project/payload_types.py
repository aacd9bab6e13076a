"""Payload dataclasses whose annotations are types, not strings, so Temporal's converter reads them cheaply.

Temporal's payload converter rebuilds a dataclass from JSON by asking ``typing.get_type_hints`` for its fields, on
every conversion of every payload (an activity's input and result, an update's argument, a workflow's input), and
does not cache the answer. Modules written with ``from __future__ import annotations`` keep their annotations as
strings, so each of those calls compiles and evaluates every field's annotation again: 72 us per class against 18
once they are types (measured over the order's 28 contract classes), about 6% of the worker's CPU per order in a
profile (docs/benchmarks.md, issue #19). Each module of payload dataclasses ends with
``resolve_annotations(globals())``; ``tests/unit/oms_project/test_payload_types.py`` checks that they all do.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from typing import Any


def resolve_annotations(namespace: dict[str, Any]) -> None:
    """Replace the string annotations of the dataclasses defined in the module ``namespace`` (its ``globals()``,
    once every class is defined) by the types they name. ``dataclasses.fields`` and the classes are unchanged."""
    module = namespace["__name__"]
    for value in list(namespace.values()):
        if isinstance(value, type) and dataclasses.is_dataclass(value) and value.__module__ == module:
            own = inspect.get_annotations(value)  # its own, not its bases'
            hints = typing.get_type_hints(value)
            value.__annotations__ = {name: hints[name] for name in own}
