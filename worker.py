"""The worker: runs party workflows and the records activities on one task queue."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

from activities.records import RecordActivities
from activities.tasks import TaskActivities
from client.connection import connect, key_ring_of
from records.db import create_schema, make_engine
from records.store import RecordStore
from settings import Settings, get_settings
from workflows.party import PartyWorkflow

log = logging.getLogger(__name__)


def build_worker(client: Client, settings: Settings, *, task_queue: str | None = None) -> Worker:
    """A worker for the party workflows, writing to the records database in `settings`."""
    engine = make_engine(settings.database_url)
    create_schema(engine)
    store = RecordStore(engine)
    records = RecordActivities(store)
    task_planner = TaskActivities(store)
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=[PartyWorkflow],
        activities=[records.write_effects, records.load_party_state, task_planner.plan_task],
        # Record writes are blocking SQLAlchemy calls.
        activity_executor=ThreadPoolExecutor(max_workers=16),
        max_cached_workflows=settings.max_cached_workflows,
    )


async def main() -> None:
    settings = get_settings()
    client = await connect(settings)
    worker = build_worker(client, settings)
    log.info(
        "worker polling task queue %s at %s (namespace %s), payloads encrypted with key %s",
        settings.task_queue,
        client.service_client.config.target_host,
        client.namespace,
        key_ring_of(client).active_id,
    )
    await worker.run()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(main())
