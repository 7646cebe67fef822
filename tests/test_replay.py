"""Replay safety: stored histories of every workflow type replay with the current
workflow code; an incompatible change is caught; the same change behind
workflow.patched() passes.

Histories are kept per release, in tests/histories/RELEASE/, recorded when the
release was cut (docs/operations.md, "Cutting a release") and never regenerated:
every later release must replay them all, each under its own workflow id. They cover every stage, every task kind,
rejected signals, continue-as-new, and each workflow the worker runs.

Every history is written under the replay fixtures' keys: payloads encrypted
with tests/replay-keys.json, messages sealed with tests/replay-door-keys.json.
They replay as the worker runs them: its workflows, its converter (payloads it
decrypted are marked, so unencrypted messages are refused), its sandbox runner,
and the door's public keys trusted.
"""

import functools
import json
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.common import RawValue
from temporalio.worker import Replayer
from temporalio.workflow import NondeterminismError

# This module defines workflows, so the sandbox re-imports it: the models must
# pass through, or the workflow would see a second copy of every class.
with workflow.unsafe.imports_passed_through():
    from client.codec import is_encrypted
    from client.connection import DEFAULT_NAMESPACE, data_converter
    from client.door import DoorKeys
    from client.history import history_payloads
    from client.keys import read_key_file
    from policy.replies import PartyStatus
    from tests.conftest import WORKFLOW_IDS
    from tests.helpers import REPLAY_DOOR_KEYS, REPLAY_KEYS
    from tests.releases import releases as releases_so_far
    from worker import WORKFLOW_RUNNER, WORKFLOWS
    from workflows.party import PartyWorkflow
    from workflows.trust import trust

HISTORIES = sorted(p for p in (Path(__file__).parent / "histories").glob("*/*.json") if p.name != WORKFLOW_IDS)
# The workflow types the worker ran when the first release was cut: each release keeps them all
# (a type added since has none until the next release, as none can be running anywhere yet).
FIRST_RELEASE_KINDS = {
    "PartyWorkflow",
    "NoticeDispatch",
    "DailyDigest",
    "RetentionSweep",
    "PartyErasure",
    "WebhookDelivery",
}


@functools.cache
def _workflow_ids(folder: Path) -> dict[str, str]:
    """A release's histories' workflow ids, by file name (tests/conftest.py `_keep`)."""
    return json.loads((folder / WORKFLOW_IDS).read_text())


def _history(path: Path) -> WorkflowHistory:
    """The history as its workflow ran it: under its own workflow id."""
    return WorkflowHistory.from_json(_workflow_ids(path.parent)[path.stem], path.read_text())


def _kind(path: Path) -> str:
    return _history(path).events[0].workflow_execution_started_event_attributes.workflow_type.name


PARTY_HISTORIES = [p for p in HISTORIES if _kind(p) == "PartyWorkflow"]


async def _replay(workflows: list[type], path: Path) -> None:
    converter = data_converter(read_key_file(REPLAY_KEYS), DEFAULT_NAMESPACE, worker=True)
    trust(DoorKeys.from_json(REPLAY_DOOR_KEYS.read_text(), str(REPLAY_DOOR_KEYS)).verifier())
    replayer = Replayer(workflows=workflows, data_converter=converter, workflow_runner=WORKFLOW_RUNNER)
    await replayer.replay_workflow(_history(path))


@workflow.defn(name="PartyWorkflow")
class PartyWorkflowWithExtraPause(PartyWorkflow):
    """A deliberate incompatible change: a timer before the party's file is read."""

    @workflow.run
    async def run(self, raw: RawValue) -> PartyStatus:
        await workflow.sleep(timedelta(seconds=1))
        return await super().run(raw)


@workflow.defn(name="PartyWorkflow")
class PartyWorkflowWithPatchedPause(PartyWorkflow):
    """The same change, behind a patch: old histories take the old path."""

    @workflow.run
    async def run(self, raw: RawValue) -> PartyStatus:
        if workflow.patched("pause-before-reading-the-file"):
            await workflow.sleep(timedelta(seconds=1))
        return await super().run(raw)


def test_histories_are_stored_for_every_release():
    releases = list(releases_so_far())
    folders = sorted({p.parent.name for p in HISTORIES})
    assert set(releases) <= set(folders), "a folder of histories per release"
    for folder in folders:
        kept = [p for p in HISTORIES if p.parent.name == folder]
        assert any("continue_as_new" in p.name for p in kept), folder
    for release in releases:
        kinds = {_kind(p) for p in HISTORIES if p.parent.name == release}
        assert kinds >= FIRST_RELEASE_KINDS, (release, kinds)
    for path in HISTORIES:
        assert _workflow_ids(path.parent).get(path.stem), f"{path}: its workflow id is not in {WORKFLOW_IDS}"


def test_every_stored_history_was_written_encrypted():
    plain = {p.name for p in HISTORIES if not any(map(is_encrypted, history_payloads(_history(p))))}
    assert not plain, f"written without encryption, so its messages would now be refused: {sorted(plain)}"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_stored_history_replays_with_current_code(path: Path):
    await _replay(WORKFLOWS, path)


async def test_incompatible_change_is_caught():
    with pytest.raises(NondeterminismError):
        await _replay([PartyWorkflowWithExtraPause], PARTY_HISTORIES[0])


@pytest.mark.parametrize("path", PARTY_HISTORIES[:3], ids=lambda p: p.stem)
async def test_same_change_behind_patched_replays(path: Path):
    await _replay([PartyWorkflowWithPatchedPause], path)
