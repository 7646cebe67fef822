"""Soak: mixed traffic on the dev server while the worker is SIGKILLed and restarted.

    python -m bench.soak --minutes 30 --kills 2

Its own dev server (SQLite file) and records database in a temporary folder;
the worker in a process of its own (bench.worker_proc). Traffic: new parties,
repeats, every tenth incident sent twice, asks, warnings, restrictions (some
severe, so held for approval) and zero-tolerance incidents; managers deciding
the open tasks (bench.soak_decisions); contacts at the gate
(bench.soak_contacts). Timers come due inside the soak: one party in four is
a party whose warning and restriction end minutes from now, its incidents
dated six months back (R5, R12). In the middle of the run the records database is
unreachable to the worker for `--outage-minutes` (bench.soak_outage): incidents
keep arriving, by signal, to awake parties and new ones; the staff's commands,
decisions and contacts, which need the file, wait for its return; the kills fall
outside it. The awake parties' history lengths are printed before, each minute
during, and after it. At the end it prints: incidents sent,
recorded (distinct ids on file), ids on file more than once, the decisions
and contacts accounted for, workflows with a pending or failed workflow task,
and the timers due, fired and acted on, with the worst lateness
(bench.soak_timers); then the histories through the outage, the growth per party
per hour while it lasted, and the workflows terminated or failed.

Its records database is a SQLite file, or with `--database-url` a throwaway schema
in that PostgreSQL database.
"""

import argparse
import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from sqlmodel import col, select
from temporalio.service import RPCError

from bench import soak_contacts, soak_decisions, soak_outage
from bench.soak_contacts import ContactTally
from bench.soak_decisions import DecisionTally, Managers, refusal_kind
from bench.soak_timers import Outage, audit
from client.connection import connect
from client.door import dev_door_keys
from client.keys import dev_key_ring
from client.parties import PartyClient
from devstack.records_outage import RecordsOutage
from devstack.server import DevServer
from policy.dates import six_months_after
from policy.messages import AskRecord, IncidentReport, PartyRef, RestrictionRequest, WarningIssue
from policy.vocabulary import Category, RestrictionStatus, WarningStatus
from records.db import make_engine, throwaway_postgres_schema
from records.schema import upgrade_schema
from records.store import RecordStore
from records.tables import IncidentRow, WarningRow
from settings import Settings
from workflows.io import OUTAGE_RETRY
from workflows.party import workflow_id_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TASK_QUEUE = "soak"
# R8 with parameters, so the gate has something to say; the severe one (R9) waits for approval.
EMAIL_TO_CASEWORKER = [
    {"measure": "single_contact_channel", "channels": ["email"]},
    {"measure": "single_named_contact", "named_contact": soak_contacts.NAMED_CONTACT},
]
BLOCK_ALL = ["block_all_contact"]


@dataclass
class Counts:
    sent: set[str] = field(default_factory=set)
    resent: int = 0
    commands: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # commands, by why
    parties: set[str] = field(default_factory=set)
    restricted: list[str] = field(default_factory=list)
    unrestricted: list[str] = field(default_factory=list)
    # Warnings that end inside the soak: id -> when (R5, R12).
    expiring: dict[str, datetime] = field(default_factory=dict)
    decisions: DecisionTally = field(default_factory=DecisionTally)
    contacts: ContactTally = field(default_factory=ContactTally)
    # Cleared while the records database is down for the worker (bench.soak_outage).
    records_up: asyncio.Event = field(default_factory=asyncio.Event)
    sent_in_outage: set[str] = field(default_factory=set)
    messaged_in_outage: set[str] = field(default_factory=set)  # party ids
    held_back: int = 0  # commands not sent while the records database was down


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
        # The log goes with the soak's temporary folder: its end is the only account of why.
        raise RuntimeError(f"the worker did not start; the end of its log:\n{log.read_text()[-3000:]}")
    return process


