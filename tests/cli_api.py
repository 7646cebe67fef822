"""`ubp` against the HTTP API served by uvicorn on a free port, over a test's party client,
records database and worker: the CLI's acting commands sign in there with a token."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner, Result

from client.parties import PartyClient
from devstack.server import free_port
from records.store import RecordStore
from settings import Settings, get_settings
from web.app import api_server


@dataclass
class Ubp:
    """Runs `ubp` in a thread (the API answers on the test's event loop), signed in as
    `as_` (a staff id in `tokens`), or with no token at all."""

    url: str
    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, store: RecordStore, staff_id: str) -> str:
        """A token for `staff_id`, issued once and kept."""
        if staff_id not in self.tokens:
            self.tokens[staff_id] = store.issue_token(staff_id)
        return self.tokens[staff_id]

    async def __call__(self, *args: str, as_: str | None = None) -> Result:
        from starter.ubp import app

        env = {"UBP_TOKEN": self.tokens[as_] if as_ is not None else None}

        def invoke() -> Result:
            get_settings.cache_clear()  # UBP_TOKEN is read with the settings
            try:
                return CliRunner().invoke(app, list(args), env=env)
            finally:
                get_settings.cache_clear()

        return await asyncio.to_thread(invoke)


@contextlib.asynccontextmanager
async def ubp_over_api(
    parties: PartyClient, store: RecordStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Ubp]:
    """The API on a free port over `parties` and `store`; `ubp` pointed at it, at the test's
    records database, Temporal server, task queue and keys."""
    server = api_server(settings.model_copy(update={"api_port": free_port()}), parties, store, embedded=True)
    serving = asyncio.create_task(server.serve())
    url = f"http://127.0.0.1:{server.config.port}"
    assert settings.encryption_keys is not None
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "UBP_TASK_QUEUE": settings.task_queue,
        "UBP_TEMPORAL_ADDRESS": parties.client.service_client.config.target_host,
        "UBP_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "UBP_DOOR_KEY_FILE": str(settings.door_key_file),
        "UBP_API_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises why it did not start, if it says
                raise AssertionError("the API stopped before it started")
            await asyncio.sleep(0.05)
        yield Ubp(url)
    finally:
        server.should_exit = True
        await serving
        get_settings.cache_clear()
