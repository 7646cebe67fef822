"""The soak, short (bench/soak.py for the 30 minutes): mixed traffic on its own dev
server while the worker is SIGKILLed once and restarted (R3: nothing lost, nothing twice)."""

import pytest

from bench.soak import soak

pytestmark = pytest.mark.devserver


async def test_r3_soak_every_incident_on_file_once_nothing_stuck(tmp_path):
    counts = await soak(minutes=1, kills=1, concurrency=6, late=5.0, folder=tmp_path)
    assert counts["incidents sent"] > 100, counts
    assert counts["recorded"] == counts["incidents sent"] == counts["counted by the workflows"], counts
    assert counts["duplicates on file"] == counts["on file but never sent"] == 0, counts
    assert counts["workflows with a failed task"] == counts["stuck (task retried, pending)"] == 0, counts
    assert counts["timers late"] == 0, counts
