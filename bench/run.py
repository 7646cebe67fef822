"""Benchmark: the party workflow against a bare Temporal ceiling, on one dev server.

    .venv/bin/python -m bench.run [--parties 100 --incidents-per-party 10 ...]

Starts its own dev server (SQLite file in a temporary folder, a free port),
runs the worker in a subprocess (so its CPU and memory can be read from
/proc), and prints:

- throughput of incident reports end to end (signal-with-start, processed by
  the party workflow, present in the records database) against a bare entity
  workflow that only counts signals and waits on a timer, in the same run;
- round-trip latency of `report_incident` (update-with-start) and of the
  status query against a bare update and query;
- history events per incident, and the largest single-run history of one
  party that receives many incidents (bounded by continue-as-new);
- worker memory per cached party workflow.

Every message is sent as the party workflow takes it: encrypted, and sealed by
the door (`client.door`) as the staff member it names, with the door keys the
dev stack and the tests use (var/, made if missing); the worker processes
trust their public halves. What the codec and the seal cost per message,
measured alone: `python -m bench.seal`.

Every phase is bounded: counts come from the flags, and each wait has a
deadline. CPU seconds of the server, the worker and this (client) process
are shown per phase, to tell where the time goes.
"""

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WithStartWorkflowOperation
from temporalio.common import WorkflowIDConflictPolicy

from bench import contacts
from bench.bare import BARE_SIGNAL, BARE_UPDATE, BareEntityWorkflow
from bench.ladder import LADDER_SIGNAL, STEPS, LadderWorkflow, Step
from client.connection import connect
from client.door import DoorKeys, dev_door_keys
from client.keys import dev_key_ring
from client.parties import PartyClient
from client.retry import retry_busy
from devstack.server import DevServer, temporal_cli
from policy.messages import IncidentReport, PartyRef
from policy.vocabulary import Category
from records.db import make_engine, throwaway_postgres_schema
from records.schema import upgrade_schema
from records.store import RecordStore
from settings import Settings
from workflows.party import workflow_id_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The ladder's last rung: the party workflow itself, on the ladder's worker.
PARTY_RUNG = Step("9 party workflow")
TIMEZONE = "Europe/London"
PHASES = {"throughput", "latency", "big", "memory", "ladder", "gate", "import"}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


# --- processes ------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / CLK_TCK


def rss_kib(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KIB


class WorkerProcess:
    """`bench.worker_proc` in a subprocess: the project's worker (the codec, the door's
    public keys from the settings) and the bench's bare and ladder workflows."""

    def __init__(self, address: str, database_url: str, *, party_queue: str | None = None,
                 bare_queue: str | None = None, ladder_queue: str | None = None, ladder_db: Path | None = None,
                 max_cached: int = 10_000) -> None:  # fmt: skip
        self.args = [sys.executable, "-m", "bench.worker_proc", "--address", address,
                     "--database-url", database_url, "--max-cached", str(max_cached)]  # fmt: skip
        if party_queue:
            self.args += ["--party-queue", party_queue]
        if bare_queue:
            self.args += ["--bare-queue", bare_queue]
        if ladder_queue:
            self.args += ["--ladder-queue", ladder_queue, "--ladder-db", str(ladder_db)]
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> "WorkerProcess":
        self.process = subprocess.Popen(self.args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None  # stdout=PIPE
        line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), 60)
        if line.strip() != "READY":
            raise RuntimeError(f"worker did not start: {line!r}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def records_database(url: str | None, folder: Path):
    """The records database: a SQLite file in `folder`, or a schema of its own in
    the PostgreSQL database at `url`, dropped afterwards; at the code's schema revision."""
    with contextlib.ExitStack() as stack:
        if url and url.startswith("postgresql"):
            url = stack.enter_context(throwaway_postgres_schema(url, "ubp_bench"))
        else:
            url = url or f"sqlite:///{folder / 'records.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        engine.dispose()
        yield url


# --- load -------------------------------------------------------------------------

BASE = datetime.now(UTC) - timedelta(days=1)


def report(party_id: str, i: int) -> IncidentReport:
    return IncidentReport(
        incident_id=f"{party_id}-i{i}",
        party=PartyRef(party_id=party_id),
        category=Category.AGGRESSIVE_OR_ABUSIVE,
        behaviour_code="verbal_abuse",
        occurred_at=BASE + timedelta(seconds=i),
        reported_by="colleague-1",
        experienced_by="colleague-2",
        channel="phone",
        summary="Raised voice and insults on a call",
    )


async def pool(items: Iterable[Any], send: Callable[[Any], Awaitable[Any]], concurrency: int) -> None:
    queue: asyncio.Queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)

    async def worker() -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            await send(item)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> float:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def timed(samples: list[float], call: Awaitable[Any]) -> None:
    """Await `call`, adding its round trip in milliseconds to `samples`."""
    t0 = time.perf_counter()
    await call
    samples.append(1000 * (time.perf_counter() - t0))


