"""The scale run (issue 30): a body's parties loaded through the bulk import, then a working day.

    nice .venv/bin/python -m bench.scale --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test \
        [--sizes 1000,10000,100000] [--out bench/scale] [--explain]

Its own dev server (SQLite file in a temporary folder) and records database (a PostgreSQL
schema of its own, or SQLite), as `bench.run` starts them, and the project's worker in a
subprocess. The sizes are reached one after another on the same stack: the parties the
first size loaded stay for the next, as a body's file grows.

At each size:

- **load**: the parties up to the size through the bulk import (`services.imports`), in a
  mix (most with one incident or an ask; some warned; a few restricted, some of those
  awaiting approval or with a review open; a few zero tolerance), dated over two years so
  that some of it is live (its workflow starts) and most is not; one party (at the first
  size) has a long file, for the timeline;
- **the day's timers**: the busiest local day of deadlines on file (open tasks due,
  warnings and restrictions ending) sets how many parties wake at once; that many parties
  are imported with a warning ending at one instant a minute or two ahead, and the burst
  is timed directly: from that instant until the last of them has written the warning's
  end to its file, each wake counted late from the deadline and from the party's own
  offset (`UBP_TIMER_SPREAD_SECONDS`, workflows.party.timer_offset);
- **a working day**, while the burst drains: incidents (update-with-start, to parties
  picked at random, some new), contacts at the contact gate (ten per incident;
  `services.contacts.answer_contact`), and staff through the HTTP API and the inbox (the
  app in this process): decisions on open approvals, the party's status, the task list
  (API and inbox), the party search, a long timeline's pages;
- **the board report** for the last year (counts and charts, `reports`), three times;
- worker RSS, the records database's and the Temporal database's sizes.

Prints each figure per size, then a table; writes OUT.json, OUT.csv and the plot OUT.png
(each figure against the number of parties, as bench/curve.py does). `--explain` prints
PostgreSQL's plans (EXPLAIN ANALYZE) of the hot reads at the largest size: the statements
the code itself sent, caught as they went.
"""

import argparse
import asyncio
import csv
import json
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from dateutil.relativedelta import relativedelta
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator
from sqlalchemy import Engine, event, text

from bench.curve import COLOURS, commit
from bench.run import TIMEZONE, Bench, Cpu, WorkerProcess, bench_session, load_average, pool, rss_kib
from client.parties import PartyClient
from policy.dates import six_months_after
from policy.messages import InboundContact, IncidentReport, PartyRef
from policy.report import Period
from policy.vocabulary import Category, ContactChannel, Role, TaskKind
from records.store import RecordStore
from records.task_list import TaskFilter
from reports.board import build_report
from reports.render import charts
from services.contacts import answer_contact
from services.imports import import_parties, read_lines
from services.signing_in import SignInRules
from settings import Settings
from tests.import_lines import ask_line, incident_line, restriction_line, warning_line
from web.app import create_app
from web.deps import SESSION_COOKIE
from workflows.party import timer_offset

STAFF = {
    "manager-1": ("Morgan Manager", [Role.MANAGER]),
    "exec-1": ("Edie Executive", [Role.EXECUTIVE_TEAM]),
    "colleague-1": ("Casey Colleague", [Role.COLLEAGUE]),
    "colleague-2": ("Chris Colleague", [Role.COLLEAGUE]),
}
LONG_PARTY = "long-0"
LONG_INCIDENTS = 2_000
TIMINGS = ("incident", "gate", "status", "api_tasks", "inbox_tasks", "search", "timeline", "decision")
# Parties imported at a time: the import's own concurrency runs within each chunk.
LOAD_CHUNK = 5_000
SEARCHES = ("p-0", "p-01", "p-012", "p-0123", "p-9", "long")


