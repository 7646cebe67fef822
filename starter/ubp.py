"""The `ubp` console script: the CLI's commands plus the ones that start processes."""

import asyncio
import logging
import os
import sys
from typing import Annotated

import typer

from cli.app import app as cli_app
from cli.common import fail, records
from client.connection import connect
from client.door import load_door_keys
from client.parties import PartyClient
from devstack import demo
from settings import get_settings, release

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

app = typer.Typer(help=cli_app.info.help, no_args_is_help=True)
app.add_typer(cli_app)


def _print_release(asked: bool) -> None:
    if asked:
        typer.echo(f"ubp {release()}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_release, is_eager=True, help="say which release this is")
    ] = False,
) -> None:
    """Unacceptable-behaviour policy orchestrator."""


@app.command()
def dev(
    seed_demo: Annotated[bool, typer.Option(help="create the demo parties once the worker runs")] = False,
) -> None:
    """Start the Temporal dev server (SQLite file under var/), the worker, and the HTTP API with the
    managers' inbox (UBP_API_PORT, default 8000); Ctrl+C stops them all."""
    from starter.dev import run_dev_stack

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        asyncio.run(run_dev_stack(get_settings(), seed_demo=seed_demo))
    except KeyboardInterrupt:
        pass
    except (RuntimeError, TimeoutError) as err:
        fail(str(err), 1)


@app.command()
def api() -> None:
    """Serve the HTTP API and the managers' inbox (UBP_API_HOST:UBP_API_PORT) against a running Temporal."""
    from starter.api import serve

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        asyncio.run(serve(get_settings()))
    except KeyboardInterrupt:
        pass
    except RuntimeError as err:
        fail(str(err), 1)


@app.command()
def worker() -> None:
    """Run a worker against an existing Temporal server (UBP_TEMPORAL_ADDRESS)."""
    import worker as worker_module

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    try:
        asyncio.run(worker_module.main())
    except KeyboardInterrupt:
        pass
    except RuntimeError as err:  # no key ring, Temporal unreachable: each says what to do
        fail(str(err), 1)


@app.command("seed-demo")
def seed_demo() -> None:
    """Create a few demo parties at different stages, to see real workflows in the UI.

    Runs on this machine, with the door's key (UBP_DOOR_KEY_FILE): the demo's history is sealed
    as each demo member of staff it names."""
    settings = get_settings()
    with records() as store:

        async def go() -> list[str]:
            door = load_door_keys(settings)
            client = await connect(settings)
            seeding = PartyClient.of(client, settings, door, acts_as_named=True)
            return await demo.seed(seeding, store)

        try:
            lines = asyncio.run(go())
        except RuntimeError as err:  # no door key, Temporal unreachable: each says what to do
            fail(str(err), 1)
    for line in lines:
        typer.echo(line)


def main() -> None:
    """Console entry point. Ends with os._exit: the Temporal client's runtime
    threads can outlive interpreter shutdown and abort it (temporalio/sdk-python#300),
    which would turn a successful command's exit code into 134."""
    try:
        app(prog_name="ubp")
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
