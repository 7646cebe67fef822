"""A worker in a process of its own, so the benchmark can measure its memory.

    python -m bench.worker_proc --address 127.0.0.1:PORT --database-url URL \
        [--party-queue Q] [--bare-queue Q] [--ladder-queue Q --ladder-db FILE] [--max-cached N]

The party workers are the project's (`worker.build_worker`): the encryption
codec, and the door's public keys from the settings (UBP_DOOR_PUBLIC_KEY_FILE,
else the public halves of UBP_DOOR_KEY_FILE, var/door-keys.json by default),
so it trusts the seals of a bench that uses the same settings. Prints READY
once polling; stops cleanly on SIGTERM.
"""

import argparse
import asyncio
import contextlib
import signal
import sqlite3
from concurrent.futures import ThreadPoolExecutor

from temporalio import activity
from temporalio.worker import Worker

from bench.bare import BareEntityWorkflow
from bench.ladder import LadderWorkflow
from client.connection import connect
from settings import Settings
from tests.worker_process import stdout_to_stderr
from worker import build_worker


def ladder_activities(path: str) -> list:
    """The ladder's load and write: plain SQLite, one row per message."""

    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    with contextlib.closing(connect()) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS ladder (wid TEXT, n INTEGER, PRIMARY KEY (wid, n))")

    @activity.defn(name="ladder_load")
    def ladder_load(wid: str) -> int:
        with contextlib.closing(connect()) as connection:
            return connection.execute("SELECT count(*) FROM ladder WHERE wid = ?", (wid,)).fetchone()[0]

    @activity.defn(name="ladder_write")
    def ladder_write(wid: str, first: int, upto: int) -> int:
        with contextlib.closing(connect()) as connection, connection:
            connection.executemany("INSERT OR IGNORE INTO ladder VALUES (?, ?)", [(wid, n) for n in range(first, upto)])
        return upto - first

    return [ladder_load, ladder_write]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--party-queue")
    parser.add_argument("--bare-queue")
    parser.add_argument("--ladder-queue")
    parser.add_argument("--ladder-db", help="SQLite file for the ladder's writes")
    parser.add_argument("--max-cached", type=int, default=10_000)
    args = parser.parse_args()
    settings = Settings(
        temporal_address=args.address,
        DATABASE_URL=args.database_url,
        task_queue=args.party_queue or "unused",
        max_cached_workflows=args.max_cached,
    )
    client = await connect(settings)
    workers: list[Worker] = []
    if args.party_queue:
        workers.append(build_worker(client, settings))
    if args.bare_queue:
        workers.append(
            Worker(
                client,
                task_queue=args.bare_queue,
                workflows=[BareEntityWorkflow],
                max_cached_workflows=args.max_cached,
            )
        )
    if args.ladder_queue:
        workers.append(
            Worker(
                client,
                task_queue=args.ladder_queue,
                workflows=[LadderWorkflow],
                activities=ladder_activities(args.ladder_db),
                activity_executor=ThreadPoolExecutor(max_workers=16),
                max_cached_workflows=args.max_cached,
            )
        )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        for w in workers:
            await stack.enter_async_context(w)
        print("READY", flush=True)
        stdout_to_stderr()
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
