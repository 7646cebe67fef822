"""`ubp api`: the HTTP API and the managers' inbox alone, against a running Temporal."""

import logging

from client.connection import connect
from client.parties import PartyClient
from records.db import create_schema, make_engine
from records.store import RecordStore
from settings import Settings
from web.app import api_server

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    """Serve until stopped (Ctrl+C or SIGTERM)."""
    client = await connect(settings)
    engine = make_engine(settings.database_url)
    try:
        create_schema(engine)
        parties = PartyClient(client, settings.task_queue, settings.timezone)
        base = settings.api_url()
        log.info("inbox: %s/inbox  API docs: %s/docs  codec endpoint: %s/codec", base, base, base)
        await api_server(settings, parties, RecordStore(engine)).serve()
    finally:
        engine.dispose()
