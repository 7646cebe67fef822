"""The scale run's smallest size (bench/scale.py, issue 30) as a smoke test: 1,000 parties through
the bulk import, the quiet reads, the day's timer burst and a short working day on its own dev
server complete, and every figure the run reports is printed. Not their values: those are
bench/RESULTS.md's, measured on a quiet machine, not beside the suite."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.records_fixtures import postgres_url

# The run's records are PostgreSQL's, as the scale run's: once, in the PostgreSQL pass.
pytestmark = [
    pytest.mark.devserver,
    pytest.mark.skipif(
        "postgresql" not in os.environ.get("DATABASE_URL", ""),
        reason="the scale run keeps its records on PostgreSQL: it runs once, in the PostgreSQL pass",
    ),
]

FIGURES = [
    r"import: [\d.]+ s, \d+ parties/s, [\d.]+ ms CPU per party",
    r"quiet, one call at a time: gate p50 [\d.]+ ms, p99 [\d.]+ ms; status p99 [\d.]+ ms; p95: GET /tasks [\d.]+ ms, "
    r"inbox tasks [\d.]+ ms, search [\d.]+ ms, timeline page [\d.]+ ms",
    r"contact gate p50 [\d.]+ ms, p99 [\d.]+ ms",
    r"API status p95 [\d.]+ ms, p99 [\d.]+ ms",
    r"task list p95: API [\d.]+ ms, inbox [\d.]+ ms",
    r"party search p95 [\d.]+ ms; long timeline page p95 [\d.]+ ms",
    r"decision p95 [\d.]+ ms; incident \(update-with-start\) p95 [\d.]+ ms",
    r"board report for a year: [\d.]+ s",
    r"timer burst: \d+ parties at one deadline, drained -?\d+ s after it "
    r"\(the latest wake -?\d+ s after its own offset\)",
    r"worker RSS \d+ MiB; records \d+ MiB \([\d.]+ KiB/party\), Temporal \d+ MiB \([\d.]+ KiB/party\)",
    r"\| 1,000 \| [\d.]+ \| [\d.]+ \|",  # the tables' rows
]


def test_the_scale_run_at_1000_parties_completes_and_prints_its_figures(tmp_path: Path) -> None:
    url, why_not = postgres_url()
    if url is None:
        pytest.skip(why_not)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.scale",
            "--database-url",
            url,
            "--sizes",
            "1000",
            "--out",
            str(tmp_path / "s"),
            # A short day, a short burst: the smoke checks the run goes through, not how fast.
            "--day-scale",
            "0.2",
            "--quiet-calls",
            "3",
            "--timer-spread",
            "3",
            "--burst-lead",
            "3",
            "--long-incidents",
            "400",
            "--min-burst",
            "10",
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    for figure in FIGURES:
        assert re.search(figure, run.stdout), f"not printed: {figure}\n{run.stdout[-3000:]}"
    assert {p.suffix for p in tmp_path.iterdir()} == {".json", ".csv", ".png"}
