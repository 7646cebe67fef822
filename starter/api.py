"""`ubp api`: the HTTP API and the managers' inbox alone, against a running Temporal."""

import logging

from client.connection import connect
from client.door import load_door_keys
from client.parties import PartyClient
from records.db import make_engine
from records.schema import require_current_schema
from records.store import RecordStore
from settings import Settings
from web.app import api_server

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    """Serve until stopped (Ctrl+C or SIGTERM).

    Raises:
        SchemaNotCurrent: The records database is not at this code's revision (`ubp db upgrade`).
    """
    engine = make_engine(settings.database_url)
    try:
        # Before Temporal: a database behind the code is the operator's to fix, whatever else is up.
        require_current_schema(engine)
        client = await connect(settings)
        parties = PartyClient.of(client, settings, load_door_keys(settings))
        base = settings.api_url()
        log.info("inbox: %s/inbox  API docs: %s/docs  codec endpoint: %s/codec", base, base, base)
        await api_server(settings, parties, RecordStore(engine)).serve()
    finally:
        engine.dispose()