@dataclass
class Figures:
    """One size's figures (milliseconds unless named otherwise)."""

    parties: int
    # One call at a time, before the day (nothing else of the bench running).
    q_gate_p50: float = 0.0
    q_gate_p99: float = 0.0
    q_status_p99: float = 0.0
    q_api_tasks_p95: float = 0.0
    q_inbox_tasks_p95: float = 0.0
    q_search_p95: float = 0.0
    q_timeline_p95: float = 0.0
    # The working day: incidents, contacts and staff at once, while the timer burst drains.
    import_s: float = 0.0
    import_parties_per_s: float = 0.0
    import_cpu_ms_per_party: float = 0.0
    workflows_started: int = 0
    gate_p50: float = 0.0
    gate_p99: float = 0.0
    status_p95: float = 0.0
    status_p99: float = 0.0
    api_tasks_p95: float = 0.0
    inbox_tasks_p95: float = 0.0
    search_p95: float = 0.0
    timeline_p95: float = 0.0
    decision_p95: float = 0.0
    incident_p95: float = 0.0
    board_year_s: float = 0.0
    burst_parties: int = 0
    burst_drain_s: float = 0.0
    burst_late_after_offset_max_s: float = 0.0
    worker_rss_mib: float = 0.0
    records_mib: float = 0.0
    temporal_mib: float = 0.0
    records_kib_per_party: float = 0.0
    temporal_kib_per_party: float = 0.0
    load: str = ""
    day: dict[str, int] = field(default_factory=dict)
    # Requests answered 503 (Temporal busy), by kind: quiet, and in the day.
    q_unanswered: dict[str, int] = field(default_factory=dict)
    unanswered: dict[str, int] = field(default_factory=dict)


