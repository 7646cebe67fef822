"""The party worker in a process of its own, for tests that kill it.

    python -m tests.worker_process ADDRESS DATABASE_URL TASK_QUEUE

Prints READY as the worker starts; runs until killed, or sent SIGTERM or SIGINT (then it
stops as `python -m worker` does).
"""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from client.connection import connect
from settings import Settings
from tests.releases import Release
from worker import build_worker, run_until_stopped

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def stdout_to_stderr() -> None:
    """After READY, the process's stdout is its stderr. The parent reads stdout only for the READY
    line; sdk-core logs to stdout, and once an unread pipe fills (64 KiB) its workflow thread
    blocks in write(), so the worker stops polling for workflow tasks while its activity poller
    carries on (bench/RESULTS.md, finding 2: the stall it caused at 300 to 10,000 parties)."""
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())


async def main(address: str, database_url: str, task_queue: str) -> None:
    settings = Settings(temporal_address=address, DATABASE_URL=database_url, task_queue=task_queue)
    client = await connect(settings)
    worker = build_worker(client, settings)
    # READY before the first poll: the first task waits in the queue until the worker polls.
    print("READY", flush=True)
    stdout_to_stderr()
    await run_until_stopped(worker)


def start(
    address: str,
    database_url: str,
    task_queue: str,
    log: Path,
    *,
    netns: str | None = None,
    release: Release | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start the worker process and wait until it polls; its output goes to `log`.
    With `netns`, it runs in that network namespace (`ip netns exec`, which execs it: the
    process is the worker's own). With `release`, it is that release's worker, run from its
    own tree and environment (tests.releases); `env` adds to the environment."""
    in_netns = ["ip", "netns", "exec", netns] if netns else []
    python, root = (release.python, release.tree) if release else (Path(sys.executable), PROJECT_ROOT)
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [*in_netns, str(python), "-m", "tests.worker_process", address, database_url, task_queue],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=out,
            env={**os.environ, **(env or {})},
        )
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.strip() != b"READY":
        process.kill()
        raise RuntimeError(f"the worker process did not start: {line!r}; see {log}")
    return process


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
