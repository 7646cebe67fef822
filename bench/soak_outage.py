"""The soak's records-database outage (issue 24): the party histories while the worker cannot reach the file.

For `seconds` in the middle of the soak the records database is unreachable to the
worker (devstack.records_outage: SQLite's write lock held, or the proxy in front of
PostgreSQL cut) while incidents keep arriving by signal. Every awake party (a running
workflow on the soak's queue when the outage begins) has its history length read before,
each minute during, at the end of, and after the outage. Its growth per hour is taken
from the first minute's reading, past the local window (workflows.io), to the last:
nothing for the IO that keeps failing, four events for each message or timer (and the
window and handover of an IO a timer or message begins).
"""

import asyncio
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio.client import Client

from devstack.records_outage import RecordsOutage
from workflows.io import LOCAL_WINDOW

# Read the histories this far into the outage, once every IO in flight is past its window and handed over.
SETTLED_AFTER = 60.0
# Histories read at once: enough to read a few thousand parties in seconds, not so many the dev server stalls.
READS_IN_FLIGHT = 16


@dataclass
class Reading:
    label: str
    at: float  # seconds since the outage began
    lengths: dict[str, int]  # workflow id -> history length (its current run's)


@dataclass
class OutageFigures:
    awake: list[str]  # workflow ids
    began: float  # time.monotonic() when the database went down
    down_at: datetime
    up_at: datetime | None = None
    readings: list[Reading] = field(default_factory=list)

    async def read(self, client: Client, label: str) -> None:
        """The awake parties' history lengths now, printed."""
        at = time.monotonic() - self.began
        self.add(Reading(label, at, await history_lengths(client, self.awake)))

    def add(self, r: Reading) -> None:
        self.readings.append(r)
        first = self.readings[0].lengths
        grown = [r.lengths[p] - first[p] for p in r.lengths if p in first]
        print(
            f"history, {r.label} ({r.at:+.0f} s): {len(r.lengths)} parties, {sum(r.lengths.values())} events, "
            f"max {max(r.lengths.values(), default=0)}; grown since before: mean "
            f"{sum(grown) / max(1, len(grown)):.1f}, max {max(grown, default=0)}",
            flush=True,
        )

    def growth_per_hour(self, parties: Iterable[str]) -> tuple[float, int]:
        """Mean and greatest growth per party per hour, from the reading at a minute to the outage's end."""
        settled = next(r for r in self.readings if r.label.startswith("during") and r.at >= SETTLED_AFTER)
        end = next(r for r in self.readings if r.label == "at the end")
        hours = (end.at - settled.at) / 3600
        grown = [end.lengths[p] - settled.lengths[p] for p in parties if p in end.lengths and p in settled.lengths]
        if not grown or hours <= 0:
            return 0.0, 0
        return sum(grown) / len(grown) / hours, round(max(grown) / hours)

    def growth_lines(self, quiet: set[str]) -> list[str]:
        """The growth per hour for every awake party and for those no message reached."""
        out = []
        for who, parties in (("every awake party", set(self.awake)), ("awake, no message in the outage", quiet)):
            mean, most = self.growth_per_hour(parties)
            out.append(f"growth per party per hour in the outage, {who} ({len(parties)}): mean {mean:.1f}, max {most}")
        return out


async def awake_parties(client: Client, task_queue: str) -> list[str]:
    return [w.id async for w in client.list_workflows(f"TaskQueue = '{task_queue}' AND ExecutionStatus = 'Running'")]


async def ended_badly(client: Client, task_queue: str) -> int:
    """Workflows on the queue terminated, failed or timed out."""
    query = f"TaskQueue = '{task_queue}' AND ExecutionStatus IN ('Terminated', 'Failed', 'TimedOut')"
    return len([w async for w in client.list_workflows(query)])


async def history_lengths(client: Client, workflow_ids: Iterable[str]) -> dict[str, int]:
    gate = asyncio.Semaphore(READS_IN_FLIGHT)

    async def length(workflow_id: str) -> tuple[str, int]:
        async with gate:
            description = await client.get_workflow_handle(workflow_id).describe()
            return workflow_id, description.history_length

    return dict(await asyncio.gather(*(length(w) for w in workflow_ids)))


async def records_outage(
    client: Client,
    task_queue: str,
    outage: RecordsOutage,
    begin_after: float,
    seconds: float,
    records_up: asyncio.Event,
) -> OutageFigures:
    """After `begin_after` seconds, the records database down for `seconds`; the histories read meanwhile."""
    await asyncio.sleep(begin_after)
    awake = await awake_parties(client, task_queue)
    read_at = time.monotonic()
    before = await history_lengths(client, awake)
    figures = OutageFigures(awake, began=time.monotonic(), down_at=datetime.now(UTC))
    figures.add(Reading("before", read_at - figures.began, before))
    outage.begin()
    records_up.clear()
    print(
        f"records database down for {seconds:.0f} s; {len(awake)} parties awake (local window {LOCAL_WINDOW})",
        flush=True,
    )
    for minute in range(1, math.ceil(seconds / 60)):
        await asyncio.sleep(max(0.0, figures.began + minute * 60 - time.monotonic()))
        await figures.read(client, f"during, minute {minute}")
    await asyncio.sleep(max(0.0, figures.began + seconds - time.monotonic()))
    await figures.read(client, "at the end")
    outage.end()
    figures.up_at = datetime.now(UTC)
    records_up.set()
    print("records database back", flush=True)
    return figures
