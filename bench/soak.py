"""Soak: mixed traffic on the dev server while the worker is SIGKILLed and restarted.

    python -m bench.soak --minutes 30 --kills 2

Its own dev server (SQLite file) and records database in a temporary folder;
the worker in a process of its own (bench.worker_proc). Traffic: new parties,
repeats, every tenth incident sent twice, asks, warnings and restrictions. At
the end it prints: incidents sent, recorded (distinct ids on file), ids on
file more than once, workflows with a pending or failed workflow task, and
timers that fired more than `--late` seconds after they were due.
"""

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.client import Client
from temporalio.service import RPCError

from client.connection import connect
from client.parties import PartyClient
from devstack.server import DevServer
from policy.messages import AskRecord, IncidentReport, PartyRef, RestrictionRequest, WarningIssue
from policy.vocabulary import Category, Measure
from records.db import make_engine
from records.schema import upgrade_schema
from records.tables import IncidentRow
from settings import Settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "soak"
# Workflow tasks the server ends itself because messages arrived meanwhile: retried, not failures of the code.
SERVER_ENDED = (
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
)


@dataclass
class Counts:
    sent: set[str] = field(default_factory=set)
    resent: int = 0
    commands: int = 0
    refused: int = 0
    parties: set[str] = field(default_factory=set)


def start_worker(address: str, database_url: str, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.worker_proc",
                "--address",
                address,
                "--database-url",
                database_url,
                "--party-queue",
                TASK_QUEUE,
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=out,
        )
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"READY":
        process.kill()
        raise RuntimeError(f"the worker did not start; see {log}")
    return process


def report(party: PartyRef, at: datetime, category: Category) -> IncidentReport:
    return IncidentReport(
        incident_id=f"inc-{uuid.uuid4().hex[:16]}",
        party=party,
        category=category,
        behaviour_code="verbal_abuse" if category == Category.AGGRESSIVE_OR_ABUSIVE else "other",
        occurred_at=at,
        reported_by="soak-1",
        experienced_by="soak-2",
        channel="phone",
        summary="soak",
    )


async def one_party(parties: PartyClient, counts: Counts, rng: random.Random, stop_at: float) -> None:
    """A party's life: incidents (some sent twice), then an ask, a warning and a restriction."""
    party = PartyRef(party_id=f"p-{uuid.uuid4().hex[:12]}")
    counts.parties.add(party.party_id)
    ids: list[str] = []
    for step in range(rng.randint(3, 12)):
        if time.monotonic() > stop_at:
            return
        now = datetime.now(UTC)
        r = report(party, now - timedelta(minutes=30 - step), Category.AGGRESSIVE_OR_ABUSIVE)
        counts.sent.add(r.incident_id)
        ids.append(r.incident_id)
        if rng.random() < 0.5:
            await parties.send_incident(r)
        else:
            await parties.report_incident(r)
        if rng.random() < 0.1:
            counts.resent += 1
            await parties.send_incident(r)
        try:
            if step == 1:
                await parties.record_ask(
                    AskRecord(
                        ask_id=f"ask-{r.incident_id}",
                        party_id=party.party_id,
                        incident_ids=[ids[0]],
                        asked_at=now - timedelta(minutes=20),
                        asked_by="soak-2",
                    )
                )
                counts.commands += 1
            elif step == 2:
                await parties.issue_warning(
                    WarningIssue(
                        warning_id=f"w-{r.incident_id}",
                        party_id=party.party_id,
                        incident_ids=[ids[1]],
                        communicated_at=now - timedelta(minutes=20),
                        issued_by="soak-2",
                        reasons="soak",
                    )
                )
                counts.commands += 1
            elif step == 4:
                await parties.apply_restriction(
                    RestrictionRequest(
                        restriction_id=f"r-{r.incident_id}",
                        party_id=party.party_id,
                        incident_ids=[ids[3]],
                        measures=[Measure.SINGLE_NAMED_CONTACT],
                        proposed_by="soak-3",
                        reasons="soak",
                        contact_arrangements="email",
                        decided_at=now,
                    )
                )
                counts.commands += 1
        except Exception:  # a refusal is an answer, not a failure of the soak
            counts.refused += 1
        await asyncio.sleep(rng.uniform(0.05, 0.5))


