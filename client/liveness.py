"""The worker's liveness: a heartbeat file touched only while Temporal sees the worker polling.

A worker can be alive to the operating system, and even answer on its metrics port, while
it does no work: finding 2 of bench/RESULTS.md was a worker that stopped taking tasks and
whose health check (its metrics endpoint, served by the SDK's own thread) still passed. So
the worker (`keep_heartbeat`, started by `worker.main`) asks the server, every
HEARTBEAT_EVERY, when this worker's identity last polled its task queue, for workflow tasks
and for activities, and touches the file only when both were within POLL_FRESH. The check

    python -m client.liveness FILE [--max-age SECONDS]

(docker-compose.yml's health check) fails when the file is older than --max-age: the
worker stopped polling, or lost the server, or its event loop is stuck (the heartbeat runs
on the same loop as the workflows), or it never started.

Why the server's view rather than the SDK's: the SDK (temporalio 1.35) exposes no hook on
its pollers, and an interceptor sees tasks, not polls, so an idle healthy worker would look
wedged. The server records each poll as it arrives (DescribeTaskQueue's pollers), and a
long poll lasts up to about a minute, hence POLL_FRESH.
"""

import argparse
import asyncio
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=10)
# A long poll waits up to about 60 s for a task before the next one starts: a healthy idle
# worker's last poll can be that old.
POLL_FRESH = timedelta(seconds=90)
# The health check's default: a few missed heartbeats.
MAX_AGE = timedelta(seconds=45)


async def polling(client: Client, task_queue: str, identity: str, fresh: timedelta = POLL_FRESH) -> bool:
    """Whether the server saw `identity` poll `task_queue` for workflow tasks and for activities within `fresh`."""
    now = datetime.now(UTC)
    for kind in (TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY):
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace, task_queue=TaskQueue(name=task_queue), task_queue_type=kind
            )
        )
        seen = [p.last_access_time.ToDatetime(UTC) for p in described.pollers if p.identity == identity]
        if not seen or now - max(seen) > fresh:
            return False
    return True


async def keep_heartbeat(
    client: Client,
    task_queue: str,
    path: Path,
    *,
    every: timedelta = HEARTBEAT_EVERY,
    fresh: timedelta = POLL_FRESH,
) -> None:
    """Touch `path` every `every` while the server sees this client's identity polling; runs until cancelled.

    A failed question to the server counts as not polling (and is logged): a worker that
    cannot reach the server does no work either.
    """
    was_polling = None
    while True:
        try:
            now_polling = await polling(client, task_queue, client.identity, fresh)
        except Exception as err:  # any failure of the question: the answer is "not seen polling"
            now_polling = False
            log.warning("heartbeat: could not ask the server whether this worker polls: %s", err)
        if now_polling:
            path.touch()
        if now_polling != was_polling:
            log.info(
                "heartbeat: the server %s this worker polling %s", "sees" if now_polling else "does not see", task_queue
            )
            was_polling = now_polling
        await asyncio.sleep(every.total_seconds())


def stale(path: Path, max_age: timedelta) -> str | None:
    """Why the heartbeat at `path` fails the health check, or None when it is fresh."""
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat at {path}: the worker has not yet been seen polling"
    if age > max_age.total_seconds():
        limit = max_age.total_seconds()
        return f"the heartbeat at {path} is {age:.0f} s old (at most {limit:g} s): the worker is not polling"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description="The worker's health check: exit 1 when its heartbeat is stale.")
    parser.add_argument("file", type=Path, help="the worker's UBP_WORKER_HEARTBEAT_FILE")
    parser.add_argument("--max-age", type=float, default=MAX_AGE.total_seconds(), help="seconds (default %(default)g)")
    options = parser.parse_args()
    why = stale(options.file, timedelta(seconds=options.max_age))
    if why:
        print(why, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
