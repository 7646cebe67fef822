"""Session-wide Temporal servers (time-skipping and the real dev server) and a
records database per test: SQLite by default, PostgreSQL when DATABASE_URL
points at it."""

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from records.db import create_schema, make_engine
from records.store import RecordStore
from settings import Settings
from starter.binaries import temporal_cli, time_skipping_server
from starter.client import PartyClient
from worker import build_worker
from tests.records_fixtures import isolated_postgres_schema
from workflows import search_attributes as sa


SUGGEST_CAN_AT = 200


@pytest_asyncio.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=time_skipping_server()
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
async def dev_server_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=temporal_cli(),
        search_attributes=sa.ALL,
        # Continue-as-new early, so the tests exercise it on every busy party.
        dev_server_extra_args=["--dynamic-config-value", f"limit.historyCount.suggestContinueAsNew={SUGGEST_CAN_AT}"],
    )
    yield env
    await env.shutdown()


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """PostgreSQL (a schema of its own) when DATABASE_URL names it, else a fresh SQLite file.
    The test script runs the suite both ways."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        with isolated_postgres_schema(url) as schema_url:
            yield schema_url
    else:
        yield f"sqlite:///{tmp_path / 'records.db'}"


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(DATABASE_URL=database_url, task_queue=f"test-{uuid.uuid4()}")


@pytest.fixture
def store(settings) -> Iterator[RecordStore]:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


class TrackingPartyClient(PartyClient):
    """Remembers the parties a test touched, so teardown can end their workflows."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.party_ids: set[str] = set()

    def _start(self, party):
        self.party_ids.add(party.party_id)
        return super()._start(party)

    async def send_incident(self, report) -> None:
        self.party_ids.add(report.party.party_id)
        await super().send_incident(report)

    async def terminate_all(self) -> None:
        for party_id in self.party_ids:
            try:
                await self.handle(party_id).terminate(reason="test finished")
            except RPCError:
                pass  # already completed


@pytest_asyncio.fixture
async def parties(time_skipping_env, settings) -> AsyncIterator[PartyClient]:
    """A PartyClient on the time-skipping server with a worker on a fresh task queue.
    Its parties are terminated afterwards: the time-skipping server does not skip
    time while a workflow task waits for a worker that has gone."""
    client = TrackingPartyClient(time_skipping_env.client, settings.task_queue, settings.timezone)
    async with build_worker(time_skipping_env.client, settings):
        yield client
        await client.terminate_all()


@pytest_asyncio.fixture
async def dev_parties(dev_server_env, settings) -> AsyncIterator[PartyClient]:
    """A PartyClient on the real dev server with a worker on a fresh task queue."""
    async with build_worker(dev_server_env.client, settings):
        yield PartyClient(dev_server_env.client, settings.task_queue, settings.timezone)