async def traffic(parties: PartyClient, counts: Counts, seconds: float, concurrency: int) -> None:
    rng = random.Random(13)
    stop_at = time.monotonic() + seconds

    async def lane() -> None:
        while time.monotonic() < stop_at:
            await one_party(parties, counts, rng, stop_at)

    await asyncio.gather(*(lane() for _ in range(concurrency)))


async def late_timers_and_stuck(client: Client, party_ids: set[str], late: float) -> tuple[int, int, int, int]:
    """(timers fired, timers late, workflows with a failed workflow task, open workflows with a task pending)."""
    fired = late_count = failed = stuck = 0
    async for w in client.list_workflows(f"TaskQueue = '{TASK_QUEUE}'"):
        history = await client.get_workflow_handle(w.id, run_id=w.run_id).fetch_history()
        started = {}
        for e in history.events:
            if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
                a = e.timer_started_event_attributes
                started[a.timer_id] = e.event_time.ToDatetime() + a.start_to_fire_timeout.ToTimedelta()
            elif e.event_type == EventType.EVENT_TYPE_TIMER_FIRED:
                fired += 1
                due = started[e.timer_fired_event_attributes.timer_id]
                late_count += (e.event_time.ToDatetime() - due).total_seconds() > late
            elif e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                cause = e.workflow_task_failed_event_attributes.cause
                failed += cause not in SERVER_ENDED
        if w.status is not None and w.status.name == "RUNNING":
            description = await client.get_workflow_handle(w.id).describe()
            raw = description.raw_description
            if raw.HasField("pending_workflow_task") and raw.pending_workflow_task.attempt > 1:
                stuck += 1
    return fired, late_count, failed, stuck


async def soak(minutes: float, kills: int, concurrency: int, late: float, folder: Path) -> dict[str, int]:
    server = DevServer(folder / "temporal.db")
    await server.start()
    database_url = f"sqlite:///{folder / 'records.db'}"
    engine = make_engine(database_url)
    upgrade_schema(engine)
    client = await connect(Settings(temporal_address=server.address))
    parties = PartyClient(client, TASK_QUEUE, Settings().timezone)
    log = folder / "worker.log"
    worker = await asyncio.to_thread(start_worker, server.address, database_url, log)
    counts = Counts()
    seconds = minutes * 60
    try:
        sending = asyncio.create_task(traffic(parties, counts, seconds, concurrency))
        for k in range(kills):
            await asyncio.sleep(seconds / (kills + 1))
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()
            print(f"worker killed ({k + 1}); {len(counts.sent)} incidents sent so far", flush=True)
            await asyncio.sleep(2)
            worker = await asyncio.to_thread(start_worker, server.address, database_url, log)
        await sending
        deadline = time.monotonic() + 120
        while True:
            with engine.connect() as c:
                on_file_now = set(c.execute(select(col(IncidentRow.incident_id))).scalars())
            recorded = len(on_file_now & counts.sent)
            if recorded >= len(counts.sent) or time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        with engine.connect() as c:
            on_file = list(c.execute(select(col(IncidentRow.incident_id))).scalars())
        counted = 0
        for party_id in counts.parties:
            try:
                counted += (await parties.status(party_id)).incident_count
            except RPCError:
                pass
        fired, late_timers, failed, stuck = await late_timers_and_stuck(client, counts.parties, late)
        return {
            "parties": len(counts.parties),
            "incidents sent": len(counts.sent),
            "sent twice": counts.resent,
            "commands": counts.commands,
            "refused": counts.refused,
            "recorded": len(set(on_file) & counts.sent),
            "on file but never sent": len(set(on_file) - counts.sent),
            "duplicates on file": len(on_file) - len(set(on_file)),
            "counted by the workflows": counted,
            "workflows with a failed task": failed,
            "stuck (task retried, pending)": stuck,
            "timers fired": fired,
            "timers late": late_timers,
        }
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        server.stop()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--late", type=float, default=5.0, help="seconds after its due time a timer counts as late")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ubp-soak-") as folder:
        counts = asyncio.run(soak(args.minutes, args.kills, args.concurrency, args.late, Path(folder)))
    for name, value in counts.items():
        print(f"{name}: {value}")
    print(f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
