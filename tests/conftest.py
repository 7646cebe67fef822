"""Session-wide Temporal servers (time-skipping and the real dev server) whose
clients encrypt every payload, and a records database per test: SQLite by
default, PostgreSQL when DATABASE_URL points at it."""

import asyncio
import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from client.connection import DEFAULT_NAMESPACE, data_converter
from client.door import DoorKeys, dev_door_keys
from client.keys import KeyRing, dev_key_ring, read_key_file
from client.parties import PartyClient
from devstack.server import temporal_cli, time_skipping_server
from records.db import make_engine, throwaway_postgres_schema
from records.schema import upgrade_schema
from records.store import RecordStore
from settings import Settings
from tests.helpers import REPLAY_DOOR_KEYS, REPLAY_KEYS
from worker import build_worker
from workflows import search_attributes as sa
from workflows.party import workflow_id_for

# The `record_store` fixture; `chromium`, `inbox` and `zero_tolerance_party` for the browser tests.
pytest_plugins = ["tests.records_fixtures", "tests.browser"]
TEST_SCHEMA_PREFIX = "ubp_test"

SUGGEST_CAN_AT = 200
# Stored histories, a folder per release (tests/test_replay.py); UBP_RECORD_HISTORIES names
# the release being cut, whose folder the tests then write.
HISTORIES = Path(__file__).parent / "histories"
RECORDING = os.environ.get("UBP_RECORD_HISTORIES", "")
# In each release's folder: every history's workflow id, by the history's file name.
WORKFLOW_IDS = "workflow-ids.json"


@pytest.fixture(scope="session")
def key_ring() -> KeyRing:
    """The tests' keys: var/encryption-keys.json (made on first use, then reused, as `ubp dev` does),
    or the replay fixtures' key while histories are recorded."""
    if RECORDING:
        return read_key_file(REPLAY_KEYS)
    return dev_key_ring(Settings())


@pytest.fixture(scope="session")
def door_key_file() -> Path:
    """The tests' door keys (policy.authority): var/door-keys.json (made on first use, as
    `ubp dev` does), or the replay fixtures' while histories are recorded."""
    if RECORDING:
        return REPLAY_DOOR_KEYS
    settings = Settings()
    dev_door_keys(settings)
    return settings.door_key_file


@pytest.fixture(scope="session")
def door_keys(door_key_file) -> DoorKeys:
    return DoorKeys.from_json(door_key_file.read_text(), str(door_key_file))


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env(key_ring) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(key_ring, DEFAULT_NAMESPACE), test_server_existing_path=time_skipping_server()
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace=env.client.namespace,
            search_attributes={k.name: IndexedValueType.ValueType(k.indexed_value_type) for k in sa.ALL},
        )
    )
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_server_env(key_ring) -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        namespace=DEFAULT_NAMESPACE,
        data_converter=data_converter(key_ring, DEFAULT_NAMESPACE),
        dev_server_existing_path=temporal_cli(),
        search_attributes=sa.ALL,
        # Continue-as-new early, so the tests exercise it on every busy party.
        dev_server_extra_args=["--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_CAN_AT}"],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """PostgreSQL (a schema of its own) when DATABASE_URL names it, else a fresh SQLite file;
    at the code's schema revision. The test script runs the suite both ways."""
    url = os.environ.get("DATABASE_URL", "")
    with contextlib.ExitStack() as stack:
        if url.startswith("postgresql"):
            url = stack.enter_context(throwaway_postgres_schema(url, TEST_SCHEMA_PREFIX))
        else:
            url = f"sqlite:///{tmp_path / 'records.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        engine.dispose()
        yield url


@pytest.fixture
def settings(database_url, key_ring, door_key_file) -> Settings:
    return Settings(
        DATABASE_URL=database_url,
        task_queue=f"test-{uuid.uuid4()}",
        encryption_keys=key_ring.to_json(),
        door_key_file=door_key_file,
    )


@pytest.fixture
def store(settings) -> Iterator[RecordStore]:
    engine = make_engine(settings.database_url)
    yield RecordStore(engine)
    engine.dispose()