def quantile(values: list[float], q: int) -> float:
    """The q-th percentile (inclusive method); the one value for a single sample."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def timed(samples: list[float], call: Awaitable[Any]) -> Any:
    t0 = time.perf_counter()
    result = await call
    samples.append(1000 * (time.perf_counter() - t0))
    return result


# --- the parties ----------------------------------------------------------------------


def _incident(pid: str, n: int, at: datetime, category: str = "aggressive_or_abusive", **party: Any) -> dict:
    """An incident as a case system reports it, with its channel and summary."""
    return {
        **incident_line(pid, n, at, category, **party),
        "channel": "phone",
        "summary": "Raised voice and insults on a call",
    }


def _restriction(pid: str, incident: int, at: datetime) -> dict:
    return restriction_line(pid, incident, at, TWO_MEASURES, "Email caseworker-7 only.")


TWO_MEASURES = [
    {"measure": "single_contact_channel", "channels": ["email"]},
    {"measure": "single_named_contact", "named_contact": "caseworker-7"},
]


def party_lines(p: int, now: datetime) -> list[dict]:
    """Party number `p` of the mix: by p % 100, 55 one incident, 20 an ask, 12 warned, 8 restricted
    (a review open for some), 3 organisations restricted awaiting approval, 2 zero tolerance.
    Dated up to two years back by p, so some of each is live and most of it is not."""
    pid, kind, days = f"p-{p:06d}", p % 100, 1 + (p * 7919) % 730
    start = now - timedelta(days=days, hours=3)
    if kind < 55:
        return [_incident(pid, 1, start)]
    if kind < 75:
        return [_incident(pid, 1, start), ask_line(pid, 1, start + timedelta(hours=1))]
    if kind < 87:
        return [_incident(pid, 1, start), warning_line(pid, 1, start + timedelta(days=1))]
    if kind < 98:
        party: dict[str, Any] = {"kind": "organisation"} if kind >= 95 else {}
        # Restricted 10 days after the first incident: recent enough (15-400 days) to be in force for some.
        start = now - timedelta(days=15 + (p * 31) % 385, hours=3)
        return [
            _incident(pid, 1, start, **party),
            warning_line(pid, 1, start + timedelta(days=1)),
            _incident(pid, 2, start + timedelta(days=9), **party),
            _restriction(pid, 2, start + timedelta(days=10)),
        ]
    return [_incident(pid, 1, now - timedelta(days=1 + p % 30), "zero_tolerance")]


def long_party_lines(incidents: int, now: datetime) -> list[dict]:
    """A party with many incidents over a year: a timeline of many pages."""
    step = timedelta(days=365) / incidents
    return [_incident(LONG_PARTY, n, now - timedelta(days=366) + n * step) for n in range(incidents)]


def burst_lines(tag: str, count: int, deadline: datetime) -> list[dict]:
    """`count` parties with a warning that ends at `deadline` (six calendar months after it was given)."""
    local = deadline.astimezone(ZoneInfo(TIMEZONE))
    given = (local - relativedelta(months=6)).astimezone(UTC)
    assert six_months_after(given, TIMEZONE) == deadline, "pick a deadline on a day every month has"
    lines = []
    for k in range(count):
        pid = f"burst-{tag}-{k:05d}"
        lines += [_incident(pid, 1, given - timedelta(days=1)), warning_line(pid, 1, given)]
    return lines


async def load(parties: PartyClient, store: RecordStore, lines: list[dict], cpu: dict[str, int]) -> tuple:
    grouped, orphans = read_lines(json.dumps(line) for line in lines)
    with Cpu(cpu) as used:
        t0 = time.perf_counter()
        report = await import_parties(parties, store, grouped, by="manager-1")
        took = time.perf_counter() - t0
    refused = [r for r in report.lines if r.status != "imported"]
    assert not orphans and not refused, refused[:3]
    return len(grouped), took, report.workflows_started, sum(used.used.values())


# --- the day's timers ---------------------------------------------------------------------


def busiest_day(engine: Engine) -> int:
    """The most deadlines on file on one local day ahead: open tasks due, live warnings and
    restrictions in force ending."""
    zone = ZoneInfo(TIMEZONE)
    days: dict[date, int] = {}
    now = datetime.now(UTC)
    with engine.connect() as connection:
        for table, column, status in (
            ("task", "due_at", "open"),
            ("warning", "expires_at", "live"),
            ("restriction", "ends_at", "in_force"),
        ):
            rows = connection.execute(
                text(f"SELECT {column} FROM {table} WHERE status = :status AND {column} IS NOT NULL"),
                {"status": status},
            )
            for (at,) in rows:
                at = at if isinstance(at, datetime) else datetime.fromisoformat(at)
                at = at if at.tzinfo else at.replace(tzinfo=UTC)
                if at > now:
                    day = at.astimezone(zone).date()
                    days[day] = days.get(day, 0) + 1
    return max(days.values(), default=0)


async def burst(
    parties: PartyClient,
    store: RecordStore,
    engine: Engine,
    tag: str,
    count: int,
    spread: int,
    lead_s: float,
    cpu: dict[str, int],
) -> Callable[[], Awaitable[tuple[float, float]]]:
    """Import `count` parties whose warnings end at one instant; returns the wait for them all to
    have written the end: (drain: the latest from the deadline; the latest from the party's own offset)."""
    lead = timedelta(seconds=lead_s + count / 20)  # the import starts 25-50 workflows a second
    deadline = (datetime.now(UTC) + lead).replace(microsecond=0)
    await load(parties, store, burst_lines(tag, count, deadline), cpu)
    if datetime.now(UTC) > deadline:
        print(f"  (the burst's import ended {(datetime.now(UTC) - deadline).total_seconds():.0f} s after its deadline)")

    async def drained() -> tuple[float, float]:
        seen: dict[str, datetime] = {}
        give_up = deadline + timedelta(seconds=spread + 900)
        while len(seen) < count and datetime.now(UTC) < give_up:
            with engine.connect() as connection:
                rows = connection.execute(
                    text("SELECT party_id FROM warning WHERE party_id LIKE :tag AND status <> 'live'"),
                    {"tag": f"burst-{tag}-%"},
                )
                at = datetime.now(UTC)
                for (pid,) in rows:
                    seen.setdefault(pid, at)
            await asyncio.sleep(0.5)
        if len(seen) < count:
            raise TimeoutError(f"{count - len(seen)} of {count} burst parties never ended their warning")
        late = [(at - deadline).total_seconds() for at in seen.values()]
        own = [(at - deadline - timer_offset(pid, spread)).total_seconds() for pid, at in seen.items()]
        return max(late), max(own)

    return drained


# --- the working day --------------------------------------------------------------------


@dataclass
class Day:
    timeline_pages: int  # of the long party's, 200 entries a page (services.timeline)
    incidents: int
    contacts: int
    decisions: int
    views: int


def day_for(parties: int, scale: float, long_incidents: int) -> Day:
    incidents = max(10, int(parties / 100 * scale))
    return Day(
        max(1, long_incidents // 200),
        incidents,
        10 * incidents,
        max(3, incidents // 10),
        max(20, min(300, incidents // 2)),
    )


async def working_day(
    bench: Bench, parties: PartyClient, store: RecordStore, api: httpx.AsyncClient, tokens: dict[str, str],
    known: list[str], running: list[str], plan: Day, timings: dict[str, list[float]], unanswered: dict[str, int],
    *, at_once: bool = True,
) -> None:  # fmt: skip
    """The day's work; `at_once` False: one call at a time (the quiet reads, before the day)."""
    rng = random.Random(len(known))

    async def incident(n: int) -> None:
        pid = rng.choice(known) if n % 10 else f"new-{uuid.uuid4().hex[:10]}"
        report = IncidentReport(
            incident_id=f"{pid}-day-{uuid.uuid4().hex[:8]}",
            party=PartyRef(party_id=pid),
            category=Category.AGGRESSIVE_OR_ABUSIVE,
            behaviour_code="verbal_abuse",
            occurred_at=datetime.now(UTC) - timedelta(minutes=5),
            reported_by="colleague-1",
            experienced_by="colleague-2",
            channel="phone",
        )
        await timed(timings["incident"], parties.report_incident(report))

    async def contact(n: int) -> None:
        pid = rng.choice(known)
        call = InboundContact(
            contact_id=f"c-{uuid.uuid4().hex}",
            party_id=pid,
            received_at=datetime.now(UTC),
            channel=ContactChannel.PHONE if n % 3 == 0 else ContactChannel.EMAIL,
            to_whom="caseworker-7",
        )
        await timed(timings["gate"], answer_contact(parties, store, call))

    def auth(staff_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[staff_id]}"}

    def answered(name: str, answer: httpx.Response) -> None:
        # A 503 (Temporal busy: the status query timed out) is an answer the day got, timed
        # and counted; anything else the bench did wrong.
        if answer.status_code != 200:
            assert answer.status_code == 503, (answer.url, answer.status_code, answer.text[:300])
            unanswered[name] = unanswered.get(name, 0) + 1

    async def get(name: str, url: str, **kwargs: Any) -> None:
        answered(name, await timed(timings[name], api.get(url, **kwargs)))

    open_approvals = TaskFilter(kind=TaskKind.RESTRICTION_APPROVAL)
    approvals = [t.task_id for t in store.open_task_page(open_approvals, limit=plan.decisions).tasks]
    bench.say(f"  the day: {asdict(plan)}; open approvals to decide: {len(approvals)}")

    async def decide(task_id: str) -> None:
        answer = await timed(
            timings["decision"],
            api.post(f"/tasks/{task_id}/decision", json={"outcome": "approve", "role": "executive_team"},
                     headers=auth("exec-1")),
        )  # fmt: skip
        answered("decision", answer)

    async def staff() -> None:
        for n in range(plan.views):
            # A party's status comes from its workflow: those whose workflow runs.
            await get("status", f"/parties/{rng.choice(running)}", headers=auth("manager-1"))
            if n % 4 == 0:
                await get("api_tasks", "/tasks", params={"mine": "true"}, headers=auth("manager-1"))
                await get("inbox_tasks", "/inbox")
                await get("search", "/inbox/parties", params={"q": SEARCHES[n % len(SEARCHES)]})
                await get("timeline", f"/inbox/parties/{LONG_PARTY}", params={"page": str(1 + n % plan.timeline_pages)})
            if approvals and n % 3 == 0:
                await decide(approvals.pop())
        for task_id in approvals:
            await decide(task_id)

    if not at_once:
        await pool(range(plan.incidents), incident, 1)
        await pool(range(plan.contacts), contact, 1)
        await staff()
        return
    # Four phones at the gate, four case systems reporting, and one member of staff reading, at once.
    await asyncio.gather(
        pool(range(plan.incidents), incident, 4),
        pool(range(plan.contacts), contact, 4),
        staff(),
    )


# --- sizes, plans and the report ----------------------------------------------------------


def records_bytes(engine: Engine) -> int:
    """The records database's tables, their indexes and TOAST: the bench's schema, or the SQLite file."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            return int(pages) * int(connection.execute(text("PRAGMA page_size")).scalar_one())
        return int(
            connection.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
                    "AND c.relkind = 'r'"
                )
            ).scalar_one()
        )


def temporal_bytes(db_file: Path) -> int:
    """The dev server's SQLite file and its write-ahead log."""
    return sum(f.stat().st_size for f in db_file.parent.glob(db_file.name + "*") if f.is_file())


@contextmanager
def statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements the code sends while the block runs, with their parameters."""
    caught: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        caught.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        yield caught
    finally:
        event.remove(engine, "before_cursor_execute", catch)


async def explain(bench: Bench, store: RecordStore, parties: PartyClient, known: list[str]) -> None:
    """PostgreSQL's plans of the hot reads, as the code sends them (EXPLAIN ANALYZE)."""
    from policy.timeline import Viewer
    from records.party_list import PartyFilter

    manager = Viewer(staff_id="manager-1", roles=frozenset({Role.MANAGER}))
    now = datetime.now(UTC)
    reads: dict[str, Callable[[], Any]] = {
        "task list page (GET /tasks, mine, a manager)": lambda: store.open_task_page(
            TaskFilter(person="manager-1"), limit=100
        ),
        "task list, approvals due soonest": lambda: store.open_task_page(
            TaskFilter(kind=TaskKind.RESTRICTION_APPROVAL), limit=100
        ),
        "task list, overdue": lambda: store.open_task_page(TaskFilter(overdue=True), limit=100),
        "timeline page 5 of the long party": lambda: store.timeline_page(LONG_PARTY, TIMEZONE, manager, 800, 200),
        "party search (id starts p-01)": lambda: store.party_page(PartyFilter(now=now, id_starts="p-01"), limit=50),
        "contact gate: contacts in a period": lambda: store.count_contacts(
            known[0], now - timedelta(days=7), now, excluding="x"
        ),
        "contact gate: the file of a party with no workflow": lambda: store.load_gate_view(known[1], TIMEZONE),
        "status: latest contacts and their count": lambda: (
            store.contacts(known[0], 20),
            store.contact_count(known[0]),
        ),
    }
    engine = store.engine
    for name, read in reads.items():
        with statements(engine) as caught:
            read()
        bench.say(f"### {name}")
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for statement, parameters in caught:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                bench.say("    " + " ".join(statement.split())[:300])
                for (line,) in cursor.fetchall():
                    bench.say("      " + line)
        finally:
            raw.close()


def say_figures(bench: Bench, f: Figures) -> None:
    bench.say(f"## {f.parties:,} parties (load average {f.load})")
    bench.say(
        f"  import: {f.import_s:.1f} s, {f.import_parties_per_s:.0f} parties/s, "
        f"{f.import_cpu_ms_per_party:.1f} ms CPU per party (server, worker, client); "
        f"workflows started {f.workflows_started}"
    )
    bench.say(
        f"  quiet, one call at a time: gate p50 {f.q_gate_p50:.1f} ms, p99 {f.q_gate_p99:.1f} ms; "
        f"status p99 {f.q_status_p99:.1f} ms; p95: GET /tasks {f.q_api_tasks_p95:.1f} ms, inbox tasks "
        f"{f.q_inbox_tasks_p95:.1f} ms, search {f.q_search_p95:.1f} ms, timeline page {f.q_timeline_p95:.1f} ms"
    )
    bench.say(f"  the day: {f.day}; answered 503 (Temporal busy): quiet {f.q_unanswered}, the day {f.unanswered}")
    bench.say(f"  contact gate p50 {f.gate_p50:.1f} ms, p99 {f.gate_p99:.1f} ms")
    bench.say(f"  API status p95 {f.status_p95:.1f} ms, p99 {f.status_p99:.1f} ms")
    bench.say(f"  task list p95: API {f.api_tasks_p95:.1f} ms, inbox {f.inbox_tasks_p95:.1f} ms")
    bench.say(f"  party search p95 {f.search_p95:.1f} ms; long timeline page p95 {f.timeline_p95:.1f} ms")
    bench.say(f"  decision p95 {f.decision_p95:.1f} ms; incident (update-with-start) p95 {f.incident_p95:.1f} ms")
    bench.say(f"  board report for a year: {f.board_year_s:.2f} s")
    bench.say(
        f"  timer burst: {f.burst_parties} parties at one deadline, drained {f.burst_drain_s:.0f} s after it "
        f"(the latest wake {f.burst_late_after_offset_max_s:.0f} s after its own offset)"
    )
    bench.say(
        f"  worker RSS {f.worker_rss_mib:.0f} MiB; "
        f"records {f.records_mib:.0f} MiB ({f.records_kib_per_party:.1f} KiB/party), "
        f"Temporal {f.temporal_mib:.0f} MiB ({f.temporal_kib_per_party:.1f} KiB/party)"
    )


QUIET_COLUMNS = [
    ("parties", "parties", "{:,}"),
    ("q_gate_p50", "gate p50 ms", "{:.1f}"),
    ("q_gate_p99", "gate p99 ms", "{:.1f}"),
    ("q_status_p99", "status p99 ms", "{:.1f}"),
    ("q_api_tasks_p95", "GET /tasks p95 ms", "{:.1f}"),
    ("q_inbox_tasks_p95", "inbox tasks p95 ms", "{:.1f}"),
    ("q_search_p95", "search p95 ms", "{:.1f}"),
    ("q_timeline_p95", "timeline page p95 ms", "{:.1f}"),
]
COLUMNS = [
    ("parties", "parties", "{:,}"),
    ("import_parties_per_s", "import parties/s", "{:.0f}"),
    ("import_cpu_ms_per_party", "import CPU ms/party", "{:.1f}"),
    ("gate_p50", "gate p50 ms", "{:.1f}"),
    ("gate_p99", "gate p99 ms", "{:.1f}"),
    ("status_p99", "status p99 ms", "{:.1f}"),
    ("api_tasks_p95", "GET /tasks p95 ms", "{:.1f}"),
    ("inbox_tasks_p95", "inbox tasks p95 ms", "{:.1f}"),
    ("search_p95", "search p95 ms", "{:.1f}"),
    ("timeline_p95", "timeline page p95 ms", "{:.1f}"),
    ("board_year_s", "board year s", "{:.2f}"),
    ("burst_parties", "burst parties", "{:,}"),
    ("burst_drain_s", "burst drained s", "{:.0f}"),
    ("worker_rss_mib", "worker RSS MiB", "{:.0f}"),
    ("records_kib_per_party", "records KiB/party", "{:.1f}"),
    ("temporal_kib_per_party", "Temporal KiB/party", "{:.1f}"),
]


def table(points: list[Figures], columns: list[tuple[str, str, str]]) -> list[str]:
    lines = ["| " + " | ".join(title for _, title, _ in columns) + " |", "|" + " --- |" * len(columns)]
    for p in points:
        lines.append("| " + " | ".join(form.format(getattr(p, name)) for name, _, form in columns) + " |")
    return lines


def plot(points: list[Figures], path: Path, note: str) -> None:
    """Latencies (left) and costs per party (right) against parties, log x axis."""
    figure = Figure(figsize=(12, 5), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    left, right = figure.subplots(1, 2)
    levels = [p.parties for p in points]
    for ax, series, ylabel, title in (
        (left, [("gate_p99", "contact gate p99"), ("status_p99", "API status p99"),
                ("inbox_tasks_p95", "inbox task list p95"), ("search_p95", "party search p95"),
                ("timeline_p95", "timeline page p95")], "milliseconds", "Latency of the day's reads"),
        (right, [("records_kib_per_party", "records KiB per party"),
                 ("temporal_kib_per_party", "Temporal KiB per party"),
                 ("import_cpu_ms_per_party", "import CPU ms per party")], "per party", "Cost per party"),
    ):  # fmt: skip
        for n, (name, label) in enumerate(series):
            ax.plot(levels, [getattr(p, name) for p in points], "o^sDv"[n] + "-",
                    color=COLOURS[n % len(COLOURS)], alpha=1 if n < 3 else 0.6, label=label)  # fmt: skip
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(levels))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{n:,}" for n in levels])
        ax.set_xlim(levels[0] / 2, levels[-1] * 2)
        ax.set_ylim(bottom=0)
        ax.set_xlabel("parties on file (log scale)")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=11)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=9, frameon=False)
    figure.suptitle(f"Scale run: a working day at each size ({note})", fontsize=12)
    figure.savefig(path, format="png")


def write(points: list[Figures], out: Path, lines: list[str], records: str) -> None:
    """OUT.json (the printed run and the figures), OUT.csv and the plot OUT.png."""
    out.with_suffix(".json").write_text(
        json.dumps({"run": lines, "points": [asdict(p) for p in points]}, indent=2) + "\n"
    )
    with out.with_suffix(".csv").open("w", newline="") as f:
        flat = [{k: v for k, v in asdict(p).items() if not isinstance(v, dict)} for p in points]
        writer = csv.DictWriter(f, fieldnames=list(flat[0]))
        writer.writeheader()
        writer.writerows(flat)
    plot(points, out.with_suffix(".png"), f"commit {commit()}, {records} records, dev server")


async def run_size(
    bench: Bench, worker: WorkerProcess, parties: PartyClient, store: RecordStore, api: httpx.AsyncClient,
    tokens: dict[str, str], loaded: int, size: int, args: argparse.Namespace,
) -> Figures:  # fmt: skip
    load_at_start = load_average()
    cpu = {"server": bench.server.pid, "worker": worker.pid}
    now = datetime.now(UTC)
    count, took, started, cpu_s = 0, 0.0, 0, 0.0
    # In chunks, so that a run given a time (--load-until) measures at the size it reached by then
    # (one chunk at least).
    for first in range(loaded, size, LOAD_CHUNK):
        if args.load_until is not None and first > loaded and datetime.now(UTC) >= args.load_until:
            bench.say(f"  --load-until {args.load_until:%H:%M} UTC reached: measuring at {first:,} parties")
            size = first
            break
        last = min(size, first + LOAD_CHUNK)
        lines = [line for p in range(first, last) for line in party_lines(p, now)]
        if first == 0:
            lines += long_party_lines(args.long_incidents, now)
        n, seconds, workflows, cpu_used = await load(parties, store, lines, cpu)
        count, took, started, cpu_s = count + n, took + seconds, started + workflows, cpu_s + cpu_used
        bench.say(f"  loaded parties {first:,} to {last:,}: {n / seconds:.0f} parties/s (load {load_average()})")
    figures = Figures(parties=size, load=load_at_start)
    figures.import_s, figures.workflows_started = took, started
    figures.import_parties_per_s, figures.import_cpu_ms_per_party = count / took, 1000 * cpu_s / count
    known = [f"p-{p:06d}" for p in range(size)]

    with store.engine.connect() as connection:
        running = list(
            connection.execute(text("SELECT party_id FROM imported_party WHERE live AND party_id LIKE 'p-%'")).scalars()
        )
    quiet: dict[str, list[float]] = {k: [] for k in TIMINGS}
    plan = day_for(size, args.day_scale, args.long_incidents)
    reads = Day(plan.timeline_pages, incidents=0, contacts=args.quiet_calls, decisions=0, views=args.quiet_calls)
    await working_day(
        bench, parties, store, api, tokens, known, running, reads, quiet, figures.q_unanswered, at_once=False
    )
    figures.q_gate_p50, figures.q_gate_p99 = quantile(quiet["gate"], 50), quantile(quiet["gate"], 99)
    figures.q_status_p99 = quantile(quiet["status"], 99)
    for name in ("api_tasks", "inbox_tasks", "search", "timeline"):
        setattr(figures, f"q_{name}_p95", quantile(quiet[name], 95))

    figures.burst_parties = max(args.min_burst, busiest_day(store.engine))
    bench.say(f"  loaded in {took:.0f} s; the day's timers: {figures.burst_parties} parties at one deadline")
    drained = await burst(
        parties, store, store.engine, f"{size}", figures.burst_parties, args.timer_spread, args.burst_lead, cpu
    )
    figures.day = asdict(plan)
    timings: dict[str, list[float]] = {k: [] for k in TIMINGS}
    await working_day(bench, parties, store, api, tokens, known, running, plan, timings, figures.unanswered)
    figures.gate_p50, figures.gate_p99 = quantile(timings["gate"], 50), quantile(timings["gate"], 99)
    figures.status_p95, figures.status_p99 = quantile(timings["status"], 95), quantile(timings["status"], 99)
    for name in ("api_tasks", "inbox_tasks", "search", "timeline", "decision", "incident"):
        setattr(figures, f"{name}_p95", quantile(timings[name], 95))
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    year = Period.model_validate({"from": today - timedelta(days=364), "to": today})
    board = []
    for _ in range(3):
        t0 = time.perf_counter()
        charts(build_report(store, year, TIMEZONE, datetime.now(UTC)))
        board.append(time.perf_counter() - t0)
    figures.board_year_s = statistics.median(board)
    figures.burst_drain_s, figures.burst_late_after_offset_max_s = await drained()
    figures.worker_rss_mib = rss_kib(worker.pid) / 1024
    records, temporal = records_bytes(store.engine), temporal_bytes(bench.server.db_file)
    figures.records_mib, figures.temporal_mib = records / 2**20, temporal / 2**20
    figures.records_kib_per_party, figures.temporal_kib_per_party = records / 1024 / size, temporal / 1024 / size
    figures.load += f" → {load_average()}"
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="parties on file, in increasing order")
    parser.add_argument("--database-url", default=None, help="records database (PostgreSQL: a schema of its own)")
    parser.add_argument("--day-scale", type=float, default=1.0, help="incidents in the day: parties / 100 times this")
    parser.add_argument("--min-burst", type=int, default=50, help="the fewest parties in the timer burst")
    parser.add_argument("--timer-spread", type=int, default=Settings().timer_spread_seconds, help="seconds")
    parser.add_argument("--quiet-calls", type=int, default=40, help="calls of each kind in the quiet reads")
    parser.add_argument("--burst-lead", type=float, default=45, help="seconds from the burst's import to its deadline")
    parser.add_argument("--long-incidents", type=int, default=LONG_INCIDENTS, help="the long party's incidents")
    parser.add_argument(
        "--load-until",
        type=lambda hhmm: datetime.combine(datetime.now(UTC).date(), datetime.strptime(hhmm, "%H:%M").time(), UTC),
        default=None,
        help="HH:MM UTC: stop loading then and measure at the size reached (a shared machine's time box)",
    )
    parser.add_argument("--explain", action="store_true", help="PostgreSQL's plans of the hot reads at the last size")
    parser.add_argument("--out", default=None, help="write OUT.json, OUT.csv and OUT.png")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    points: list[Figures] = []
    async with bench_session(args) as bench:
        queue = f"scale-{uuid.uuid4().hex[:6]}"
        worker = await WorkerProcess(bench.server.address, bench.database_url, party_queue=queue).start()
        try:
            store = RecordStore(bench.engine)
            parties = PartyClient(
                bench.client, queue, TIMEZONE, bench.door, acts_as_named=True, timer_spread_seconds=args.timer_spread
            )
            door_parties = PartyClient(
                bench.client, queue, TIMEZONE, bench.door, timer_spread_seconds=args.timer_spread
            )
            # One caller makes every request: the per-principal limit is the API's defence, not this bench's subject.
            settings = Settings(requests_per_minute=1_000_000)
            for staff_id, (name, roles) in STAFF.items():
                store.add_staff(staff_id, name, roles)
            tokens = {staff_id: store.issue_token(staff_id) for staff_id in STAFF}
            session_id, _ = store.open_session("manager-1", [Role.MANAGER], SignInRules.of(settings).timeouts)
            transport = httpx.ASGITransport(app=create_app(door_parties, store, settings))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as api:
                api.cookies.set(SESSION_COOKIE, session_id)
                loaded = 0
                for size in sizes:
                    figures = await run_size(bench, worker, parties, store, api, tokens, loaded, size, args)
                    loaded = figures.parties
                    points.append(figures)
                    say_figures(bench, figures)
                    if args.out:
                        # After each size: a run stopped at a larger one keeps the sizes it finished.
                        write(points, Path(args.out), bench.lines, bench.engine.dialect.name)
                    if loaded < size:
                        break  # --load-until: no time for a larger size
                if args.explain and bench.engine.dialect.name == "postgresql":
                    await explain(bench, store, parties, [f"p-{p:06d}" for p in range(loaded)])
        finally:
            worker.stop()
        bench.say("")
        bench.say("quiet reads, one call at a time:")
        for line in table(points, QUIET_COLUMNS):
            bench.say(line)
        bench.say("the working day:")
        for line in table(points, COLUMNS):
            bench.say(line)


if __name__ == "__main__":
    asyncio.run(main())
