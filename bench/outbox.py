"""What the outbox costs a party's write (issue 25): writes of a batch (an incident and a
warning, as a party's workflow makes) from several threads at once, each to a party of its
own, with the events recorded in the write's transaction, and without (the events' recording
replaced by nothing). Every write that records events takes the one `event_clock` lock to its
commit: this says what that costs under concurrency.

    .venv/bin/python -m bench.outbox --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Prints writes per second and the 50th and 95th percentile of a write's time, both ways.
"""

import argparse
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

from policy.effects import EffectBatch, IncidentRecorded, WarningSaved
from policy.messages import IncidentReport, PartyRef
from policy.state import WarningEntry
from policy.vocabulary import Category, WarningMethod
from records import outbox
from records.db import make_engine, throwaway_postgres_schema
from records.schema import upgrade_schema
from records.writes import EffectWriter


def _batch(party_id: str, n: int) -> EffectBatch:
    now = datetime.now(UTC)
    report = IncidentReport(
        incident_id=f"{party_id}-i{n}",
        party=PartyRef(party_id=party_id),
        category=Category.AGGRESSIVE_OR_ABUSIVE,
        behaviour_code="verbal_abuse",
        occurred_at=now,
        reported_by="colleague-1",
        channel="phone",
    )
    warning = WarningEntry(
        warning_id=f"{party_id}-w",
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=[report.incident_id],
        communicated_at=now,
        # Held open by each repeat: each write changes the warning, so each makes two events.
        expires_at=now + timedelta(days=180 + n),
        issued_by="colleague-1",
        method=WarningMethod.WRITTEN,
        reasons="bench",
    )
    return EffectBatch(
        party_id=party_id,
        effects=[IncidentRecorded(report=report, received_at=now), WarningSaved(party_id=party_id, warning=warning)],
        revision=1,
    )


def run(writer: EffectWriter, threads: int, writes: int) -> tuple[float, list[float]]:
    """`threads` parties written `writes` times each, at once: the wall time and each write's time."""
    took: list[float] = []
    lock = threading.Lock()

    def party() -> None:
        party_id = f"p-{uuid.uuid4().hex[:10]}"
        for n in range(writes):
            start = time.perf_counter()
            writer.apply(_batch(party_id, n))
            with lock:
                took.append(time.perf_counter() - start)

    workers = [threading.Thread(target=party) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start, took


@contextmanager
def _without_events() -> Iterator[None]:
    recorded: Callable[..., Any] = outbox.record
    outbox.record = lambda *args, **kwargs: 0
    try:
        yield
    finally:
        outbox.record = recorded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="PostgreSQL (a throwaway schema) or sqlite:///FILE")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--writes", type=int, default=200, help="writes per thread")
    args = parser.parse_args()
    postgres = args.database_url.startswith("postgresql")
    schema = throwaway_postgres_schema(args.database_url, "ubp_bench_outbox") if postgres else None
    with schema or nullcontext(args.database_url) as url:
        engine = make_engine(url)
        upgrade_schema(engine)
        writer = EffectWriter(engine)
        for label, events in (("without events", False), ("with events", True), ("without events", False)):
            if events:
                wall, took = run(writer, args.threads, args.writes)
            else:
                with _without_events():
                    wall, took = run(writer, args.threads, args.writes)
            p95 = statistics.quantiles(took, n=20)[18]
            print(
                f"{label:15} {len(took) / wall:7.0f} writes/s  p50 {statistics.median(took) * 1000:6.1f} ms"
                f"  p95 {p95 * 1000:6.1f} ms  ({args.threads} threads x {args.writes})"
            )
        engine.dispose()


if __name__ == "__main__":
    main()