class TrackingPartyClient(PartyClient):
    """Remembers the parties a test touched, so teardown can end their workflows."""

    def __init__(self, client, task_queue: str, timezone: str, door: DoorKeys | None = None) -> None:
        # Seals each message as the staff member it names (tests.helpers.local_parties).
        super().__init__(client, task_queue, timezone, door, acts_as_named=door is not None)
        self.party_ids: set[str] = set()

    def _start(self, party):
        self.party_ids.add(party.party_id)
        return super()._start(party)

    async def send_incident(self, report, by=None) -> None:
        self.party_ids.add(report.party.party_id)
        await super().send_incident(report, by)

    async def adopt(self, party) -> None:
        self.party_ids.add(party.party_id)
        await super().adopt(party)

    async def terminate_all(self) -> None:
        """End the test's parties, first letting running activities finish: the
        time-skipping server does not skip time while an activity abandoned by a
        stopped worker is still within its timeout."""
        for party_id in self.party_ids:
            handle = self.handle(party_id)
            request = DescribeWorkflowExecutionRequest(
                namespace=self.client.namespace, execution=WorkflowExecution(workflow_id=handle.id)
            )
            for _ in range(100):
                # The raw call: the time-skipping server's answer trips describe()'s parsing.
                try:
                    description = await self.client.workflow_service.describe_workflow_execution(request)
                except RPCError:
                    break  # deleted (an erasure test)
                if not description.pending_activities:
                    break
                await asyncio.sleep(0.05)
            try:
                await handle.terminate(reason="test finished")
            except RPCError:
                pass  # already completed

    async def save_histories(self, test_name: str, run_ids: dict[str, list[str]] | None = None) -> None:
        """With UBP_RECORD_HISTORIES set, keep every run of this test's parties as
        replay fixtures (tests/histories/); see tests/test_replay.py."""
        for n, party_id in enumerate(sorted(self.party_ids)):
            for m, run_id in enumerate((run_ids or {}).get(party_id, [None])):
                handle = self.client.get_workflow_handle(workflow_id_for(party_id), run_id=run_id)
                history = await handle.fetch_history()
                _keep(history, f"{test_name}-{n}-{m}")


@pytest_asyncio.fixture
async def parties(time_skipping_env, settings, door_keys, request) -> AsyncIterator[PartyClient]:
    """A PartyClient on the time-skipping server with a worker on a fresh task queue.
    Its parties are terminated afterwards: the time-skipping server does not skip
    time while a workflow task waits for a worker that has gone."""
    client = TrackingPartyClient(time_skipping_env.client, settings.task_queue, settings.timezone, door=door_keys)
    async with build_worker(time_skipping_env.client, settings):
        yield client
        await client.terminate_all()
    if RECORDING:
        await client.save_histories(request.node.name)


@pytest_asyncio.fixture
async def dev_parties(dev_server_env, settings, door_keys, request) -> AsyncIterator[PartyClient]:
    """A PartyClient on the real dev server with a worker on a fresh task queue."""
    client = TrackingPartyClient(dev_server_env.client, settings.task_queue, settings.timezone, door=door_keys)
    async with build_worker(dev_server_env.client, settings):
        yield client
        await client.terminate_all()
    if RECORDING:
        run_ids = {}
        for party_id in client.party_ids:
            query = f"WorkflowId = '{workflow_id_for(party_id)}'"
            runs = [w async for w in dev_server_env.client.list_workflows(query)]
            # The first run ends in continue-as-new: enough to prove replay across it.
            run_ids[party_id] = [w.run_id for w in sorted(runs, key=lambda w: w.start_time)][:2]
        await client.save_histories(request.node.name, run_ids)


def _keep(history: WorkflowHistory, name: str) -> None:
    """Writes the history, and its workflow id beside it (tests/test_replay.py replays it under
    that id: the servers leave the started event's own field empty, and a workflow may read
    its id, as the erasure does to check that its seal was made for it)."""
    folder = HISTORIES / RECORDING
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(history.to_json())
    ids_file = folder / WORKFLOW_IDS
    ids = json.loads(ids_file.read_text()) if ids_file.exists() else {}
    ids[name] = history.workflow_id
    ids_file.write_text(json.dumps(ids, indent=1, sort_keys=True) + "\n")


@pytest_asyncio.fixture(autouse=True)
async def _record_other_workflows(request, monkeypatch) -> AsyncIterator[None]:
    """While histories are recorded, every other workflow a test starts (notices, digests,
    retention, erasure, webhook deliveries) is kept too, so each type is replayed."""
    if not RECORDING:
        yield
        return
    started: list[WorkflowHandle] = []
    start_workflow = Client.start_workflow

    async def recording(self: Client, *args, **kwargs) -> WorkflowHandle:
        handle = await start_workflow(self, *args, **kwargs)
        started.append(handle)
        return handle

    monkeypatch.setattr(Client, "start_workflow", recording)
    yield
    for n, handle in enumerate(started):
        history = await handle.fetch_history()
        kind = history.events[0].workflow_execution_started_event_attributes.workflow_type.name
        if kind != "PartyWorkflow":  # kept with all their runs by save_histories
            _keep(history, f"{request.node.name}-{kind}-{n}")
