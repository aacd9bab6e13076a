"""Worker settings that benchmarks switch: the workflow runner and the SDK metrics runtime."""

from __future__ import annotations

from temporalio.worker import UnsandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from oms_project.workers import workflow_runner
from tests.temporal_env import settings_override


def test_workflow_runner_is_sandboxed_unless_configured() -> None:
    assert isinstance(workflow_runner(), SandboxedWorkflowRunner)
    with settings_override(WORKER_WORKFLOW_RUNNER="unsandboxed"):
        assert isinstance(workflow_runner(), UnsandboxedWorkflowRunner)