def report(party: PartyRef, at: datetime, category: Category) -> IncidentReport:
    return IncidentReport(
        incident_id=f"inc-{uuid.uuid4().hex[:16]}",
        party=party,
        category=category,
        behaviour_code={Category.AGGRESSIVE_OR_ABUSIVE: "verbal_abuse", Category.ZERO_TOLERANCE: "threat_of_harm"}.get(
            category, "other"
        ),
        occurred_at=at,
        reported_by="soak-1",
        experienced_by="soak-2",
        channel="phone",
        summary="soak",
    )


def restriction(party_id: str, incident_id: str, measures: list, decided_at: datetime) -> RestrictionRequest:
    return RestrictionRequest.model_validate(
        {
            "restriction_id": f"r-{incident_id}",
            "party_id": party_id,
            "incident_ids": [incident_id],
            "measures": measures,
            "proposed_by": "soak-3",
            "reasons": "soak",
            "contact_arrangements": "email",
            "decided_at": decided_at,
        }
    )


async def send(parties: PartyClient, counts: Counts, r: IncidentReport, rng: random.Random) -> None:
    """An incident by signal or by update, one in ten sent twice; by signal while the
    records database is down, as an update would hold its sender until the file is written."""
    counts.sent.add(r.incident_id)
    if not counts.records_up.is_set():
        counts.sent_in_outage.add(r.incident_id)
        counts.messaged_in_outage.add(r.party.party_id)
    if rng.random() < 0.5 or not counts.records_up.is_set():
        await parties.send_incident(r)
    else:
        await parties.report_incident(r)
    if rng.random() < 0.1:
        counts.resent += 1
        await parties.send_incident(r)


async def restrict(parties: PartyClient, counts: Counts, request: RestrictionRequest) -> None:
    outcome = await parties.apply_restriction(request)
    counts.commands += 1
    if outcome.restriction is not None and outcome.restriction.status in (
        RestrictionStatus.IN_FORCE,
        RestrictionStatus.AWAITING_APPROVAL,
    ):
        counts.restricted.append(request.party_id)


async def one_party(parties: PartyClient, counts: Counts, rng: random.Random, stop_at: float) -> None:
    """A party's life: incidents a minute apart from half an hour ago (some sent twice),
    an ask, a warning, then a restriction for the repeat after it (R14); one in ten
    ends with a zero-tolerance incident (R15)."""
    party = PartyRef(party_id=f"p-{uuid.uuid4().hex[:12]}")
    counts.parties.add(party.party_id)
    counts.unrestricted.append(party.party_id)
    ids: list[str] = []
    steps = rng.randint(3, 12)
    for step in range(steps):
        if time.monotonic() > stop_at:
            return
        now = datetime.now(UTC)
        last = step == steps - 1 and rng.random() < 0.1
        r = report(
            party,
            now - timedelta(minutes=30 - step),
            Category.ZERO_TOLERANCE if last else Category.AGGRESSIVE_OR_ABUSIVE,
        )
        ids.append(r.incident_id)
        await send(parties, counts, r, rng)
        try:
            if not counts.records_up.is_set() and step in (1, 2, 4):
                # The staff who would send it read the file first, and cannot.
                counts.held_back += 1
            elif step == 1:
                await parties.record_ask(
                    AskRecord(
                        ask_id=f"ask-{r.incident_id}",
                        party_id=party.party_id,
                        incident_ids=[ids[0]],
                        asked_at=now - timedelta(minutes=29),
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
                        communicated_at=now - timedelta(minutes=28, seconds=30),
                        issued_by="soak-2",
                        reasons="soak",
                    )
                )
                counts.commands += 1
            elif step == 4:
                measures = BLOCK_ALL if rng.random() < 0.3 else EMAIL_TO_CASEWORKER
                await restrict(parties, counts, restriction(party.party_id, ids[3], measures, now))
        except Exception as err:  # a refusal is an answer, not a failure of the soak
            counts.refused[refusal_kind(err)] += 1
        await asyncio.sleep(rng.uniform(0.05, 0.5))


def dated_to_end_at(end: datetime, timezone: str) -> datetime:
    """An instant whose six calendar months end at about `end` (R5, R12: the policy's only periods)."""
    return (end.astimezone(ZoneInfo(timezone)) - relativedelta(months=6)).astimezone(UTC)


