"""What operators watch: the worker's SDK metrics, the API's own metrics and the
product's gauges, scraped over HTTP as Prometheus would; and `/readyz`."""

import asyncio
import importlib.metadata
import socket
import urllib.request
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from client.parties import PartyClient
from policy.effects import EffectBatch, MessageRejected, NoticeQueued, PartySaved, RestrictionSaved, TaskSaved
from policy.messages import PartyRef
from policy.state import HumanTask, Rejection, RestrictionEntry
from policy.vocabulary import (
    Category,
    Measure,
    NoticeKind,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    Stage,
    TaskKind,
    TaskStatus,
)
from records.store import RecordStore
from settings import Settings, release
from tests.conftest import TrackingPartyClient
from tests.helpers import incident, new_party, wait_for_status
from web.app import create_app
from worker import build_worker, connect_worker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample in a Prometheus text exposition, by name and labels."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


# --- the worker ------------------------------------------------------------------------------

# What docs/operations.md tells operators to alert on; each must be there once the worker has worked.
SDK_METRICS = {
    "temporal_workflow_task_schedule_to_start_latency",
    "temporal_local_activity_execution_latency",
    "temporal_local_activity",
    "temporal_workflow_task_execution_latency",
    "temporal_worker_task_slots_available",
    "temporal_sticky_cache_size",
    "temporal_request",
}


async def test_the_worker_serves_the_sdks_metrics(dev_server_env, settings: Settings, door_keys) -> None:
    """UBP_WORKER_METRICS_ADDRESS: the worker's Temporal runtime serves the SDK's metrics,
    durations in seconds, once it has run a party's workflow tasks and activities."""
    address = f"127.0.0.1:{free_port()}"
    worker_settings = settings.model_copy(
        update={
            "temporal_address": dev_server_env.client.service_client.config.target_host,
            "worker_metrics_address": address,
        }
    )
    client = await connect_worker(worker_settings)
    parties = TrackingPartyClient(client, settings.task_queue, settings.timezone, door=door_keys)
    async with build_worker(client, worker_settings):
        party = new_party()
        await parties.report_incident(incident(party, datetime.now(UTC) - timedelta(hours=1)))
        await wait_for_status(parties, party.party_id, lambda s: s.incident_count == 1)
        text = await asyncio.to_thread(_get, f"http://{address}/metrics")
        await parties.terminate_all()
    found = {family.name for family in text_string_to_metric_families(text)}
    assert found >= SDK_METRICS, sorted(SDK_METRICS - found)
    bounds = [
        float(le)
        for (name, labels) in samples(text)
        if name == "temporal_workflow_task_schedule_to_start_latency_bucket"
        for key, le in labels
        if key == "le" and le != "+Inf"
    ]
    # Seconds: the first bucket is a fraction (0.1 s); in milliseconds, whole numbers only.
    assert bounds and min(bounds) < 1, bounds


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read().decode()


# --- the API ---------------------------------------------------------------------------------


def open_task(task_id: str, kind: TaskKind, *, escalated: bool = False, overdue: bool = False) -> HumanTask:
    return HumanTask(
        task_id=task_id,
        kind=kind,
        subject_id=f"subject-{task_id}",
        created_at=T0,
        summary=f"task {task_id}",
        candidate_roles=[Role.MANAGER],
        escalation_roles=[Role.EXECUTIVE_TEAM],
        due_at=T0 + timedelta(days=5),
        escalation_due_at=T0 + timedelta(days=10),
        escalated_at=T0 + timedelta(days=5) if escalated else None,
        escalation_reason="not decided by its due date" if escalated else None,
        overdue_since=T0 + timedelta(days=10) if overdue else None,
    )


def restriction(restriction_id: str, status: RestrictionStatus) -> RestrictionEntry:
    return RestrictionEntry(
        restriction_id=restriction_id,
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=["i-1"],
        measures=[Measure.SINGLE_NAMED_CONTACT],
        grounds=RestrictionGrounds.WARNING_IN_PLACE,
        status=status,
        proposed_by="manager-1",
        reasons="repeated during a warning",
        contact_arrangements="one named caseworker",
        decided_at=T0,
        last_instance_at=T0,
        starts_at=T0,
        ends_at=T0 + timedelta(days=180),
    )


