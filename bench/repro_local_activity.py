"""The local-activity stall and the shutdown panic, with the Temporal SDK alone (no project code).

    .venv/bin/python -m bench.repro_local_activity stall [--workflows 1000 --concurrency 64 --load local]
    .venv/bin/python -m bench.repro_local_activity shutdown [--in-flight 20 --graceful 0 --linger 40]

Both start the Temporal CLI's dev server through the SDK's test environment,
from the `temporal` binary beside this Python or on PATH (the SDK's own
download cannot work offline), and run the worker in a process of its own.

**stall**: a burst of new workflows (signal-with-start, as a case system opens
parties), each of which first reads its "file" in an activity (`--load local`
or `remote`; a blocking 5 ms call on a thread pool of 16) and then stays open
and cached. Prints how long the burst took, the longest time in which no
workflow finished its load while some still waited (the poller stall), and
how many workflows had not loaded when the deadline passed (stuck).

**shutdown**: starts `--in-flight` workflows whose local activity runs for
`--activity-seconds` (start-to-close `--timeout-seconds`), sends the worker
SIGTERM while they run, and reports the worker's exit code, how long it took
to stop, and whether sdk-core panicked (`local_activities.rs ... receive half
not dropped`) in the `--linger` seconds the process stays up after the
worker stopped (long enough for the activities' timeouts to elapse). Run it
with `--graceful 0` (the SDK's default) and with a grace period.
"""

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

PANIC_MARKS = ("panicked", "receive half not dropped")


# --- the workflow and its activity (run in the worker process) --------------------


def say(line: str) -> None:
    """One whole line to stdout (print writes the text and its newline apart, and threads interleave)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@activity.defn
def load_file(seconds: float) -> int:
    """A blocking read of the entity's file, as a records query is; says when it started and ended."""
    say(f"START {time.monotonic():.4f}")
    time.sleep(seconds)
    say(f"LOADED {time.monotonic():.4f}")
    return 1


@workflow.defn
class LoadFirst:
    """Reads its file first, then stays open and counts messages, as an entity workflow does."""

    def __init__(self) -> None:
        self.loaded = False
        self.messages = 0

    @workflow.run
    async def run(self, load: str, seconds: float, timeout: float) -> None:
        if load == "local":
            await workflow.execute_local_activity(load_file, seconds, start_to_close_timeout=timedelta(seconds=timeout))
        else:
            await workflow.execute_activity(load_file, seconds, start_to_close_timeout=timedelta(seconds=timeout))
        self.loaded = True
        await workflow.wait_condition(lambda: False)

    @workflow.signal
    def message(self) -> None:
        self.messages += 1

    @workflow.query
    def is_loaded(self) -> bool:
        return self.loaded


