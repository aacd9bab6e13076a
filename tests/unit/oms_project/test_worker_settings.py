"""Worker settings that benchmarks switch: the workflow runner and the SDK metrics runtime; bytecode caching."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import pytest
from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from oms_project.workers import cache_workflow_bytecode, workflow_runner
from tests.temporal_env import settings_override


def test_workflow_runner_is_sandboxed_unless_configured() -> None:
    assert isinstance(workflow_runner(), SandboxedWorkflowRunner)
    with settings_override(WORKER_WORKFLOW_RUNNER="unsandboxed"):
        assert isinstance(workflow_runner(), UnsandboxedWorkflowRunner)


def test_workflow_module_bytecode_is_written_even_when_bytecode_writing_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "bytecode_probe_workflows.py"
    source.write_text("class ProbeWorkflow:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    module = importlib.import_module("bytecode_probe_workflows")
    cached = Path(importlib.util.cache_from_source(str(source)))
    assert not cached.exists()  # the import itself wrote nothing

    cache_workflow_bytecode([module.ProbeWorkflow])

    assert cached.exists()  # what every later (sandbox) import of the module loads instead of compiling
    sys.modules.pop("bytecode_probe_workflows")
