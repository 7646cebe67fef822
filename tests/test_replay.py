"""Replay safety: stored histories of representative parties replay with the
current workflow code; an incompatible change is caught; the same change
behind workflow.patched() passes.

The histories under tests/histories/ cover every stage, every task kind,
rejected signals and continue-as-new. Until the first release is tagged they
may be regenerated (`UBP_RECORD_HISTORIES=1 bash scripts/test.sh -k "lifecycle
or approvals or bad_input or dev_server"`); after it, never: add new ones
beside them instead.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

# This module defines workflows, so the sandbox re-imports it: the models must
# pass through, or the workflow would see a second copy of every class.
with workflow.unsafe.imports_passed_through():
    from policy.payloads import PartyWorkflowInput
    from policy.replies import PartyStatus
    from workflows.party import PartyWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, path.read_text())


async def _replay(workflow_class: type, path: Path) -> None:
    replayer = Replayer(workflows=[workflow_class], data_converter=pydantic_data_converter)
    await replayer.replay_workflow(_history(path))


@workflow.defn(name="PartyWorkflow")
class PartyWorkflowWithExtraPause(PartyWorkflow):
    """A deliberate incompatible change: a timer before the party's file is read."""

    @workflow.run
    async def run(self, inp: PartyWorkflowInput) -> PartyStatus:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(inp)


@workflow.defn(name="PartyWorkflow")
class PartyWorkflowWithPatchedPause(PartyWorkflow):
    """The same change, behind a patch: old histories take the old path."""

    @workflow.run
    async def run(self, inp: PartyWorkflowInput) -> PartyStatus:
        if workflow.patched("pause-before-reading-the-file"):
            await workflow.sleep(timedelta(seconds=1))
        return await super().run(inp)


def test_histories_are_stored():
    assert len(HISTORIES) >= 10
    assert any("continue_as_new" in p.name for p in HISTORIES)


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: p.stem)
async def test_stored_history_replays_with_current_code(path: Path):
    await _replay(PartyWorkflow, path)


async def test_incompatible_change_is_caught():
    with pytest.raises(NondeterminismError):
        await _replay(PartyWorkflowWithExtraPause, HISTORIES[0])


@pytest.mark.parametrize("path", HISTORIES[:3], ids=lambda p: p.stem)
async def test_same_change_behind_patched_replays(path: Path):
    await _replay(PartyWorkflowWithPatchedPause, path)