async def run_worker(args: argparse.Namespace) -> None:
    """The worker process: polls until SIGTERM, shuts the worker down, stays up `--linger` s."""
    client = await Client.connect(args.address)
    worker = Worker(
        client,
        task_queue=args.queue,
        workflows=[LoadFirst],
        activities=[load_file],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=20_000,
        graceful_shutdown_timeout=timedelta(seconds=args.graceful),
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    running = asyncio.create_task(worker.run())
    say("READY")
    await stop.wait()
    t0 = time.monotonic()
    await worker.shutdown()
    await running
    say(f"STOPPED {time.monotonic() - t0:.2f}")
    # sdk-core's timers outlive the worker's shutdown while the process lives on.
    await asyncio.sleep(args.linger)


# --- the driver ---------------------------------------------------------------------


def temporal_binary() -> str:
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the temporal CLI is not beside this Python nor on PATH")
    return found


class WorkerProcess:
    """This module's worker in a subprocess; its stdout lines are read in a thread."""

    def __init__(self, address: str, queue: str, *, graceful: float = 0, linger: float = 0) -> None:
        args = ["worker", "--address", address, "--queue", queue, "--graceful", str(graceful), "--linger", str(linger)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.repro_local_activity", *args],
            cwd=Path(__file__).resolve().parent.parent,  # not at import: the workflow sandbox forbids it
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.started: list[float] = []
        self.loaded: list[float] = []
        self.stopped_after: float | None = None
        self.ready = threading.Event()
        self.stderr = ""
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(60):
            self.process.kill()
            raise RuntimeError(f"the worker process did not start: {self.process.communicate()[1]}")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            kind, _, value = line.strip().partition(" ")
            if kind == "READY":
                self.ready.set()
            elif kind == "START":
                self.started.append(float(value))
            elif kind == "LOADED":
                self.loaded.append(float(value))
            elif kind == "STOPPED":
                self.stopped_after = float(value)

    def stop(self, timeout: float) -> int:
        """SIGTERM; the exit code (-9 if it had to be killed after `timeout` s)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, self.stderr = self.process.communicate()
        return self.process.returncode


async def start_burst(client: Client, queue: str, ids: list[str], args: argparse.Namespace) -> None:
    pending = iter(ids)

    async def sender() -> None:
        for workflow_id in pending:
            await client.start_workflow(
                LoadFirst.run,
                args=[args.load, args.activity_seconds, args.timeout_seconds],
                id=workflow_id,
                task_queue=queue,
                start_signal="message",
            )

    await asyncio.gather(*(sender() for _ in range(args.concurrency)))


async def stall(client: Client, address: str, args: argparse.Namespace) -> None:
    queue = f"stall-{uuid.uuid4().hex[:6]}"
    worker = WorkerProcess(address, queue, graceful=5)
    ids = [f"{queue}-{i}" for i in range(args.workflows)]
    try:
        t0 = time.monotonic()
        await start_burst(client, queue, ids, args)
        sent = time.monotonic() - t0
        deadline = time.monotonic() + args.deadline
        while len(worker.loaded) < len(ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - t0
        marks = sorted([t0, *worker.loaded])
        gap = max((b - a for a, b in itertools.pairwise(marks)), default=0.0)
        if len(worker.loaded) < len(ids):  # still waiting at the deadline: the wait counts too
            gap = max(gap, time.monotonic() - marks[-1])
        loaded = await asyncio.gather(*(client.get_workflow_handle(w).query(LoadFirst.is_loaded) for w in ids[:200]))
        print(f"stall: {args.workflows} workflows, {args.load} load, {args.concurrency} in flight: "
              f"sent in {sent:.1f} s; {len(worker.loaded)} loaded in {elapsed:.1f} s "
              f"({len(worker.loaded) / elapsed:.1f}/s); longest gap between loads {gap:.1f} s; "
              f"stuck {len(ids) - len(worker.loaded)}; loaded by query (first 200): {sum(loaded)}")  # fmt: skip
    finally:
        code = worker.stop(timeout=30)
        report_stderr("stall", code, worker.stderr)


async def shutdown(client: Client, address: str, args: argparse.Namespace) -> None:
    queue = f"shutdown-{uuid.uuid4().hex[:6]}"
    worker = WorkerProcess(address, queue, graceful=args.graceful, linger=args.linger)
    ids = [f"{queue}-{i}" for i in range(args.in_flight)]
    await start_burst(client, queue, ids, args)
    deadline = time.monotonic() + 60
    while len(worker.started) < len(ids) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    in_flight = len(worker.started) - len(worker.loaded)
    code = worker.stop(timeout=args.graceful + args.linger + 60)
    print(f"shutdown: graceful_shutdown_timeout {args.graceful} s, {in_flight} local activities in flight "
          f"(each {args.activity_seconds} s, start-to-close {args.timeout_seconds} s): worker stopped after "
          f"{worker.stopped_after} s, {len(worker.loaded)} of {len(ids)} activities finished")  # fmt: skip
    report_stderr("shutdown", code, worker.stderr)
    # A new worker finishes what the stopped one left: nothing is lost, only retried.
    again = WorkerProcess(address, queue)
    try:
        deadline = time.monotonic() + 120
        handles = [client.get_workflow_handle(w) for w in ids]
        while time.monotonic() < deadline:
            done = sum(await asyncio.gather(*(h.query(LoadFirst.is_loaded) for h in handles)))
            if done == len(ids):
                break
            await asyncio.sleep(0.5)
        print(f"after restart: {done} of {len(ids)} workflows loaded")
    finally:
        report_stderr("restarted worker", again.stop(timeout=30), again.stderr)


def report_stderr(what: str, code: int, stderr: str) -> None:
    panics = [line for line in stderr.splitlines() if any(mark in line for mark in PANIC_MARKS)]
    print(f"  {what}: exit code {code}; panic lines in stderr: {len(panics)}")
    for line in panics[:5]:
        print(f"    {line}")


async def drive(args: argparse.Namespace) -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(), dev_server_log_level="error"
    ) as env:
        address = env.client.service_client.config.target_host
        print(f"dev server at {address}; load average {os.getloadavg()[0]:.1f}")
        if args.command == "stall":
            await stall(env.client, address, args)
        else:
            await shutdown(env.client, address, args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("stall", help="a burst of new workflows that each load first")
    s.add_argument("--workflows", type=int, default=1000)
    s.add_argument("--concurrency", type=int, default=64, help="starts in flight")
    s.add_argument("--load", choices=["local", "remote"], default="local")
    s.add_argument("--activity-seconds", type=float, default=0.005)
    s.add_argument("--timeout-seconds", type=float, default=30)
    s.add_argument("--deadline", type=float, default=180, help="seconds to wait for every load")
    d = commands.add_parser("shutdown", help="SIGTERM a worker while local activities run")
    d.add_argument("--in-flight", type=int, default=16, help="workflows (and local activities) running")
    d.add_argument("--concurrency", type=int, default=16, help="starts in flight")
    d.add_argument("--load", choices=["local", "remote"], default="local")
    d.add_argument("--activity-seconds", type=float, default=3)
    d.add_argument("--timeout-seconds", type=float, default=10)
    d.add_argument("--graceful", type=float, default=0, help="the worker's graceful_shutdown_timeout, s")
    d.add_argument("--linger", type=float, default=15, help="seconds the process lives after the worker stopped")
    w = commands.add_parser("worker", help="(internal) the worker process")
    w.add_argument("--address", required=True)
    w.add_argument("--queue", required=True)
    w.add_argument("--graceful", type=float, default=0)
    w.add_argument("--linger", type=float, default=0)
    args = parser.parse_args()
    if args.command == "worker":
        # The workflow sandbox re-imports a workflow's module by name, which `__main__` is not.
        from bench.repro_local_activity import run_worker as run_imported_worker

        asyncio.run(run_imported_worker(args))
    else:
        asyncio.run(drive(args))


if __name__ == "__main__":
    main()
