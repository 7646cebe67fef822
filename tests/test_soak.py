"""The soak, short (bench/soak.py for the 30 minutes): mixed traffic on its own dev
server, managers deciding tasks and contacts at the gate, while the worker is
SIGKILLed once and restarted (R3: nothing lost, nothing twice; timers on time)."""

import os

import pytest

from bench.soak import soak

# Its records are a SQLite file of its own whatever DATABASE_URL says: once, in the SQLite pass.
pytestmark = [
    pytest.mark.devserver,
    pytest.mark.skipif(
        "postgresql" in os.environ.get("DATABASE_URL", ""),
        reason="the soak keeps its own SQLite records: it runs once, in the SQLite pass",
    ),
]

# Seconds after it was due (or after the worker was back) that a timer counts as late: the
# worker's 3 s sticky timeout for a killed worker's parties, then a replay of the party's
# history, on a machine whose two cores the whole suite shares.
LATE = 8.0


async def test_r3_soak_every_message_on_file_once_nothing_stuck_no_timer_late(tmp_path):
    counts = await soak(minutes=1, kills=1, concurrency=6, late=LATE, folder=tmp_path)
    # Incidents.
    assert counts["incidents sent"] > 100, counts
    assert counts["recorded"] == counts["incidents sent"] == counts["counted by the workflows"], counts
    assert counts["duplicates on file"] == counts["on file but never sent"] == 0, counts
    # Decisions: each on file once or refused with a reason, never both, none unanswered.
    assert counts["decisions recorded (on file once)"] > 10 and counts["decisions refused"] > 0, counts
    assert counts["decisions lost"] == counts["decisions unanswered"] == 0, counts
    assert counts["decisions refused but on file"] == counts["decisions on file but never sent"] == 0, counts
    assert counts["decisions on file twice"] == 0, counts
    assert (
        counts["decisions taken effect (task closed, or the recusal on file)"]
        == counts["decisions recorded (on file once)"]
    ), counts
    assert counts["decisions sent"] == (
        counts["decisions recorded (on file once)"]
        + counts["decisions sent twice (same id, answered as a duplicate)"]
        + counts["decisions refused"]
    ), counts
    # Contacts: each on the contact log once; a repeat gets the answer on file.
    assert counts["contacts sent"] > 20 and counts["contacts unanswered"] == 0, counts
    assert counts["contacts on file"] == counts["contacts sent"], counts
    assert (
        counts["contacts sent twice, answered as the duplicate of the answer on file"]
        == counts["contacts sent twice (same id)"]
    ), counts
    assert counts["contacts allowed (respond as usual)"] < counts["contacts sent"], counts
    # Nothing stuck; timers due in the soak fired and were acted on in time.
    assert counts["workflows with a failed task"] == counts["stuck (task retried, pending)"] == 0, counts
    assert counts["warnings due to end in the soak"] > 0, counts
    assert counts["warnings on file as ended"] == counts["warnings due to end in the soak"], counts
    assert counts["timers due"] >= counts["warnings due to end in the soak"], counts
    assert counts["timers due, not fired"] == counts["timers late"] == 0, counts
    assert counts["max s from due (or the worker's return) to acted on, not in flight at a kill"] <= LATE, counts
