"""Engines for the records database: a SQLite file or PostgreSQL. Its schema is in `records.schema`."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, make_url, text

# Writers wait this long for SQLite's single write lock before failing (and
# the activity retrying), rather than failing at once.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def make_engine(url: str) -> Engine:
    """Create an engine for the records database.

    Args:
        url: A SQLAlchemy URL, e.g. ``sqlite:///var/records.db`` or
            ``postgresql+psycopg://user@host/db``. For PostgreSQL, a schema can
            be chosen with ``?options=-csearch_path%3Dmy_schema``.

    Returns:
        An engine safe to share between the activity threads.
    """
    # Parameters hold reports' free text (personal data); keep them out of
    # exception messages, which end up in workflow histories and logs.
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, hide_parameters=True, pool_pre_ping=True)


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the reports and the CLI read while the worker writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@contextmanager
def throwaway_postgres_schema(url: str, prefix: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database at `url`, dropped afterwards;
    yields a URL whose connections use it. For tests and the benchmark, which
    share a database with others and must leave it as they found it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