def fill(store: RecordStore) -> None:
    """Two parties' files: tasks open (one escalated, one escalated and overdue), done and
    withdrawn; restrictions in force and not; two rejected messages; notices queued."""
    done = open_task("t-done", TaskKind.COLLEAGUE_SUPPORT).model_copy(update={"status": TaskStatus.DONE})
    withdrawn = open_task("t-gone", TaskKind.RESTRICTION_REVIEW).model_copy(update={"status": TaskStatus.CANCELLED})
    for party_id, effects in {
        "P-1": [
            TaskSaved(party_id="P-1", task=open_task("t-1", TaskKind.RESTRICTION_APPROVAL)),
            TaskSaved(party_id="P-1", task=open_task("t-2", TaskKind.RESTRICTION_APPROVAL, escalated=True)),
            TaskSaved(party_id="P-1", task=open_task("t-3", TaskKind.COLLEAGUE_SUPPORT, escalated=True, overdue=True)),
            TaskSaved(party_id="P-1", task=done),
            RestrictionSaved(party_id="P-1", restriction=restriction("r-1", RestrictionStatus.IN_FORCE)),
            RestrictionSaved(party_id="P-1", restriction=restriction("r-2", RestrictionStatus.EXPIRED)),
            NoticeQueued(
                notice_id="t-1:task_opened",
                party_id="P-1",
                task_id="t-1",
                notice=NoticeKind.TASK_OPENED,
                roles=[Role.MANAGER],
                at=T0,
                text="New task",
            ),
        ],
        "P-2": [
            TaskSaved(party_id="P-2", task=withdrawn),
            RestrictionSaved(party_id="P-2", restriction=restriction("r-3", RestrictionStatus.IN_FORCE)),
            RestrictionSaved(party_id="P-2", restriction=restriction("r-4", RestrictionStatus.AWAITING_APPROVAL)),
            *[
                MessageRejected(
                    party_id="P-2",
                    rejection=Rejection(
                        received_at=T0, message="report_incident", message_id=None, reason=f"bad {n}", payload="{}"
                    ),
                )
                for n in range(2)
            ],
        ],
    }.items():
        party = PartySaved(party=PartyRef(party_id=party_id), stage=Stage.RESTRICTED, at=T0)
        store.apply(EffectBatch(party_id=party_id, effects=[party, *effects]))


class UnreachableTemporal:
    """A PartyClient whose server is gone."""

    async def check_health(self) -> None:
        raise RuntimeError("failed client connect: connection refused")


@pytest_asyncio.fixture
async def http(time_skipping_env, settings, store, door_keys) -> AsyncIterator[httpx.AsyncClient]:
    parties = PartyClient(time_skipping_env.client, settings.task_queue, settings.timezone, door_keys)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_the_api_counts_requests_by_route_template_and_status(http: httpx.AsyncClient) -> None:
    """Requests by method, route template (never the party id sent) and status, and their latency."""
    for party_id in ("p-one", "p-two"):
        assert (await http.get(f"/parties/{party_id}")).status_code == 401
    assert (await http.get("/no-such-page")).status_code == 404
    assert (await http.get("/healthz")).status_code == 200

    found = samples((await http.get("/metrics")).text)
    assert value(found, "ubp_api_requests_total", method="GET", route="/parties/{party_id}", status="401") == 2
    assert value(found, "ubp_api_requests_total", method="GET", route="unmatched", status="404") == 1
    assert value(found, "ubp_api_requests_total", method="GET", route="/healthz", status="200") == 1
    assert value(found, "ubp_api_request_duration_seconds_count", method="GET", route="/parties/{party_id}") == 2
    assert not any("p-one" in str(labels) for _, labels in found)


async def test_the_api_serves_the_products_gauges(http: httpx.AsyncClient, store: RecordStore) -> None:
    """Open tasks by kind, escalated and overdue tasks, restrictions in force, rejected messages
    and notices, counted from the records database at each scrape."""
    found = samples((await http.get("/metrics")).text)
    assert value(found, "ubp_records_database_up") == 1
    assert all(value(found, "ubp_open_tasks", kind=kind.value) == 0 for kind in TaskKind)

    fill(store)
    answer = await http.get("/metrics")
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    assert value(found, "ubp_open_tasks", kind="restriction_approval") == 2
    assert value(found, "ubp_open_tasks", kind="colleague_support") == 1
    assert value(found, "ubp_open_tasks", kind="restriction_review") == 0
    assert value(found, "ubp_escalated_tasks", kind="restriction_approval") == 1
    assert value(found, "ubp_escalated_tasks", kind="colleague_support") == 1
    assert value(found, "ubp_overdue_tasks", kind="colleague_support") == 1
    assert value(found, "ubp_overdue_tasks", kind="restriction_approval") == 0
    assert value(found, "ubp_restrictions_in_force") == 2
    assert value(found, "ubp_rejected_messages") == 2
    assert value(found, "ubp_queued_notices") == 1
    assert value(found, "ubp_undeliverable_notices") == 0


async def test_metrics_say_when_the_records_database_does_not_answer(settings: Settings, tmp_path) -> None:
    from records.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'records.db'}")  # a folder that is not there
    app = create_app(cast(PartyClient, UnreachableTemporal()), RecordStore(engine), settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http:
        found = samples((await http.get("/metrics")).text)
    assert value(found, "ubp_records_database_up") == 0
    assert not any(name == "ubp_open_tasks" for name, _ in found)


async def test_readyz_says_whether_temporal_and_the_records_database_answer(
    http: httpx.AsyncClient, settings: Settings, store: RecordStore, tmp_path
) -> None:
    from records.db import make_engine

    answer = await http.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "temporal": "ok", "records": "ok", "release": release()}
    assert release() == importlib.metadata.version("ubp-orchestrator")

    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'records.db'}")
    app = create_app(cast(PartyClient, UnreachableTemporal()), RecordStore(engine), settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as down:
        answer = await down.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert body["temporal"].startswith("unreachable (RuntimeError: failed client connect")
    assert body["records"].startswith("unreachable (OperationalError")


@pytest.mark.parametrize("address", ["9000", "host:", ":9000x", "host:70000"])
def test_a_metrics_address_must_be_host_and_port(address: str) -> None:
    with pytest.raises(ValueError, match="UBP_WORKER_METRICS_ADDRESS must be host:port"):
        Settings(worker_metrics_address=address, task_queue=str(uuid.uuid4()))
