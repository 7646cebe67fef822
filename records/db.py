"""Engines for the records database: a SQLite file or PostgreSQL."""

from sqlalchemy import Engine, create_engine, event
from sqlmodel import SQLModel

from records import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

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


def create_schema(engine: Engine) -> None:
    """Create the records tables that do not exist yet (no migrations so far)."""
    SQLModel.metadata.create_all(engine)
