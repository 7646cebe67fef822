"""The worker: runs the party workflows, the notice dispatch, the daily digest, the
retention sweep and erasure requests, and their activities, on one task queue."""

import asyncio
import functools
import logging
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from activities.digest import DigestActivities
from activities.letters import LetterActivities
from activities.mail import Mailer
from activities.notices import NoticeActivities
from activities.records import RecordActivities
from activities.retention import PartyRuns, RetentionActivities
from activities.tasks import TaskActivities
from activities.webhooks import WebhookActivities
from client.connection import connect, key_ring_of, metrics_runtime, worker_client
from client.door import load_verifier
from client.keys import KeyRing
from client.liveness import keep_heartbeat
from client.sealed import unseal
from records.db import make_engine
from records.schema import SchemaNotCurrent, require_current_schema
from records.store import RecordStore
from settings import Settings, get_settings, release
from workflows.mail import DailyDigestWorkflow, NoticeDispatchWorkflow
from workflows.party import PartyWorkflow
from workflows.retention import PartyErasureWorkflow, RetentionSweepWorkflow
from workflows.trust import trust
from workflows.webhooks import WebhookDeliveryWorkflow

log = logging.getLogger(__name__)

# How long a stopping worker lets its running activities finish (a records write, a
# letter, a mail) before it asks them to cancel. The activities run in threads, which
# a cancel cannot stop, so the worker in fact waits for them (bench/RESULTS.md); this
# bounds any that heartbeat. The container's stop grace period (docker-compose.yml)
# is longer, so SIGKILL does not cut it short.
GRACEFUL_SHUTDOWN = timedelta(seconds=20)

# The sandbox re-imports every module it does not pass through once per workflow
# run it caches: for the party workflow's module that was about 85 KiB of RSS per
# cached party (bench/RESULTS.md, issue 13 A). The workflow modules hold only
# constants at module level, so one copy serves every run. Passed through, their
# calls into other modules (datetime.now, random) are no longer intercepted, as
# in `policy` already; tests/test_layout.py looks for them instead. The sandbox
# still guards builtins such as open().
# `cryptography` too: the party workflow checks the door's Ed25519 seals, and its Rust
# extension imports its exception class when a signature fails; through the sandbox's
# importer that import failed and aborted the process (pyo3 panics).
WORKFLOW_RUNNER = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "cryptography")
)


# Every workflow the worker runs; the replay test replays each release's histories with them.
WORKFLOWS: list[type] = [
    PartyWorkflow,
    NoticeDispatchWorkflow,
    DailyDigestWorkflow,
    RetentionSweepWorkflow,
    PartyErasureWorkflow,
    WebhookDeliveryWorkflow,
]


def build_worker(
    client: Client, settings: Settings, *, task_queue: str | None = None, party_runs: PartyRuns | None = None
) -> Worker:
    """A worker for the party workflows, the periodic mail and R3's retention and erasure,
    writing to the records database and sending through the mail server in `settings`.

    Args:
        client: The client the worker polls with; also how retention finds and
            deletes party workflow runs.
        settings: The records database, the mail server, the cache size.
        task_queue: Another task queue than the settings' (tests).
        party_runs: How retention finds and deletes party workflow runs; the
            client's own by default. Tests on the time-skipping server, which
            cannot delete an execution, give a stand-in.

    The worker polls with `client`'s connection and the worker's converter (payloads
    it decrypted are marked: `client.connection.worker_client`), and its party
    workflows check each message's seal with the doors' public keys in `settings`
    (`UBP_DOOR_PUBLIC_KEY_FILE`, else `UBP_DOOR_KEY_FILE`).

    Raises:
        SchemaNotCurrent: The records database is not at this code's revision (`ubp db upgrade`).
        DoorKeyError: The settings name no door keys the worker can trust.
    """
    trust(load_verifier(settings))
    engine = make_engine(settings.database_url)
    require_current_schema(engine)
    store = RecordStore(engine)
    records = RecordActivities(store)
    task_planner = TaskActivities(store)
    letters = LetterActivities(store, settings.letters)
    mailer = Mailer(settings.mail)
    notices = NoticeActivities(store, mailer, settings.inbox_url, settings.timezone)
    digest = DigestActivities(store, mailer, settings.inbox_url, settings.timezone)
    webhooks = WebhookActivities(store, functools.partial(unseal, key_ring_of(client)))
    retention = RetentionActivities(
        store, party_runs or PartyRuns(client), retention_years=settings.retention_years, timezone=settings.timezone
    )
    return Worker(
        worker_client(client),
        task_queue=task_queue or settings.task_queue,
        workflows=WORKFLOWS,
        activities=[
            records.write_effects,
            records.load_party_state,
            records.recall_incidents,
            task_planner.plan_task,
            letters.make_letter,
            notices.queued_notices,
            notices.send_notice,
            notices.close_notice,
            digest.plan_digest,
            digest.send_digest,
            digest.record_digest,
            retention.retention_candidates,
            retention.check_party,
            retention.hold_party_file,
            retention.release_party_file,
            retention.delete_party_runs,
            retention.erase_party_file,
            retention.removal_recorded,
            retention.record_removal,
            webhooks.deliver_round,
        ],
        # Record writes and SMTP are blocking calls.
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=settings.max_cached_workflows,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
        # Temporal's 10 s default held every timer of a killed worker's parties 10 s late (bench/soak.py).
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=settings.sticky_timeout_seconds),
        workflow_runner=WORKFLOW_RUNNER,
    )


async def run_until_stopped(worker: Worker) -> None:
    """Run `worker` until SIGTERM or SIGINT, then shut it down: polling stops, the
    workflow tasks and activities in hand finish (up to GRACEFUL_SHUTDOWN), and
    the process can exit cleanly. What was not finished stays on the server and
    is retried by the next worker; nothing is lost either way.

    Raises:
        Exception: The worker's fatal error, if it failed before a signal came.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not stop.is_set():
        stopping.cancel()
        running.result()  # a fatal error: raise it
        return
    log.info("stopping: finishing the tasks in hand (up to %s s)", GRACEFUL_SHUTDOWN.total_seconds())
    await worker.shutdown()
    await running
    log.info("stopped")


async def connect_worker(settings: Settings, *, key_ring: KeyRing | None = None) -> Client:
    """The worker's client: its runtime serves the SDK's metrics (and the activities')
    at UBP_WORKER_METRICS_ADDRESS, when that is set; `key_ring` as `connect` takes it."""
    address = settings.worker_metrics_address
    client = await connect(settings, key_ring=key_ring, runtime=metrics_runtime(address) if address else None)
    if address:
        log.info("worker metrics: http://%s/metrics", address)
    return client


async def main() -> None:
    """The worker as deployed. It does not touch the Schedules: a deploy applies them once
    (`ubp schedules apply`, docker-compose.yml's `schedules` job), so that an old worker
    still running in a rolling deploy cannot put its settings back."""
    settings = get_settings()
    client = await connect_worker(settings)
    worker = build_worker(client, settings)
    log.info(
        "ubp %s: worker polling task queue %s at %s (namespace %s), payloads encrypted with key %s",
        release(),
        settings.task_queue,
        client.service_client.config.target_host,
        client.namespace,
        key_ring_of(client).active_id,
    )
    heartbeat = None
    if settings.worker_heartbeat_file:
        heartbeat = asyncio.create_task(keep_heartbeat(client, settings.task_queue, settings.worker_heartbeat_file))
    try:
        await run_until_stopped(worker)
    finally:
        if heartbeat:
            heartbeat.cancel()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(main())
    except SchemaNotCurrent as err:
        log.error("%s", err)
        sys.exit(1)
