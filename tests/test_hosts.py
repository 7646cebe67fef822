"""Faults across hosts (issue 24): two worker hosts and the API host, each a network namespace
of its own (tests/netns.py), and the services host (the root namespace: the Temporal dev server,
and the records database behind a TCP proxy on its link's address). A burst of incidents goes
to the API over HTTP; one worker host's link is cut in the middle of it, and then the records
database's for longer than the workflows' local-activity window (workflows/io.py), while
warnings' expiry timers fall due. Nothing is lost, nothing recorded twice, no party stuck.

Needs PostgreSQL (with SQLite there is no database host to cut: scripts/test.sh runs this in
its PostgreSQL pass) and root with iproute2; otherwise it is skipped, saying why.
"""

import asyncio
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url
from temporalio.client import WorkflowExecutionStatus

from client.connection import connect
from devstack.proxy import TcpProxy
from devstack.server import DevServer, free_port
from policy.messages import PartyRef
from policy.vocabulary import Role, Stage, WarningStatus
from records.store import RecordStore
from settings import Settings
from tests import netns, worker_process
from tests.faults import assert_each_recorded_once, communicated_for_expiry, eventually, stop_process, timezone_for
from tests.helpers import ask, incident, local_parties, new_party, warning
from workflows.io import LOCAL_WINDOW

pytestmark = [pytest.mark.devserver, pytest.mark.postgres]

WORKERS = ("w1", "w2")
API = "api"
API_PORT = 8000  # the API host's own namespace: no other process there to take it
CASE_SYSTEM = "case-system"
# Longer than the workflow task timeout (10 s): the tasks the cut worker held go to the other.
LINK_DOWN = timedelta(seconds=15)
# Past the local window: the IO in flight is handed to ordinary activities (workflows.io).
RECORDS_DOWN = LOCAL_WINDOW + timedelta(seconds=10)
BURST_PARTIES, BURST_PER_PARTY = 16, 8