def round_robin(party_ids: list[str], first: int, count: int) -> list[tuple[str, int]]:
    """Incidents first..first+count-1 of every party, interleaved across parties."""
    return [(p, i) for i in range(first, first + count) for p in party_ids]


@dataclass
class Cpu:
    """CPU seconds used by the server, the worker and this process over a phase."""

    pids: dict[str, int]
    start: dict[str, float] = field(default_factory=dict)
    used: dict[str, float] = field(default_factory=dict)

    def __enter__(self) -> "Cpu":
        self.start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.start["client"] = time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        now = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        now["client"] = time.process_time()
        self.used = {name: now[name] - self.start[name] for name in now}

    def per(self, n: int) -> str:
        return ", ".join(f"{name} {1000 * s / n:.1f} ms" for name, s in self.used.items())


@dataclass
class Bench:
    args: argparse.Namespace
    client: Client
    server: DevServer
    database_url: str
    door: DoorKeys
    lines: list[str] = field(default_factory=list)

    def parties(self, task_queue: str) -> PartyClient:
        """A party client on `task_queue` that seals each message as the staff member it names."""
        return PartyClient(self.client, task_queue, TIMEZONE, self.door, acts_as_named=True)

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    # -- throughput -----------------------------------------------------------

    async def bare_burst(self, queue: str, party_ids: list[str], first: int, count: int, cpu_pids) -> float:
        expected = first + count
        items = round_robin(party_ids, first, count)

        async def send(item: tuple[str, int]) -> None:
            party_id, i = item
            await retry_busy(
                lambda: self.client.start_workflow(
                    BareEntityWorkflow.run,
                    id=party_id,
                    task_queue=queue,
                    start_signal=BARE_SIGNAL,
                    start_signal_args=[report(party_id, i)],
                )
            )

        pending = set(party_ids)

        async def all_counted() -> bool:
            return await self.bare_counted(pending, expected)

        with Cpu(cpu_pids) as cpu:
            t0 = time.perf_counter()
            await pool(items, send, self.args.concurrency)
            t1 = await wait_until(all_counted, self.args.phase_timeout, "bare signals")
        rate = len(items) / (t1 - t0)
        self.say(
            f"  bare  {len(items):6d} signals  {t1 - t0:6.1f} s  {rate:6.1f}/s   cpu per msg: {cpu.per(len(items))}"
        )
        return rate

    async def party_burst(self, parties: PartyClient, party_ids: list[str], first: int, count: int, cpu_pids) -> float:
        items = round_robin(party_ids, first, count)
        expected = len(party_ids) * (first + count)
        prefix = party_ids[0].rsplit("-", 1)[0] + "-%"

        async def send(item: tuple[str, int]) -> None:
            await parties.send_incident(report(*item))

        async def all_recorded() -> bool:
            return await asyncio.to_thread(self.count_incidents, prefix) >= expected

        with Cpu(cpu_pids) as cpu:
            t0 = time.perf_counter()
            await pool(items, send, self.args.concurrency)
            t1 = await wait_until(all_recorded, self.args.phase_timeout, "incidents in the records database")
        rate = len(items) / (t1 - t0)
        self.say(
            f"  party {len(items):6d} signals  {t1 - t0:6.1f} s  {rate:6.1f}/s   cpu per msg: {cpu.per(len(items))}"
        )
        return rate

    async def bare_counted(self, pending: set[str], expected: int) -> bool:
        """Query the bare workflows in `pending`; drop those that counted `expected`."""
        ids = sorted(pending)[:200]
        counts = await asyncio.gather(
            *(self.client.get_workflow_handle(p).query(BareEntityWorkflow.get_count) for p in ids)
        )
        pending.difference_update(p for p, c in zip(ids, counts, strict=True) if c >= expected)
        return not pending

    def count_incidents(self, party_prefix: str) -> int:
        with self.engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM incident WHERE party_id LIKE :p"), {"p": party_prefix}
            ).scalar_one()

    async def throughput(self, worker: WorkerProcess, party_queue: str, bare_queue: str) -> None:
        a = self.args
        n_parties, k = a.parties, a.incidents_per_party
        self.say(f"## Throughput: {n_parties} parties x {k} incidents, signal-with-start, {a.concurrency} in flight")
        cpu_pids = {"server": self.server.pid, "worker": worker.pid}
        parties = self.parties(party_queue)
        tag = uuid.uuid4().hex[:6]
        bare_ids = [f"bare-{tag}-{p}" for p in range(n_parties)]
        party_ids = [f"tp-{tag}-{p}" for p in range(n_parties)]
        # Warm both paths (imports, sandbox, connections) before timing.
        await self.bare_burst(bare_queue, [f"bare-warm-{tag}-{p}" for p in range(5)], 0, 2, cpu_pids)
        await self.party_burst(parties, [f"tpw-{tag}-{p}" for p in range(5)], 0, 2, cpu_pids)
        self.say("  new parties (the first incident starts each workflow):")
        bare_new = await self.bare_burst(bare_queue, bare_ids, 0, k, cpu_pids)
        party_new = await self.party_burst(parties, party_ids, 0, k, cpu_pids)
        self.say("  running parties (every workflow already open):")
        party_run = await self.party_burst(parties, party_ids, k, k, cpu_pids)
        bare_run = await self.bare_burst(bare_queue, bare_ids, k, k, cpu_pids)
        self.say(f"  ratio party/bare, new parties:     {party_new / bare_new:.2f}")
        self.say(f"  ratio party/bare, running parties: {party_run / bare_run:.2f}")
        both = 2 / (1 / party_new + 1 / party_run), 2 / (1 / bare_new + 1 / bare_run)
        self.say(f"  ratio party/bare, all {2 * n_parties * k} incidents: {both[0] / both[1]:.2f}  "
                 f"({both[0]:.1f}/s vs {both[1]:.1f}/s)")  # fmt: skip
        # History events per incident on the signal path.
        party_events = [
            (await self.client.get_workflow_handle(workflow_id_for(p)).describe()).history_length
            for p in party_ids[:10]
        ]
        bare_events = [(await self.client.get_workflow_handle(p).describe()).history_length for p in bare_ids[:10]]
        per = 2 * k
        self.say(f"  history events per incident (signal): party {statistics.mean(party_events) / per:.2f}, "
                 f"bare {statistics.mean(bare_events) / per:.2f}  (mean of 10 parties, {per} incidents each, "
                 f"start events included)")  # fmt: skip
        kinds = await self.event_kinds(workflow_id_for(party_ids[0]))
        self.say(f"  event kinds in one party's history: {kinds}")
        self.say(f"  event kinds in one bare history: {await self.event_kinds(bare_ids[0])}")

    async def event_kinds(self, workflow_id: str) -> str:
        history = await self.client.get_workflow_handle(workflow_id).fetch_history()
        counts = Counter(event_kind(e) for e in history.events)
        return ", ".join(f"{name} {n}" for name, n in counts.most_common())

    # -- latency --------------------------------------------------------------

    async def latency(self, party_queue: str, bare_queue: str) -> None:
        n = self.args.latency_samples
        self.say(f"## Round-trip latency, {n} sequential calls each (ms)")
        parties = self.parties(party_queue)
        tag = uuid.uuid4().hex[:6]
        party_id, bare_id = f"lat-{tag}", f"bare-lat-{tag}"
        bare_handle = self.client.get_workflow_handle(bare_id)

        def bare_update(i: int):
            op = WithStartWorkflowOperation(
                BareEntityWorkflow.run, id=bare_id, task_queue=bare_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            )  # fmt: skip
            return retry_busy(
                # By name: the workflow takes the report undecoded (RawValue), not as an IncidentReport.
                lambda: self.client.execute_update_with_start_workflow(
                    BARE_UPDATE, report(bare_id, i), start_workflow_operation=op, result_type=int
                )
            )

        await parties.report_incident(report(party_id, 0))
        await bare_update(0)
        events_before = (await parties.handle(party_id).describe()).history_length
        samples: dict[str, list[float]] = {"update: report_incident": [], "update: bare": [],
                                           "query: status": [], "query: bare": []}  # fmt: skip
        for i in range(1, n + 1):
            for name, call in (
                ("update: report_incident", lambda i=i: parties.report_incident(report(party_id, i))),
                ("update: bare", lambda i=i: bare_update(i)),
                ("query: status", lambda: parties.status(party_id)),
                ("query: bare", lambda: bare_handle.query(BareEntityWorkflow.get_count)),
            ):
                t0 = time.perf_counter()
                await call()
                samples[name].append(1000 * (time.perf_counter() - t0))
        for name, values in samples.items():
            q = statistics.quantiles(values, n=100, method="inclusive")
            self.say(f"  {name:24s} p50 {q[49]:6.1f}  p95 {q[94]:6.1f}  p99 {q[98]:6.1f}  max {max(values):6.1f}")
        events_after = (await parties.handle(party_id).describe()).history_length
        self.say(f"  history events per incident (update): party {(events_after - events_before) / n:.2f}")
        bare_events = (await bare_handle.describe()).history_length
        self.say(f"  history events per incident (update): bare {bare_events / (n + 1):.2f} (start events included)")

    # -- one busy party -------------------------------------------------------

    async def fill_party(self, parties: PartyClient, via: str, party_id: str, n: int, concurrency: int) -> float:
        """Send incidents 0..n-1 to one party and wait until all are recorded; returns when (perf_counter).

        The first incident goes alone (an update), so the party's first run has
        started; the rest as `via` says (update or signal), in windows of
        `--big-window`: a window is sent once the one before the last is recorded,
        so at most two windows wait. An unbounded stream of signals to one
        workflow can starve its workflow tasks (see RESULTS.md).
        """
        window = self.args.big_window
        send = parties.report_incident if via == "update" else parties.send_incident
        await parties.report_incident(report(party_id, 0))
        for first in range(1, n, window):
            last = min(n, first + window)
            await pool(((party_id, i) for i in range(first, last)), lambda item: send(report(*item)), concurrency)

            async def window_before_recorded(first: int = first) -> bool:
                return await asyncio.to_thread(lambda: self.count_incidents(party_id) >= first - window)

            await wait_until(window_before_recorded, self.args.phase_timeout, "the window before")
        return await wait_until(
            lambda: asyncio.to_thread(lambda: self.count_incidents(party_id) >= n),
            self.args.phase_timeout, f"{party_id}'s {n} incidents",
        )  # fmt: skip

    async def big_party(self, party_queue: str) -> None:
        n = self.args.big_party_incidents
        if n <= 0:
            return
        concurrency, via = self.args.big_concurrency, self.args.big_via
        self.say(f"## One party, {n} incidents ({via}s, {concurrency} in flight)")
        parties = self.parties(party_queue)
        party_id = f"big-{uuid.uuid4().hex[:6]}"
        t0 = time.perf_counter()
        t1 = await self.fill_party(parties, via, party_id, n, concurrency)
        status = await parties.status(party_id)
        self.say(f"  {n} incidents in {t1 - t0:.1f} s ({n / (t1 - t0):.1f}/s); status.incident_count "
                 f"{status.incident_count}; in the records database {self.count_incidents(party_id)}")  # fmt: skip
        # Walk the chain of runs back from the latest, through continued_execution_run_id.
        lengths: list[int] = []
        run_id = (await parties.handle(party_id).describe()).run_id
        while run_id:
            history = await self.client.get_workflow_handle(workflow_id_for(party_id), run_id=run_id).fetch_history()
            lengths.append(len(history.events))
            run_id = history.events[0].workflow_execution_started_event_attributes.continued_execution_run_id
        lengths.reverse()
        self.say(f"  runs: {len(lengths)}; events per run: {lengths}")
        self.say(f"  largest single-run history: {max(lengths)} events; "
                 f"{sum(lengths) / n:.2f} events per incident overall")  # fmt: skip

    # -- ladder: where the time goes ------------------------------------------

    async def ladder_burst(self, queue: str, step: Step, ids: list[str], first: int, count: int, cpu_pids) -> float:
        items = round_robin(ids, first, count)
        parties = self.parties(f"{queue}-party")

        async def send(item: tuple[str, int]) -> None:
            workflow_id, i = item
            if step is PARTY_RUNG:
                await parties.send_incident(report(workflow_id, i))
                return
            await retry_busy(
                lambda: self.client.start_workflow(
                    LadderWorkflow.run,
                    step,
                    id=workflow_id,
                    task_queue=queue,
                    start_signal=LADDER_SIGNAL,
                    start_signal_args=[report(workflow_id, i)],
                )
            )

        pending = set(ids)

        async def processed() -> bool:
            if step is PARTY_RUNG:
                prefix = ids[0].rsplit("-", 1)[0] + "-%"
                return await asyncio.to_thread(self.count_incidents, prefix) >= len(ids) * (first + count)
            batch = sorted(pending)[:200]
            counts = await asyncio.gather(
                *(self.client.get_workflow_handle(w).query(LadderWorkflow.processed) for w in batch)
            )
            pending.difference_update(w for w, c in zip(batch, counts, strict=True) if c >= first + count)
            return not pending

        with Cpu(cpu_pids) as cpu:
            t0 = time.perf_counter()
            await pool(items, send, self.args.concurrency)
            t1 = await wait_until(processed, self.args.phase_timeout, f"ladder step {step.name}")
        self.cpu_note = cpu.per(len(items))
        return len(items) / (t1 - t0)

    async def history_counts(self, workflow_ids: list[str]) -> Counter:
        """Events and workflow tasks, summed over the workflows' current histories."""
        counts: Counter = Counter()
        for workflow_id in workflow_ids:
            history = await self.client.get_workflow_handle(workflow_id).fetch_history()
            counts["events"] += len(history.events)
            counts["tasks"] += sum(1 for e in history.events if event_kind(e) == "workflow_task_completed")
            counts["activity tasks"] += sum(1 for e in history.events if event_kind(e) == "activity_task_completed")
        return counts

    async def ladder(self) -> None:
        a = self.args
        n, k = a.ladder_parties, a.ladder_incidents
        self.say(f"## Ladder: bare -> party one feature at a time; {n} workflows x {k} messages per burst, "
                 f"{a.concurrency} in flight")  # fmt: skip
        queue = f"ladder-{uuid.uuid4().hex[:6]}"
        worker = await WorkerProcess(self.server.address, self.database_url, ladder_queue=queue,
                                     party_queue=f"{queue}-party",
                                     ladder_db=self.server.db_file.parent / "ladder.db").start()  # fmt: skip
        cpu_pids = {"server": self.server.pid, "worker": worker.pid}
        rates: dict[str, tuple[float, float]] = {}
        shapes: dict[str, str] = {}
        rungs = [*STEPS, PARTY_RUNG]
        try:
            for step in rungs:  # warm every step's code paths
                await self.ladder_burst(queue, step, [f"lw-{uuid.uuid4().hex[:6]}"], 0, 2, cpu_pids)
            for rep in range(a.ladder_repeats):
                for step in rungs if rep % 2 == 0 else reversed(rungs):
                    tag = uuid.uuid4().hex[:6]
                    ids = [f"l{step.name[0]}-{tag}-{p}" for p in range(n)]
                    sample = [workflow_id_for(w) if step is PARTY_RUNG else w for w in ids[:5]]
                    new = await self.ladder_burst(queue, step, ids, 0, k, cpu_pids)
                    new_cpu = self.cpu_note
                    after_new = await self.history_counts(sample)
                    running = await self.ladder_burst(queue, step, ids, k, k, cpu_pids)
                    after_running = await self.history_counts(sample)
                    old = rates.get(step.name, (0.0, 0.0))
                    rates[step.name] = (old[0] + new / a.ladder_repeats, old[1] + running / a.ladder_repeats)
                    per = len(sample) * k
                    shapes[step.name] = (
                        f"per incident, new: {after_new['events'] / per:.2f} events, "
                        f"{after_new['tasks'] / per:.2f} workflow tasks, "
                        f"{after_new['activity tasks'] / per:.2f} activity tasks; running: "
                        f"{(after_running['events'] - after_new['events']) / per:.2f} events, "
                        f"{(after_running['tasks'] - after_new['tasks']) / per:.2f} workflow tasks"
                    )
                    self.say(f"  {step.name:30s} new {new:5.1f}/s  running {running:5.1f}/s   "
                             f"cpu per msg (new): {new_cpu}")  # fmt: skip
        finally:
            worker.stop()
        base = rates[STEPS[0].name]
        self.say(f"  mean over repeats, and as a fraction of bare (load average now {load_average()}):")
        for name, (new, running) in rates.items():
            self.say(f"  {name:30s} new {new:5.1f}/s ({new / base[0]:.2f})  running {running:5.1f}/s "
                     f"({running / base[1]:.2f})")  # fmt: skip
        self.say(f"  history of {k} incidents to a new workflow, then {k} more (mean of 5 workflows):")
        for name, shape in shapes.items():
            self.say(f"  {name:30s} {shape}")

    # -- memory -----------------------------------------------------------------

    async def memory(self, levels: list[int], *, bare: bool) -> None:
        kind = "bare" if bare else "party"
        queue = f"mem-{kind}-{uuid.uuid4().hex[:6]}"
        worker = await WorkerProcess(
            self.server.address, self.database_url, max_cached=max(levels) + 100,
            bare_queue=queue if bare else None, party_queue=None if bare else queue,
        ).start()  # fmt: skip
        parties = self.parties(queue)
        tag = uuid.uuid4().hex[:6]
        started = 0

        async def open_parties(upto: int) -> None:
            nonlocal started
            ids = [f"m{kind[0]}-{tag}-{p}" for p in range(started, upto)]
            if bare:
                await pool(ids, lambda p: retry_busy(lambda: self.client.start_workflow(
                    BareEntityWorkflow.run, id=p, task_queue=queue,
                    start_signal=BARE_SIGNAL, start_signal_args=[report(p, 0)])),
                    self.args.memory_concurrency)  # fmt: skip
                pending = set(ids)

                async def done() -> bool:
                    return await self.bare_counted(pending, 1)
            else:
                await pool(ids, lambda p: parties.send_incident(report(p, 0)), self.args.memory_concurrency)

                async def done() -> bool:
                    return await asyncio.to_thread(self.count_incidents, f"mp-{tag}-%") >= upto

            try:
                await wait_until(done, self.args.phase_timeout, f"{upto} {kind} workflows")
            except TimeoutError:
                if not bare:
                    missing = [p for p in ids if self.count_incidents(p) == 0]
                    self.say(f"  not recorded: {len(missing)} parties, e.g. {missing[:5]}")
                    for p in missing[:3]:
                        await self.diagnose(workflow_id_for(p))
                raise
            started = upto
            await asyncio.sleep(3)  # let the last workflow tasks complete and the worker settle

        try:
            warm = 20
            await open_parties(warm)
            base = rss_kib(worker.pid)
            self.say(f"## Worker memory, {kind} workflows (worker in its own process)")
            self.say(f"  RSS after {warm} warm-up workflows: {base / 1024:.1f} MiB")
            cpu_pids = {"server": self.server.pid, "worker": worker.pid}
            for level in levels:
                opened = level - started
                with Cpu(cpu_pids) as cpu:
                    t0 = time.perf_counter()
                    await open_parties(level)
                    elapsed = time.perf_counter() - t0 - 3
                rss = rss_kib(worker.pid)
                self.say(f"  {level:5d} cached: RSS {rss / 1024:7.1f} MiB; "
                         f"{(rss - base) / (level - warm):6.1f} KiB per workflow "
                         f"(opened {opened / elapsed:.1f}/s; cpu per workflow: {cpu.per(opened)})")  # fmt: skip
        finally:
            worker.stop()

    async def diagnose(self, workflow_id: str) -> None:
        """Print what a workflow that did not finish its work is waiting for."""
        handle = self.client.get_workflow_handle(workflow_id)
        description = await handle.describe()
        raw = description.raw_description
        self.say(f"  {workflow_id}: {description.status.name if description.status else '?'}, "
                 f"{description.history_length} events, pending activities "
                 f"{[(a.activity_type.name, a.attempt, a.state) for a in raw.pending_activities]}, "
                 "pending workflow task "
                 f"{raw.pending_workflow_task if raw.HasField('pending_workflow_task') else None}")  # fmt: skip
        history = await handle.fetch_history()
        for event in history.events[-12:]:
            kind = event_kind(event)
            self.say(f"    {event.event_id} {event.event_time.ToDatetime().time()} {kind}")

    @property
    def engine(self):
        if not hasattr(self, "_engine"):
            self._engine = make_engine(self.database_url)
        return self._engine