async def expiring_party(
    parties: PartyClient, counts: Counts, rng: random.Random, lead: tuple[float, float], stop_at: float
) -> None:
    """A party warned and restricted six months ago, whose warning and restriction end
    `lead` seconds from now: its workflow's timer comes due inside the soak.

    Its incidents: one, a warning a second later, a repeat a second after that
    (which holds the warning open, R5a, and grounds the restriction, R14). Both
    end six months after the repeat; the restriction's review opens at once.
    No later incident is sent to it: a repeat would move both ends (R5a, R12).
    """
    seconds = rng.uniform(*lead)
    if time.monotonic() + seconds > stop_at:
        return
    party = PartyRef(party_id=f"x-{uuid.uuid4().hex[:12]}")
    now = datetime.now(UTC)
    repeat_at = dated_to_end_at(now + timedelta(seconds=seconds), parties.timezone)
    first = report(party, repeat_at - timedelta(seconds=2), Category.AGGRESSIVE_OR_ABUSIVE)
    repeat = report(party, repeat_at, Category.AGGRESSIVE_OR_ABUSIVE)
    counts.parties.add(party.party_id)
    try:
        await send(parties, counts, first, rng)
        warning = WarningIssue(
            warning_id=f"w-{first.incident_id}",
            party_id=party.party_id,
            incident_ids=[first.incident_id],
            communicated_at=repeat_at - timedelta(seconds=1),
            issued_by="soak-2",
            reasons="soak",
        )
        await parties.issue_warning(warning)
        counts.commands += 1
        await send(parties, counts, repeat, rng)
        counts.expiring[warning.warning_id] = six_months_after(repeat_at, parties.timezone)
        measures = BLOCK_ALL if rng.random() < 0.3 else EMAIL_TO_CASEWORKER
        await restrict(parties, counts, restriction(party.party_id, repeat.incident_id, measures, now))
    except Exception as err:  # a refusal is an answer, not a failure of the soak
        counts.refused[refusal_kind(err)] += 1


async def traffic(parties: PartyClient, store: RecordStore, counts: Counts, seconds: float, concurrency: int) -> None:
    rng = random.Random(13)
    stop_at = time.monotonic() + seconds
    # Timers due from 10 s after a party starts to a quarter of the soak (at most five minutes) later.
    lead = (10.0, max(20.0, min(300.0, seconds / 4)))

    async def lane() -> None:
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            if n % 4 == 0 and counts.records_up.is_set():
                await expiring_party(parties, counts, rng, lead, stop_at)
            else:
                await one_party(parties, counts, rng, stop_at)

    await asyncio.gather(
        *(lane() for _ in range(concurrency)),
        Managers(parties, store, counts.decisions, random.Random(14)).run(stop_at, counts.records_up),
        soak_contacts.contacts(
            parties,
            store,
            counts.contacts,
            random.Random(15),
            stop_at,
            counts.restricted,
            counts.unrestricted,
            counts.records_up,
        ),
    )


def expired_on_file(engine: Engine, expiring: dict[str, datetime]) -> int:
    """How many of the warnings due to end are on file as expired."""
    with engine.connect() as c:
        rows = c.execute(
            select(col(WarningRow.warning_id)).where(
                col(WarningRow.warning_id).in_(list(expiring)), WarningRow.status == WarningStatus.EXPIRED.value
            )
        )
        return len(list(rows.scalars()))


async def settle(engine: Engine, counts: Counts, late: float, timeout: float) -> None:
    """Wait (`timeout` seconds at most) for every incident to be on file and every timer to be past due and acted on."""
    deadline = time.monotonic() + timeout
    last_due = max(counts.expiring.values(), default=datetime.now(UTC))
    while time.monotonic() < deadline:
        with engine.connect() as c:
            on_file_now = set(c.execute(select(col(IncidentRow.incident_id))).scalars())
        done = (
            len(on_file_now & counts.sent) >= len(counts.sent)
            and datetime.now(UTC) > last_due + timedelta(seconds=late)
            and expired_on_file(engine, counts.expiring) >= len(counts.expiring)
        )
        if done:
            return
        await asyncio.sleep(1)


