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
from records.db import make_engine
from records.store import RecordStore
from starter import demo
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


async def _until_stopped() -> None:
    """Wait for Ctrl+C or SIGTERM (a supervisor's stop), whichever comes first."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def run_dev_stack(settings: Settings, *, seed_demo: bool = False) -> None:
    """Start the dev server and a worker (and seed the demo parties); run until
    cancelled, then stop both."""
    if _port_open(settings.temporal_address):
        raise RuntimeError(
            f"something already listens on {settings.temporal_address}; stop it or set UBP_TEMPORAL_ADDRESS"
        )
    Path(settings.temporal_db_file).parent.mkdir(parents=True, exist_ok=True)
    log_file = open(Path(settings.temporal_db_file).parent / "temporal.log", "ab")
    server = subprocess.Popen(dev_server_command(settings), stdout=log_file, stderr=subprocess.STDOUT)
    try:
        await _wait_for_port(settings.temporal_address, server)
        client = await connect(settings)
        host = settings.temporal_address.rsplit(":", 1)[0]
        log.info("Temporal UI: http://%s:%s", host, settings.temporal_ui_port)
        log.info("records database: %s", settings.database_url)
        async with build_worker(client, settings) as worker:
            if seed_demo:
                store = RecordStore(make_engine(settings.database_url))
                for line in await demo.seed(PartyClient(client, settings.task_queue, settings.timezone), store):
                    log.info("demo party %s", line)
            log.info("running; press Ctrl+C to stop")
            await _until_stopped()
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log_file.close()
        log.info("stopped the Temporal dev server and the worker")