def event_kind(event: HistoryEvent) -> str:
    """e.g. `activity_task_scheduled`: which attributes the history event has."""
    attributes = event.WhichOneof("attributes")
    assert attributes is not None  # the server sets every event's attributes
    return attributes.removesuffix("_event_attributes")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine() -> list[str]:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown",
    )  # fmt: skip
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))  # fmt: skip
    version = subprocess.run([temporal_cli(), "--version"], capture_output=True, text=True).stdout.strip()
    import temporalio

    return [
        f"machine: {os.cpu_count()} CPUs ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"software: Python {platform.python_version()}, temporalio {temporalio.__version__}, {version}",
    ]


@contextlib.asynccontextmanager
async def bench_session(args: argparse.Namespace) -> AsyncIterator[Bench]:
    """A dev server (SQLite file in a temporary folder, a free port) and a records
    database (`args.database_url`, or SQLite in that folder), a client, and the
    machine's description printed; at the end the total time, and the folder
    removed unless `args.keep`."""
    folder = Path(tempfile.mkdtemp(prefix="ubp-bench-"))
    server = DevServer(folder / "temporal.db")
    started = time.perf_counter()
    try:
        with records_database(args.database_url, folder) as database_url:
            await server.start()
            # The key ring and the door keys the dev stack and the tests use (var/), made if
            # missing; the worker processes read the key ring and trust the door's public keys.
            key_ring = dev_key_ring(Settings())
            door = dev_door_keys(Settings())
            client = await connect(Settings(temporal_address=server.address), key_ring=key_ring)
            bench = Bench(args, client, server, database_url, door)
            for line in machine():
                bench.say(line)
            bench.say(f"temporal: dev server, SQLite file; records: {make_url(database_url).get_backend_name()}")
            bench.say(f"load average at the start: {load_average()} (other processes share the CPUs)")
            yield bench
            bench.engine.dispose()
            bench.say(f"total time: {time.perf_counter() - started:.0f} s; load average at the end: {load_average()}")
    finally:
        server.stop()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parties", type=int, default=100, help="parties in the throughput phase")
    parser.add_argument(
        "--incidents-per-party",
        type=int,
        default=10,
        help="incidents per party in each throughput burst (two bursts: new, running)",
    )
    parser.add_argument("--concurrency", type=int, default=32, help="messages in flight")
    parser.add_argument("--latency-samples", type=int, default=200)
    parser.add_argument("--big-party-incidents", type=int, default=10_000, help="0 skips the phase")
    parser.add_argument("--big-concurrency", type=int, default=8, help="messages in flight to the one busy party")
    parser.add_argument("--big-via", choices=["update", "signal"], default="signal")
    parser.add_argument(
        "--big-window", type=int, default=100, help="incidents sent before waiting for the window before to be recorded"
    )
    parser.add_argument(
        "--memory-levels",
        default="1000",
        help="cached party workflows, e.g. 1000,5000 (about 12 new parties a second on 2 cores); 0 skips",
    )
    parser.add_argument("--bare-memory-levels", default="1000", help="cached bare workflows; 0 skips")
    parser.add_argument(
        "--memory-concurrency",
        type=int,
        default=16,
        help="new parties in flight while filling the cache (64 wedges the worker: RESULTS.md)",
    )
    parser.add_argument(
        "--phases",
        default="throughput,latency,big,memory",
        help="comma-separated; also: ladder (where the time goes), gate (the contact gate), "
        "import (the bulk import); not in the default. The codec phase is gone: a worker without "
        "the codec refuses every message (RESULTS.md); python -m bench.seal times the codec and the seal",
    )
    parser.add_argument("--gate-samples", type=int, default=500, help="sequential calls of each kind (gate)")
    parser.add_argument("--import-parties", type=int, default=10_000, help="parties to import (import)")
    parser.add_argument("--ladder-parties", type=int, default=50)
    parser.add_argument("--ladder-incidents", type=int, default=10)
    parser.add_argument("--ladder-repeats", type=int, default=2)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="records database (default: a SQLite file in the temporary folder; a "
        "postgresql URL gets a schema of its own, dropped afterwards)",
    )
    parser.add_argument("--phase-timeout", type=float, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    phases = set(args.phases.split(","))
    if phases - PHASES:
        parser.error(f"unknown phases {sorted(phases - PHASES)}; the phases are {sorted(PHASES)}")
    async with bench_session(args) as bench:
        server, database_url = bench.server, bench.database_url
        tag = uuid.uuid4().hex[:6]
        party_queue, bare_queue = f"bench-party-{tag}", f"bench-bare-{tag}"
        worker = await WorkerProcess(server.address, database_url, party_queue=party_queue,
                                     bare_queue=bare_queue).start()  # fmt: skip
        try:
            if "throughput" in phases:
                await bench.throughput(worker, party_queue, bare_queue)
            if "latency" in phases:
                await bench.latency(party_queue, bare_queue)
            if "big" in phases:
                await bench.big_party(party_queue)
            if phases & {"gate", "import"}:
                # The gate and the import read and write the records database themselves.
                upgrade_schema(bench.engine)
                store = RecordStore(bench.engine)
                parties = bench.parties(party_queue)
                if "gate" in phases:
                    await contacts.gate(bench.say, parties, store, args.gate_samples)
                if "import" in phases:
                    await contacts.bulk_import(bench.say, parties, store, args.import_parties)
        finally:
            worker.stop()
        if "ladder" in phases:
            await bench.ladder()
        if "memory" in phases:
            levels = [int(x) for x in args.memory_levels.split(",") if x and int(x) > 0]
            if levels:
                await bench.memory(levels, bare=False)
            levels = [int(x) for x in args.bare_memory_levels.split(",") if x and int(x) > 0]
            if levels:
                await bench.memory(levels, bare=True)


if __name__ == "__main__":
    asyncio.run(main())
