"""`ubp db`: the records database's schema revision, and bringing it up to date."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cli.common import fail
from records.db import make_engine
from records.schema import (
    SchemaNotCurrent,
    database_revision,
    downgrade_schema,
    head_revision,
    require_current_schema,
    upgrade_schema,
)
from settings import get_settings

app = typer.Typer(help="The records database's schema (Alembic migrations)", no_args_is_help=True)


@contextmanager
def _engine() -> Iterator[Engine]:
    engine = make_engine(get_settings().database_url)
    try:
        yield engine
    except SQLAlchemyError as err:
        fail(f"records database: {type(getattr(err, 'orig', None) or err).__name__}: {getattr(err, 'orig', err)}", 1)
    finally:
        engine.dispose()


@app.command("upgrade")
def db_upgrade() -> None:
    """Bring the records database (DATABASE_URL) up to this code's schema; safe to repeat.
    A database made before migrations keeps its tables and rows.

    Local: runs against the records database on this machine; not an action on a party."""
    with _engine() as engine:
        before = database_revision(engine)
        try:
            upgrade_schema(engine)
        except RuntimeError as err:  # the initial revision's refusal of a database too old to adopt
            fail(str(err), 1)
        after = database_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    typer.echo(f"{where}: {before or 'no revision'} -> {after}" if before != after else f"{where}: at {after} already")


@app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(help="the revision of the release rolled back to (its `ubp db status`)"),
) -> None:
    """Take the records database (DATABASE_URL) back to an earlier release's schema, for a
    rollback: run it with the release being rolled back (it knows the way down), after its
    workers stop and before the earlier release's start. What later revisions added is dropped.

    Local: runs against the records database on this machine; not an action on a party."""
    with _engine() as engine:
        before = database_revision(engine)
        try:
            downgrade_schema(engine, revision)
        except CommandError as err:  # a revision this code does not know
            fail(str(err), 2)
        after = database_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    typer.echo(f"{where}: {before or 'no revision'} -> {after}" if before != after else f"{where}: at {after} already")


@app.command("status")
def db_status() -> None:
    """The database's schema revision and this code's; exit code 1 when they differ.

    Local: runs against the records database on this machine; not an action on a party."""
    with _engine() as engine:
        typer.echo(f"database: {database_revision(engine) or 'no revision'}\ncode:     {head_revision()}")
        try:
            require_current_schema(engine)
        except SchemaNotCurrent as err:
            fail(str(err), 1)