def log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def start_api(hosts: netns.Hosts, settings: Settings, temporal: str, database_url: str, log: Path) -> subprocess.Popen:
    """`ubp api` on the API host, as an operator starts it."""
    assert settings.encryption_keys is not None
    env = os.environ | {
        "DATABASE_URL": database_url,
        "UBP_TEMPORAL_ADDRESS": temporal,
        "UBP_TASK_QUEUE": settings.task_queue,
        "UBP_TIMEZONE": settings.timezone,
        "UBP_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "UBP_DOOR_KEY_FILE": str(settings.door_key_file),
        "UBP_API_HOST": hosts.ip(API),
        "UBP_API_PORT": str(API_PORT),
        # The parties it starts wake for a deadline on time: the warnings expire within the test.
        "UBP_TIMER_SPREAD_SECONDS": "0",
    }
    ubp = [sys.executable, "-c", "from starter.ubp import main; main()"]  # `ubp`, from this checkout
    with open(log, "ab") as out:
        return subprocess.Popen(
            ["ip", "netns", "exec", hosts.namespace(API), *ubp, "api"],
            cwd=worker_process.PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def ready(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/readyz")).status_code == 200
    except httpx.TransportError:
        return False


async def post(http: httpx.AsyncClient, path: str, body: dict, *, wait: bool = True) -> dict:
    answer = await http.post(path if wait else f"{path}?wait=false", json=body)
    assert answer.status_code == (200 if wait else 202), f"{path}: {answer.status_code} {answer.text}"
    result: dict = answer.json()
    return result


async def warn(http: httpx.AsyncClient, expires_at: datetime, timezone: str) -> tuple[PartyRef, list[str]]:
    """A party warned (after an ask) so that the warning expires at `expires_at`; its incidents."""
    communicated = communicated_for_expiry(expires_at, timezone)
    assert communicated is not None
    party = new_party()
    path = f"/parties/{party.party_id}"
    first = incident(party, communicated - timedelta(hours=3))
    second = incident(party, communicated - timedelta(hours=1))
    await post(http, f"{path}/incidents", first.model_dump(mode="json"))
    await post(
        http, f"{path}/asks", ask(party, [first.incident_id], communicated - timedelta(hours=2)).model_dump(mode="json")
    )
    await post(http, f"{path}/incidents", second.model_dump(mode="json"))
    outcome = await post(
        http, f"{path}/warnings", warning(party, [second.incident_id], communicated).model_dump(mode="json")
    )
    assert datetime.fromisoformat(outcome["warning"]["expires_at"]) == expires_at, outcome
    return party, [first.incident_id, second.incident_id]


def expiries_from_now(*seconds: int) -> list[datetime]:
    now = datetime.now(UTC).replace(microsecond=0)
    return [now + timedelta(seconds=s) for s in seconds]


async def test_worker_host_and_records_database_cut_nothing_lost(settings, store: RecordStore, tmp_path, door_keys):
    """Two worker hosts and the API host. 128 incidents to 16 parties through the API (signals
    and updates mixed); a third of the way in, worker host 1's link is cut for 15 s. Then more
    incidents are signalled and the records database's link (its proxy) is cut for 40 s.
    Four warnings expire meanwhile: two due a few seconds into the burst, about when the worker
    host is cut off (as the timing goes, not asserted), and two while the database is
    (asserted). Afterwards every incident is counted once by its party's workflow and on file
    once, every expiry fired and is recorded, every workflow is running, and every party
    answers a last incident through the API."""
    url = make_url(settings.database_url)
    if url.get_backend_name() != "postgresql":
        pytest.skip(
            "needs PostgreSQL: with SQLite there is no records-database host to cut (the PostgreSQL pass runs it)"
        )
    if why := netns.why_unavailable():
        pytest.skip(why)
    timeline: dict[str, float] = {}
    began = time.monotonic()

    def mark(what: str) -> None:
        timeline[what] = round(time.monotonic() - began, 1)

    # One in which every instant of the next few minutes is a warning's possible expiry.
    timezone = timezone_for(expiries_from_now(*range(0, 300, 30)))
    settings = settings.model_copy(update={"timezone": timezone})
    hosts = netns.Hosts([*WORKERS, API])
    processes: dict[str, subprocess.Popen] = {}
    server: DevServer | None = None
    proxy: TcpProxy | None = None
    with hosts:
        try:
            server = DevServer(tmp_path / "temporal.db", f"{hosts.services_ip}:{free_port()}", ip="0.0.0.0")
            await server.start()
            client = await connect(settings.model_copy(update={"temporal_address": server.address}))
            proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432, host=hosts.services_ip)
            proxy.restore()
            hosts_url = url.set(host=hosts.services_ip, port=proxy.port).render_as_string(hide_password=False)
            for name in WORKERS:
                processes[name] = await asyncio.to_thread(
                    worker_process.start, server.address, hosts_url, settings.task_queue,
                    tmp_path / f"{name}.log", netns=hosts.namespace(name),
                )  # fmt: skip
            store.add_staff("colleague-1", "Colin Colleague", [Role.COLLEAGUE])
            store.add_staff("colleague-2", "Cora Colleague", [Role.COLLEAGUE])
            store.add_system(CASE_SYSTEM, "The case system", ["*"])
            token = store.issue_token(CASE_SYSTEM)
            processes[API] = start_api(hosts, settings, server.address, hosts_url, tmp_path / "api.log")
            http = httpx.AsyncClient(
                base_url=f"http://{hosts.ip(API)}:{API_PORT}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=90,
                trust_env=False,  # never through a proxy of the machine's
            )
            async with http:

                async def api_ready() -> bool:
                    if processes[API].poll() is not None:
                        raise AssertionError(f"the API exited: {log_tail(tmp_path / 'api.log')}")
                    return await ready(http)

                await eventually(api_ready, 60, "the API answers")
                mark("hosts, servers, workers and API up")
                parties = local_parties(client, settings.task_queue, timezone, door_keys)
                expected: dict[str, set[str]] = {}

                # Two warnings due a few seconds into the burst, about when worker host 1 is cut off.
                warned: list[PartyRef] = []
                for expires_at in expiries_from_now(12, 16):
                    party, ids = await warn(http, expires_at, timezone)
                    warned.append(party)
                    expected[party.party_id] = set(ids)
                mark("first two warnings issued")

                people = [new_party() for _ in range(BURST_PARTIES)]
                since = datetime.now(UTC) - timedelta(days=1)
                reports = [
                    incident(p, since + timedelta(minutes=i), incident_id=f"hosts-{p.party_id}-{i}")
                    for i in range(BURST_PER_PARTY)
                    for p in people
                ]
                for r in reports:
                    expected.setdefault(r.party.party_id, set()).add(r.incident_id)
                answered = 0
                a_third = asyncio.Event()
                gate = asyncio.Semaphore(16)

                async def send(n: int) -> None:
                    nonlocal answered
                    report = reports[n]
                    async with gate:
                        path = f"/parties/{report.party.party_id}/incidents"
                        await post(http, path, report.model_dump(mode="json"), wait=bool(n % 2))
                        answered += 1
                        if answered == len(reports) // 3:
                            a_third.set()

                burst = asyncio.gather(*(send(n) for n in range(len(reports))))
                try:
                    await asyncio.wait_for(a_third.wait(), 60)
                    hosts.cut("w1")
                    mark("worker host 1 cut")
                    cut_after = answered
                    await asyncio.sleep(LINK_DOWN.total_seconds())
                    hosts.restore("w1")
                    mark("worker host 1 back")
                    await asyncio.wait_for(burst, 90)
                    mark("burst answered")
                finally:
                    if not burst.done():
                        burst.cancel()
                assert cut_after < len(reports), "the burst was over before the worker host was cut"

                # Two warnings expire, and incidents just signalled are written, while the database is cut off.
                for expires_at in expiries_from_now(20, 28):
                    party, ids = await warn(http, expires_at, timezone)
                    warned.append(party)
                    expected[party.party_id] = set(ids)
                late = [
                    incident(p, since + timedelta(hours=1), incident_id=f"hosts-{p.party_id}-late") for p in people[:6]
                ]
                for r in late:
                    await post(http, f"/parties/{r.party.party_id}/incidents", r.model_dump(mode="json"), wait=False)
                    expected[r.party.party_id].add(r.incident_id)
                proxy.cut()
                cut_at = datetime.now(UTC)
                mark("records database cut")
                assert (await http.get("/readyz")).json()["records"] != "ok", "the API still reaches the database"
                await asyncio.sleep(RECORDS_DOWN.total_seconds())
                proxy.restore()
                mark("records database back")
                expiries = [w.expires_at for p in warned[2:] for w in store.warnings(p.party_id)]
                assert all(cut_at < e < datetime.now(UTC) for e in expiries), f"cut at {cut_at}, expiries {expiries}"

                def all_expired() -> bool:
                    return all(
                        [w.status for w in store.warnings(p.party_id)] == [WarningStatus.EXPIRED] for p in warned
                    )

                await eventually(all_expired, 90, "every warning expired in the records database")
                mark("every expiry recorded")
                await assert_each_recorded_once(parties, store, expected, timeout=90)
                mark("every incident on file once")
                for party in warned:
                    assert (await parties.status(party.party_id)).stage == Stage.ASKED
                    assert store.party(party.party_id).stage == Stage.ASKED

                for party_id in expected:
                    description = await parties.handle(party_id).describe()
                    assert description.status == WorkflowExecutionStatus.RUNNING, (party_id, description.status)
                # Not wedged: every party answers one more incident through the API, on file at once.
                final = [incident(PartyRef(party_id=p), since + timedelta(hours=2)) for p in expected]
                await asyncio.gather(
                    *(post(http, f"/parties/{r.party.party_id}/incidents", r.model_dump(mode="json")) for r in final)
                )
                for r in final:
                    expected[r.party.party_id].add(r.incident_id)
                await assert_each_recorded_once(parties, store, expected, timeout=30)
                assert await ready(http), "the API is not ready after the outages"
                mark("every party answered once more")

                histories = [await parties.handle(p).fetch_history() for p in expected]
                events = [len(h.events) for h in histories]
                # The SDK's identity of a worker: its process id @ the (shared) host name.
                ran = {
                    name: sum(
                        e.workflow_task_started_event_attributes.identity.startswith(f"{processes[name].pid}@")
                        for h in histories
                        for e in h.events
                    )
                    for name in WORKERS
                }
                timed_out = sum(
                    e.HasField("workflow_task_timed_out_event_attributes") for h in histories for e in h.events
                )
                assert all(ran.values()), f"workflow tasks each worker ran: {ran}"
                crashed = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
                assert not crashed, f"exited: {crashed}"
                print(
                    f"timeline (s): {timeline}; {cut_after} of {len(reports)} answered when worker host 1 was cut; "
                    f"workflow tasks run {ran}, timed out {timed_out}; history events per party: min {min(events)}, "
                    f"median {statistics.median(events)}, max {max(events)}"
                )
        finally:
            for process in processes.values():
                stop_process(process)
            if proxy is not None:
                proxy.close()
            if server is not None:
                server.stop()
