"""Helpers of the fault tests (tests/test_faults.py, tests/test_hosts.py): waiting for an
outcome, checking each incident is on file once, stopping a process, warnings due to expire."""

import asyncio
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from client.parties import PartyClient
from policy.dates import six_months_after
from policy.replies import PartyStatus
from records.store import RecordStore
from tests.helpers import wait_for_status


async def eventually(check: Callable[[], Awaitable[bool] | bool], timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.2)


def recorded_ids(store: RecordStore, party_id: str) -> list[str]:
    return sorted(row.incident_id for row in store.incidents(party_id))


async def assert_each_recorded_once(
    parties: PartyClient, store: RecordStore, expected: dict[str, set[str]], timeout: float = 60
) -> None:
    """Every party's workflow counts exactly its incidents, and its file holds exactly them."""
    for party_id, incident_ids in expected.items():
        n = len(incident_ids)

        def counted(s: PartyStatus, n: int = n) -> bool:
            return s.incident_count >= n

        status = await wait_for_status(parties, party_id, counted, timeout=timeout)
        assert status.incident_count == len(incident_ids), party_id
        assert not status.rejections, status.rejections
    await eventually(
        lambda: all(recorded_ids(store, p) == sorted(ids) for p, ids in expected.items()),
        timeout,
        "every incident in the records database",
    )


def stop_process(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def communicated_for_expiry(expires_at: datetime, timezone: str) -> datetime | None:
    """When a warning must have been communicated to expire at `expires_at`
    (six calendar months later, R5), or None if no instant does (a month-end
    date that six months' clipping never reaches, or a clock change)."""
    local = expires_at.astimezone(ZoneInfo(timezone))
    communicated = (local - relativedelta(months=6)).astimezone(UTC)
    return communicated if six_months_after(communicated, timezone) == expires_at else None


def timezone_for(expiries: list[datetime]) -> str:
    """A time zone in which every expiry has a communication instant: the
    body's own in all but a few days a year."""
    for timezone in ("Europe/London", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/New_York"):
        if all(communicated_for_expiry(e, timezone) for e in expiries):
            return timezone
    raise AssertionError(f"no time zone has six-month preimages for {expiries}")
