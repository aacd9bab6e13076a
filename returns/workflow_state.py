"""The return process's state (``ReturnState``) and its commands: pure dataclasses, no workflow code.

Outside returns/workflows.py for the same reason as ``orders.workflow_state``: the sandboxed runner executes a
workflow's own module afresh for every run, and a dataclass is costly to build; passed through, these are built once
per worker process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from oms_project.payload_types import resolve_annotations
from returns.contracts import ReceiveInput, StepInput


@dataclass
class Command:
    kind: str
    id: str
    step: StepInput | None = None
    receive: ReceiveInput | None = None


@dataclass
class ReturnState:
    """Everything the return process knows (the ``progress`` query shows it)."""

    return_id: str = ""
    status: str = ""  # "" until recorded
    step: str = "starting"
    pending_action: str = ""
    recorded: bool = False
    refusal: dict[str, Any] | None = None  # the request was refused: no row, the process ends
    receive_deadline: str = ""  # ISO 8601, set at approval
    pending: list[Command] = field(default_factory=list)
    outcomes: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # command id -> refusal or None
    writes: int = 0
    refund_failed: bool = False  # the PSP refused the refund: the return stays received, staff decide


resolve_annotations(globals())  # types, not strings, for the payload converter (oms_project.payload_types)