def kill_times(seconds: float, kills: int, outage: float) -> list[float]:
    """When to kill the worker: evenly through the run's time outside the outage, which is in its middle."""
    begin = (seconds - outage) / 2
    evenly = [(seconds - outage) * (k + 1) / (kills + 1) for k in range(kills)]
    return [t if t < begin else t + outage for t in evenly]


async def soak(
    minutes: float,
    kills: int,
    concurrency: int,
    late: float,
    folder: Path,
    database_url: str | None = None,
    outage_minutes: float = 0.0,
) -> dict[str, int | float]:
    """The soak on its own dev server; its records database a SQLite file in `folder`, or a
    throwaway schema in the PostgreSQL database at `database_url`."""
    server = DevServer(folder / "temporal.db")
    await server.start()
    try:
        with contextlib.ExitStack() as stack:
            if database_url is None:
                database_url = f"sqlite:///{folder / 'records.db'}"
            else:
                database_url = stack.enter_context(throwaway_postgres_schema(database_url, "ubp_soak"))
            outage = RecordsOutage(database_url)
            stack.callback(outage.close)
            return await _soak_on(
                server, database_url, outage, minutes, kills, outage_minutes, concurrency, late, folder
            )
    finally:
        server.stop()


async def _soak_on(
    server: DevServer,
    database_url: str,
    records_outage: RecordsOutage,
    minutes: float,
    kills: int,
    outage_minutes: float,
    concurrency: int,
    late: float,
    folder: Path,
) -> dict[str, int | float]:
    engine = make_engine(database_url)
    upgrade_schema(engine)
    store = RecordStore(engine)
    soak_decisions.staff_list(store)
    # The dev stack's key ring and door keys (var/), made if missing; the worker process reads
    # the key ring too, and trusts the door's public keys.
    client = await connect(Settings(temporal_address=server.address), key_ring=dev_key_ring(Settings()))
    # Incidents, asks, warnings and restrictions sealed as the staff member each names;
    # the managers' decisions go through services.decisions, as who signed in.
    parties = PartyClient(client, TASK_QUEUE, Settings().timezone, dev_door_keys(Settings()), acts_as_named=True)
    log = folder / "worker.log"
    # The worker reaches the records database through the outage's proxy (PostgreSQL); the soak itself directly.
    worker_url = records_outage.worker_url
    worker = await asyncio.to_thread(start_worker, server.address, worker_url, log)
    counts = Counts()
    counts.records_up.set()
    outages: list[Outage] = []
    seconds = minutes * 60
    outage_seconds = outage_minutes * 60
    sending: asyncio.Task | None = None
    outage_phase: asyncio.Task | None = None
    try:
        started = time.monotonic()
        sending = asyncio.create_task(traffic(parties, store, counts, seconds, concurrency))
        if outage_seconds:
            outage_phase = asyncio.create_task(
                soak_outage.records_outage(
                    client,
                    TASK_QUEUE,
                    records_outage,
                    (seconds - outage_seconds) / 2,
                    outage_seconds,
                    counts.records_up,
                )
            )
        for k, at in enumerate(kill_times(seconds, kills, outage_seconds)):
            await asyncio.sleep(max(0.0, started + at - time.monotonic()))
            os.kill(worker.pid, signal.SIGKILL)
            killed_at = datetime.now(UTC)
            worker.wait()
            print(f"worker killed ({k + 1}); {len(counts.sent)} incidents sent so far", flush=True)
            await asyncio.sleep(2)
            worker = await asyncio.to_thread(start_worker, server.address, worker_url, log)
            outages.append(Outage(killed_at, datetime.now(UTC)))
        await sending
        figures = await outage_phase if outage_phase is not None else None
        settle_for = 120.0
        if figures is not None:
            assert figures.up_at is not None and OUTAGE_RETRY.maximum_interval is not None
            # Nothing reaches the file while it is down: a timer due then is measured from its return.
            outages.append(Outage(figures.down_at, figures.up_at))
            # The write's next attempt comes at most this long after the database is back.
            settle_for += OUTAGE_RETRY.maximum_interval.total_seconds()
        await settle(engine, counts, late, settle_for)
        with engine.connect() as c:
            on_file = list(c.execute(select(col(IncidentRow.incident_id))).scalars())
        if figures is not None:
            await figures.read(client, "after")
            quiet = set(figures.awake) - {workflow_id_for(p) for p in counts.messaged_in_outage}
            for line in figures.growth_lines(quiet):
                print(line, flush=True)
        counted = 0
        for party_id in counts.parties:
            try:
                counted += (await parties.status(party_id)).incident_count
            except RPCError:
                pass
        found = await audit(client, TASK_QUEUE, outages, late, datetime.now(UTC))
        for example in found.late_examples:
            print(f"late timer: {example}", flush=True)
        for what, errors in (("contact", counts.contacts.unanswered), ("decision", counts.decisions.unanswered)):
            for message_id, error in list(errors.items())[:5]:
                print(f"{what} unanswered: {message_id}: {error}", flush=True)
        return {
            "parties": len(counts.parties),
            "incidents sent": len(counts.sent),
            "sent twice": counts.resent,
            "commands": counts.commands,
            "commands refused": sum(counts.refused.values()),
            **{f"  commands refused, {kind}": n for kind, n in sorted(counts.refused.items())},
            "recorded": len(set(on_file) & counts.sent),
            "on file but never sent": len(set(on_file) - counts.sent),
            "duplicates on file": len(on_file) - len(set(on_file)),
            "counted by the workflows": counted,
            **soak_decisions.accounted(store, counts.decisions),
            **soak_contacts.accounted(engine, counts.contacts),
            "workflows with a failed task": found.failed,
            "stuck (task retried, pending)": found.stuck,
            "warnings due to end in the soak": len(counts.expiring),
            "warnings on file as ended": expired_on_file(engine, counts.expiring),
            "timers due": found.timers_due,
            "timers fired": found.timers_fired,
            "timers due, not fired": found.timers_overdue_unfired,
            "timers late": found.timers_late,
            "timers in flight on the worker when it was killed (or the records database went down)": (
                found.in_flight_at_kill
            ),
            "max s from due to acted on, in flight at a kill (or the outage)": round(found.max_in_flight_lateness, 2),
            "max s from due to fired": round(found.max_fire_lateness, 2),
            "max s from due to acted on": round(found.max_act_lateness, 2),
            "max s from due (or the worker's return) to acted on, not in flight at a kill": round(
                found.max_act_lateness_worker_up, 2
            ),
            "workflows terminated, failed or timed out": await soak_outage.ended_badly(client, TASK_QUEUE),
            "incidents sent while the records database was down (signals)": len(counts.sent_in_outage),
            "  of them on file once": sum(
                1 for i, n in Counter(on_file).items() if n == 1 and i in counts.sent_in_outage
            ),
            "commands held back while it was down": counts.held_back,
        }
    finally:
        # A soak that fails (a worker that does not come back) stops its traffic too, or it would retry forever.
        for task in (sending, outage_phase):
            if task is not None and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--outage-minutes",
        type=float,
        default=5,
        help="minutes in the middle of the run the records database is unreachable to the worker (0: none)",
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL database to hold the records in a throwaway schema (default: SQLite)"
    )
    parser.add_argument(
        "--late",
        type=float,
        default=5.0,
        help="seconds after it was due (or after the worker was back) that a timer acted on counts as late",
    )
    args = parser.parse_args()
    if args.outage_minutes and args.outage_minutes * 60 <= soak_outage.SETTLED_AFTER:
        parser.error(
            f"an outage must last more than {soak_outage.SETTLED_AFTER:.0f} s to measure the settled histories"
        )
    print(f"load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ubp-soak-") as folder:
        counts = asyncio.run(
            soak(
                args.minutes,
                args.kills,
                args.concurrency,
                args.late,
                Path(folder),
                args.database_url,
                args.outage_minutes,
            )
        )
    for name, value in counts.items():
        print(f"{name}: {value}")
    print(f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
