"""The worker's health check (client.liveness): its heartbeat is fresh only while Temporal
sees the worker polling, so a worker that is running but does no work fails it (finding 2
of bench/RESULTS.md: a stalled worker whose metrics endpoint still answered)."""

import asyncio
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from client.connection import connect
from client.liveness import keep_heartbeat, polling, stale
from devstack.proxy import TcpProxy
from settings import Settings
from worker import build_worker

pytestmark = pytest.mark.devserver

EVERY = timedelta(seconds=0.3)
FRESH = timedelta(seconds=2)
MAX_AGE = timedelta(seconds=2)


def health_check(heartbeat: Path) -> subprocess.CompletedProcess[str]:
    """The compose file's health check, as it runs it."""
    return subprocess.run(
        [sys.executable, "-m", "client.liveness", str(heartbeat), "--max-age", str(MAX_AGE.total_seconds())],
        capture_output=True,
        text=True,
    )


async def until(condition, what: str, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


async def test_a_worker_cut_off_from_temporal_fails_its_health_check_and_passes_again_when_back(
    dev_server_env, settings: Settings, tmp_path: Path
):
    host, port = dev_server_env.client.service_client.config.target_host.rsplit(":", 1)
    proxy = TcpProxy(host, int(port))
    proxy.restore()
    heartbeat = tmp_path / "heartbeat"
    try:
        client = await connect(settings.model_copy(update={"temporal_address": f"127.0.0.1:{proxy.port}"}))
        async with build_worker(client, settings):
            beating = asyncio.create_task(
                keep_heartbeat(client, settings.task_queue, heartbeat, every=EVERY, fresh=FRESH)
            )
            try:
                await until(lambda: stale(heartbeat, MAX_AGE) is None, "the heartbeat of a polling worker")
                assert health_check(heartbeat).returncode == 0
                # Wedged: the process and its loop run on, but no poll reaches the server.
                proxy.cut()
                await until(lambda: stale(heartbeat, MAX_AGE) is not None, "a stale heartbeat", seconds=20)
                failed = health_check(heartbeat)
                assert failed.returncode == 1 and "the worker is not polling" in failed.stderr
                proxy.restore()
                await until(lambda: stale(heartbeat, MAX_AGE) is None, "the heartbeat back", seconds=30)
            finally:
                beating.cancel()
    finally:
        proxy.close()


async def test_the_server_no_longer_sees_a_worker_that_stopped_polling(dev_server_env, settings: Settings):
    client = dev_server_env.client
    worker = build_worker(client, settings)
    running = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if await polling(client, settings.task_queue, client.identity, FRESH):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the server never saw the worker polling")
    finally:
        await worker.shutdown()
        await running
    await asyncio.sleep(FRESH.total_seconds() + 0.5)
    assert not await polling(client, settings.task_queue, client.identity, FRESH)


def test_no_heartbeat_yet_fails(tmp_path: Path):
    failed = health_check(tmp_path / "none")
    assert failed.returncode == 1 and "not yet been seen polling" in failed.stderr
