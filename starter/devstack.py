"""The embedded default: the Temporal dev server (SQLite file) plus the worker.

Parties and their timers survive a restart because the server keeps its
state in `var/temporal.db` and the records in `var/records.db`.
"""

import asyncio
import contextlib
import logging
import signal
import socket
import subprocess
from pathlib import Path

from settings import Settings
from starter.binaries import temporal_cli
from records.db import create_schema, make_engine
from records.store import RecordStore
from starter import demo
from starter.api import api_server
from starter.client import PartyClient, connect
from worker import build_worker
from workflows import search_attributes as sa

log = logging.getLogger(__name__)


def dev_server_command(settings: Settings) -> list[str]:
    host, port = settings.temporal_address.rsplit(":", 1)
    return [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        host,
        "--port",
        port,
        "--ui-port",
        str(settings.temporal_ui_port),
        "--db-filename",
        str(settings.temporal_db_file),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
        *sa.dev_server_flags(),
    ]


def _port_open(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, int(port))) == 0


async def _wait_for_port(address: str, server: subprocess.Popen, seconds: float = 60) -> None:
    for _ in range(int(seconds * 10)):
        if server.poll() is not None:
            raise RuntimeError(f"the Temporal dev server exited with code {server.returncode}; see var/temporal.log")
        if _port_open(address):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the Temporal dev server did not open {address} within {seconds:.0f} s")


async def _until_stopped(serving: asyncio.Task) -> None:
    """Wait for Ctrl+C or SIGTERM (a supervisor's stop), whichever comes first;
    or for the API server to end by itself, which is an error."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([stopping, serving], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if serving.done() and not stop.is_set():
        serving.result()  # its error, if it raised one
        raise RuntimeError("the HTTP API server stopped; see the log above")


async def run_dev_stack(settings: Settings, *, seed_demo: bool = False) -> None:
    """Start the dev server, a worker and the HTTP API with the inbox (and seed
    the demo parties); run until cancelled, then stop them all."""
    for address, setting in (
        (settings.temporal_address, "UBP_TEMPORAL_ADDRESS"),
        (f"{settings.api_host}:{settings.api_port}", "UBP_API_PORT"),
    ):
        if _port_open(address):
            raise RuntimeError(f"something already listens on {address}; stop it or set {setting}")
    Path(settings.temporal_db_file).parent.mkdir(parents=True, exist_ok=True)
    log_file = open(Path(settings.temporal_db_file).parent / "temporal.log", "ab")
    server = subprocess.Popen(dev_server_command(settings), stdout=log_file, stderr=subprocess.STDOUT)
    engine = make_engine(settings.database_url)
    try:
        await _wait_for_port(settings.temporal_address, server)
        client = await connect(settings)
        host = settings.temporal_address.rsplit(":", 1)[0]
        log.info("Temporal UI: http://%s:%s", host, settings.temporal_ui_port)
        log.info("records database: %s", settings.database_url)
        create_schema(engine)
        store = RecordStore(engine)
        parties = PartyClient(client, settings.task_queue, settings.timezone)
        async with build_worker(client, settings):
            if seed_demo:
                for line in await demo.seed(parties, store):
                    log.info("demo party %s", line)
            api = api_server(settings, parties, store, embedded=True)
            serving = asyncio.create_task(api.serve())
            inbox = f"http://{settings.api_host}:{settings.api_port}/inbox"
            if seed_demo:
                # Dev only: a fresh sign-in link for the demo manager, so the inbox opens at once.
                inbox += f"?token={store.issue_token('demo-manager')}"
            log.info("managers' inbox: %s", inbox)
            log.info("HTTP API docs: http://%s:%s/docs", settings.api_host, settings.api_port)
            log.info("running; press Ctrl+C to stop")
            try:
                await _until_stopped(serving)
            finally:
                api.should_exit = True
                await asyncio.wait([serving], timeout=10)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
        engine.dispose()
        log.info("stopped the Temporal dev server, the worker and the API")
