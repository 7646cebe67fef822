"""Soak: mixed traffic on the dev server while the worker is SIGKILLed and restarted.

    python -m bench.soak --minutes 30 --kills 2

Its own dev server (SQLite file) and records database in a temporary folder;
the worker in a process of its own (bench.worker_proc). Traffic: new parties,
repeats, every tenth incident sent twice, asks, warnings, restrictions (some
severe, so held for approval) and zero-tolerance incidents; managers deciding
the open tasks (bench.soak_decisions); contacts at the gate
(bench.soak_contacts). Timers come due inside the soak: one party in four is
a party whose warning and restriction end minutes from now, its incidents
dated six months back (R5, R12). At the end it prints: incidents sent,
recorded (distinct ids on file), ids on file more than once, the decisions
and contacts accounted for, workflows with a pending or failed workflow task,
and the timers due, fired and acted on, with the worst lateness
(bench.soak_timers).
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
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import Engine
from sqlmodel import col, select
from temporalio.service import RPCError

from bench import soak_contacts, soak_decisions
from bench.soak_contacts import ContactTally
from bench.soak_decisions import DecisionTally, Managers, refusal_kind
from bench.soak_timers import Outage, audit
from client.connection import connect
from client.door import dev_door_keys
from client.keys import dev_key_ring
from client.parties import PartyClient
from devstack.server import DevServer
from policy.dates import six_months_after
from policy.messages import AskRecord, IncidentReport, PartyRef, RestrictionRequest, WarningIssue
from policy.vocabulary import Category, RestrictionStatus, WarningStatus
from records.db import make_engine
from records.schema import upgrade_schema
from records.store import RecordStore
from records.tables import IncidentRow, WarningRow
from settings import Settings

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
    """An incident by signal or by update, one in ten sent twice."""
    counts.sent.add(r.incident_id)
    if rng.random() < 0.5:
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
            if step == 1:
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
            if n % 4 == 0:
                await expiring_party(parties, counts, rng, lead, stop_at)
            else:
                await one_party(parties, counts, rng, stop_at)

    await asyncio.gather(
        *(lane() for _ in range(concurrency)),
        Managers(parties, store, counts.decisions, random.Random(14)).run(stop_at),
        soak_contacts.contacts(
            parties, store, counts.contacts, random.Random(15), stop_at, counts.restricted, counts.unrestricted
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


async def settle(engine: Engine, counts: Counts, late: float) -> None:
    """Wait (two minutes at most) for every incident to be on file and every timer to be past due and acted on."""
    deadline = time.monotonic() + 120
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


async def soak(minutes: float, kills: int, concurrency: int, late: float, folder: Path) -> dict[str, int | float]:
    server = DevServer(folder / "temporal.db")
    await server.start()
    try:
        return await _soak_on(server, minutes, kills, concurrency, late, folder)
    finally:
        server.stop()


async def _soak_on(
    server: DevServer, minutes: float, kills: int, concurrency: int, late: float, folder: Path
) -> dict[str, int | float]:
    database_url = f"sqlite:///{folder / 'records.db'}"
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
    worker = await asyncio.to_thread(start_worker, server.address, database_url, log)
    counts = Counts()
    outages: list[Outage] = []
    seconds = minutes * 60
    sending: asyncio.Task | None = None
    try:
        sending = asyncio.create_task(traffic(parties, store, counts, seconds, concurrency))
        for k in range(kills):
            await asyncio.sleep(seconds / (kills + 1))
            os.kill(worker.pid, signal.SIGKILL)
            killed_at = datetime.now(UTC)
            worker.wait()
            print(f"worker killed ({k + 1}); {len(counts.sent)} incidents sent so far", flush=True)
            await asyncio.sleep(2)
            worker = await asyncio.to_thread(start_worker, server.address, database_url, log)
            outages.append(Outage(killed_at, datetime.now(UTC)))
        await sending
        await settle(engine, counts, late)
        with engine.connect() as c:
            on_file = list(c.execute(select(col(IncidentRow.incident_id))).scalars())
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
            "timers in flight on the worker when it was killed": found.in_flight_at_kill,
            "max s from due to acted on, in flight at a kill": round(found.max_in_flight_lateness, 2),
            "max s from due to fired": round(found.max_fire_lateness, 2),
            "max s from due to acted on": round(found.max_act_lateness, 2),
            "max s from due (or the worker's return) to acted on, not in flight at a kill": round(
                found.max_act_lateness_worker_up, 2
            ),
        }
    finally:
        # A soak that fails (a worker that does not come back) stops its traffic too, or it would retry forever.
        if sending is not None and not sending.done():
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--late",
        type=float,
        default=5.0,
        help="seconds after it was due (or after the worker was back) that a timer acted on counts as late",
    )
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ubp-soak-") as folder:
        counts = asyncio.run(soak(args.minutes, args.kills, args.concurrency, args.late, Path(folder)))
    for name, value in counts.items():
        print(f"{name}: {value}")
    print(f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
