"""The cost curve: throughput and p99 latency as the parties, and the incidents per party, grow.

    .venv/bin/python -m bench.curve [--quick] [--out bench/cost-curve]

Its own dev server and records database, as `bench.run` starts them. Two axes:

- **parties**: N parties (100, 1,000, 10,000) get `--incidents` incidents each
  by signal-with-start, round robin: the first burst opens every party (new),
  the second reaches them open and cached (running). Then report_incident
  (update-with-start, waits for the write) to a party picked at random among the N.
- **incidents per party**: M incidents (1, 100, 10,000) to each of
  max(1, 1,000 / M) parties, so each point sends about 1,000 messages (10,000
  for the last). One incident is one message to a new party; more go to each
  party in windows, as the bench's one busy party does. Then report_incident
  to those parties in turn, each already holding M incidents.

Each point has a worker process of its own (a cache of its own, on a task
queue of its own). Throughput counts an incident once it is in the records
database. Writes `OUT.json`, `OUT.csv` and the plot `OUT.png`.
"""

import argparse
import asyncio
import csv
import json
import random
import statistics
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullLocator

from bench.run import PROJECT_ROOT, Bench, WorkerProcess, bench_session, load_average, pool, report, rss_kib, timed
from client.parties import PartyClient

# Okabe-Ito blue, vermilion and bluish green, as the board report's charts (reports.charts).
COLOURS = ("#0072B2", "#D55E00", "#009E73")


@dataclass
class Point:
    axis: str  # "parties" or "incidents per party"
    level: int
    parties: int
    incidents_per_party: int
    messages: int
    rate_new: float  # messages/s while the parties open (parties axis) or fill (incidents axis)
    rate_running: float | None  # messages/s to open parties (parties axis only)
    p50_ms: float
    p99_ms: float
    worker_rss_mib: float
    load_average: str


async def latency(samples: int, parties: PartyClient, pick, first_incident: int) -> tuple[float, float]:
    """p50 and p99 (ms) of `samples` sequential report_incident calls, the i-th to party `pick(i)`."""
    values: list[float] = []
    for i in range(samples):
        await timed(values, parties.report_incident(report(pick(i), first_incident + i)))
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[98]


