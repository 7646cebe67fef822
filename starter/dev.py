"""`ubp dev`, the embedded default: the Temporal dev server (SQLite file), the worker
(with its schedules), the API, and a mail catcher.

Parties and their timers survive a restart because the server keeps its
state in `var/temporal.db`, the records in `var/records.db`, and the key
that encrypts payloads in `var/encryption-keys.json` (made on the first run
when no key ring is configured). The Temporal UI decodes payloads through
the API's codec endpoint, for operations staff signed in to the inbox. Mail
to a loopback SMTP address (the default, 127.0.0.1:1025) is caught and kept
in `var/mail/`.
"""

import asyncio
import logging
import signal

from client.connection import connect_config
from client.door import dev_door_keys
from client.keys import dev_key_ring
from client.parties import PartyClient
from client.schedules import apply_schedules
from devstack import demo
from devstack.identity import PASSWORD, Account, DevIdentityProvider
from devstack.mail import MailCatcher
from devstack.server import DevServer, port_open
from records.db import make_engine
from records.schema import upgrade_schema
from records.store import RecordStore
from settings import DATA_DIR, Settings, is_loopback
from web.app import api_server
from worker import build_worker, connect_worker

log = logging.getLogger(__name__)


async def _until_stopped(serving: asyncio.Task) -> None:
    """Wait for Ctrl+C or SIGTERM (a supervisor's stop), whichever comes first;
    or for the API server to end by itself, which is an error."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([stopping, serving], return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if serving.done() and not stop.is_set():
        serving.result()  # its error, if it raised one
        raise RuntimeError("the HTTP API server stopped; see the log above")


def _key_source(settings: Settings) -> str:
    return "UBP_ENCRYPTION_KEYS" if settings.encryption_keys is not None else str(settings.encryption_key_file)


async def run_dev_stack(settings: Settings, *, seed_demo: bool = False) -> None:
    """Start the dev server, a worker and the HTTP API with the inbox (and seed
    the demo parties); run until cancelled, then stop them all."""
    # A real mail server is used as it is; a loopback one is ours to run.
    catcher = (
        MailCatcher(settings.smtp_host, settings.smtp_port, DATA_DIR / "mail")
        if is_loopback(settings.smtp_host)
        else None
    )
    config = connect_config(settings)
    taken = [
        (config["target_host"], "UBP_TEMPORAL_ADDRESS"),
        (f"{settings.api_host}:{settings.api_port}", "UBP_API_PORT"),
    ]
    if catcher is not None:
        taken.append((f"{settings.smtp_host}:{settings.smtp_port}", "UBP_SMTP_PORT"))
    if not settings.oidc_configured:
        taken.append((f"127.0.0.1:{settings.dev_idp_port}", "UBP_DEV_IDP_PORT"))
    for address, setting in taken:
        if port_open(address):
            raise RuntimeError(f"something already listens on {address}; stop it or set {setting}")
    key_ring = dev_key_ring(settings)
    log.info("payloads encrypted with key %s (key ring: %s)", key_ring.active_id, _key_source(settings))
    door_keys = dev_door_keys(settings)
    log.info("messages sealed by the door with key %s (%s)", door_keys.active_id, settings.door_key_file)
    codec_endpoint = f"{settings.api_url()}/codec"
    server = DevServer(
        settings.temporal_db_file,
        config["target_host"],
        namespace=config["namespace"],
        ui_port=settings.temporal_ui_port,
        ui_codec_endpoint=codec_endpoint,
    )
    engine = make_engine(settings.database_url)
    provider: DevIdentityProvider | None = None
    try:
        if catcher is not None:
            catcher.start()
            log.info("mail catcher: smtp://%s:%s, mail kept in %s", catcher.host, catcher.port, catcher.maildir)
        await server.start()
        client = await connect_worker(settings, key_ring=key_ring)
        host = config["target_host"].rsplit(":", 1)[0]
        log.info("Temporal UI: http://%s:%s (decoded through %s)", host, settings.temporal_ui_port, codec_endpoint)
        # The dev server cannot tell its UI to send cookies to the codec endpoint.
        log.info(
            "to see payloads decoded there: sign in to the inbox as operations staff, then once per browser, "
            "in the UI's Codec Server settings (glasses icon): 'Use my browser setting', endpoint %s, "
            "'Include cross-origin credentials' on",
            codec_endpoint,
        )
        log.info("records database: %s", settings.database_url)
        # The dev stack's own database: brought up to date here, where production runs `ubp db upgrade`.
        upgrade_schema(engine)
        store = RecordStore(engine)
        parties = PartyClient.of(client, settings, door_keys)
        # In production a deploy job applies the schedules (docker-compose.yml); here the dev stack does.
        for schedule_id, what in (await apply_schedules(client, settings)).items():
            log.info("schedule %s %s", schedule_id, what)
        async with build_worker(client, settings):
            if seed_demo:
                # The demo's history is made up here, as its staff: sealed as each one it names.
                seeding = PartyClient.of(client, settings, door_keys, acts_as_named=True)
                for line in await demo.seed(seeding, store):
                    log.info("demo party %s", line)
            if not settings.oidc_configured:
                provider = _dev_identity_provider(settings, store)
                settings = settings.model_copy(update={**provider.settings(), "api_docs": True})
            api = api_server(settings, parties, store, embedded=True)
            serving = asyncio.create_task(api.serve())
            log.info("managers' inbox: %s/inbox", settings.api_url())
            if provider is not None:
                log.info(
                    "sign in at the dev identity provider (%s) as a staff id (demo-manager; demo-operations for the"
                    " decoded Temporal UI), password %s",
                    provider.issuer,
                    PASSWORD,
                )
            if settings.api_docs:
                log.info("HTTP API docs: %s/docs", settings.api_url())
            log.info("running; press Ctrl+C to stop")
            try:
                await _until_stopped(serving)
            finally:
                api.should_exit = True
                await asyncio.wait([serving], timeout=10)
    finally:
        if provider is not None:
            provider.stop()
        server.stop()
        if catcher is not None:
            catcher.stop()
        engine.dispose()
        log.info("stopped the Temporal dev server, the worker, the API, the identity provider and the mail catcher")


def _dev_identity_provider(settings: Settings, store: RecordStore) -> DevIdentityProvider:
    """The dev identity provider, started, where every active member of staff signs in as
    their staff id (linked as their subject, if they have none yet)."""
    accounts = []
    for row in store.list_staff(active_only=True):
        if row.kind != "person":
            continue
        if row.idp_subject is None:
            row = store.link_subject(row.staff_id, row.staff_id)
        accounts.append(Account(row.idp_subject or row.staff_id, row.name))
    provider = DevIdentityProvider(f"{settings.api_url()}/inbox/signed-in", accounts, port=settings.dev_idp_port)
    provider.start()
    return provider