async def by_parties(bench: Bench, n: int) -> Point:
    a = bench.args
    k = a.incidents
    queue, tag = f"curve-p{n}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    worker = await WorkerProcess(bench.server.address, bench.database_url, party_queue=queue,
                                 max_cached=max(10_000, n + 100)).start()  # fmt: skip
    try:
        cpu_pids = {"server": bench.server.pid, "worker": worker.pid}
        parties = bench.parties(queue)
        bench.say(f"## {n} parties x {k} incidents per burst, {a.concurrency} in flight")
        await bench.party_burst(parties, [f"cw{n}-{tag}-{p}" for p in range(5)], 0, 2, cpu_pids)  # warm
        ids = [f"cp{n}-{tag}-{p}" for p in range(n)]
        new = await bench.party_burst(parties, ids, 0, k, cpu_pids)
        running = await bench.party_burst(parties, ids, k, k, cpu_pids)
        rng = random.Random(n)
        p50, p99 = await latency(a.latency_samples, parties, lambda _i: rng.choice(ids), 2 * k)
        bench.say(f"  report_incident to a random party of {n}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        return Point("parties", n, n, k, 2 * n * k, new, running, p50, p99, rss_kib(worker.pid) / 1024, load_average())
    finally:
        worker.stop()


async def by_incidents(bench: Bench, m: int) -> Point:
    a = bench.args
    p = max(1, a.messages_per_point // m)
    queue, tag = f"curve-i{m}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex[:6]
    worker = await WorkerProcess(bench.server.address, bench.database_url, party_queue=queue).start()
    try:
        cpu_pids = {"server": bench.server.pid, "worker": worker.pid}
        parties = bench.parties(queue)
        bench.say(f"## {p} parties x {m} incidents each, {a.concurrency} in flight")
        await bench.party_burst(parties, [f"cw{m}-{tag}-{q}" for q in range(5)], 0, 2, cpu_pids)  # warm
        ids = [f"ci{m}-{tag}-{q}" for q in range(p)]
        if m == 1:
            rate = await bench.party_burst(parties, ids, 0, 1, cpu_pids)
        else:
            # Signals in windows per party: an unbounded stream to one workflow starves its tasks (RESULTS.md).
            t0 = time.perf_counter()
            in_flight = max(1, min(8, a.concurrency // p))  # per party, as the one busy party of bench.run
            await pool(ids, lambda q: bench.fill_party(parties, "signal", q, m, in_flight), p)
            elapsed = time.perf_counter() - t0
            rate = p * m / elapsed
            bench.say(
                f"  party {p * m:6d} signals  {elapsed:6.1f} s  {rate:6.1f}/s   ({in_flight} in flight per party)"
            )
        p50, p99 = await latency(a.latency_samples, parties, lambda i: ids[i % p], m)
        bench.say(f"  report_incident to a party holding {m}: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        return Point("incidents per party", m, p, m, p * m, rate, None, p50, p99, rss_kib(worker.pid) / 1024,
                     load_average())  # fmt: skip
    finally:
        worker.stop()


def _parties(n: int) -> str:
    return "party" if n == 1 else "parties"


def plot(points: list[Point], path: Path, note: str) -> None:
    """Two panels (by parties, by incidents per party): throughput on the left
    axis, p99 latency on the right, both from zero; log x axis."""
    figure = Figure(figsize=(12, 5), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    panels = figure.subplots(1, 2)
    for ax, axis, title, xlabel in (
        (panels[0], "parties", "By number of parties", "parties (log scale), each sent one incident per burst"),
        (panels[1], "incidents per party", "By incidents per party", "incidents per party (log scale)"),
    ):
        shown = sorted((p for p in points if p.axis == axis), key=lambda p: p.level)
        if not shown:
            ax.set_visible(False)
            continue
        levels = [p.level for p in shown]
        lines = [ax.plot(levels, [p.rate_new for p in shown], "o-", color=COLOURS[0],
                         label="throughput, new parties" if axis == "parties" else "throughput")[0]]  # fmt: skip
        if axis == "parties":
            lines += ax.plot(levels, [p.rate_running for p in shown], "s-", color=COLOURS[2],
                             label="throughput, running parties")  # fmt: skip
        right = ax.twinx()
        lines += right.plot(levels, [p.p99_ms for p in shown], "^--", color=COLOURS[1],
                            label="report_incident p99 (right)")  # fmt: skip
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(levels))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels(
            [
                f"{p.level:,}" if axis == "parties" else f"{p.level:,}\n({p.parties:,} {_parties(p.parties)})"
                for p in shown
            ]
        )
        ax.set_xlim(levels[0] / 2, levels[-1] * 2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("messages per second")
        right.set_ylabel("p99 latency (ms)")
        ax.set_ylim(bottom=0, top=1.2 * max(max(line.get_ydata()) for line in lines[:-1]))
        right.set_ylim(bottom=0, top=1.3 * max(p.p99_ms for p in shown))
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_title(title, fontsize=11)
        # Under the axis, so the key never covers a point.
        ax.legend(lines, [str(line.get_label()) for line in lines], loc="upper center",
                  bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=9, frameon=False)  # fmt: skip
    figure.suptitle(f"Cost curve: throughput end to end and report_incident p99 ({note})", fontsize=12)
    figure.savefig(path, format="png")


def write(points: list[Point], out: Path, header: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(p) for p in points]
    out.with_suffix(".json").write_text(json.dumps({"run": header, "points": rows}, indent=2) + "\n")
    with out.with_suffix(".csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def commit() -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unknown"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--party-levels", default="100,1000,10000", help="parties at each point (parties axis)")
    parser.add_argument("--incident-levels", default="1,100,10000", help="incidents per party (incidents axis)")
    parser.add_argument("--incidents", type=int, default=1, help="incidents per party per burst (parties axis)")
    parser.add_argument("--messages-per-point", type=int, default=1000, help="incidents axis: parties = this / M")
    parser.add_argument("--latency-samples", type=int, default=200, help="sequential report_incident calls a point")
    parser.add_argument("--concurrency", type=int, default=32, help="messages in flight")
    parser.add_argument("--big-window", type=int, default=100, help="incidents per window to one party")
    parser.add_argument("--quick", action="store_true", help="small levels (about a minute); writes var/cost-curve-*")
    parser.add_argument("--out", help="where the figures go, without suffix (default bench/cost-curve)")
    parser.add_argument("--database-url", help="records database (default: SQLite in the temporary folder)")
    parser.add_argument("--phase-timeout", type=float, default=900)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if args.quick:
        args.party_levels, args.incident_levels = "20,100,300", "1,20,300"
        args.messages_per_point, args.latency_samples = 100, 50
    out = Path(args.out or (PROJECT_ROOT / ("var/cost-curve-quick" if args.quick else "bench/cost-curve")))
    points: list[Point] = []
    async with bench_session(args) as bench:
        header = [*bench.lines, f"commit {commit()}"]
        for n in (int(x) for x in args.party_levels.split(",") if x):
            points.append(await by_parties(bench, n))
        for m in (int(x) for x in args.incident_levels.split(",") if x):
            points.append(await by_incidents(bench, m))
    write(points, out, header)
    plot(points, out.with_suffix(".png"), f"{args.concurrency} in flight, commit {commit()}")
    print(f"wrote {out}.json, .csv, .png")


if __name__ == "__main__":
    asyncio.run(main())
