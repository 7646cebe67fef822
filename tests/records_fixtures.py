"""A real records database for tests: a SQLite file, and PostgreSQL when reachable.

`tests/conftest.py` lists this module in `pytest_plugins`, so every test
module may ask for `record_store`. PostgreSQL is found at DATABASE_URL if that names
PostgreSQL, else at the local default below; each test gets a schema of its
own, dropped afterwards, so other users of the database are left alone.
"""

import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import SQLAlchemyError

from records.db import make_engine, throwaway_postgres_schema
from records.schema import upgrade_schema
from records.store import RecordStore

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@cache
def postgres_url() -> tuple[str | None, str]:
    """The PostgreSQL URL to test against, or None and why not."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = DEFAULT_POSTGRES_URL
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as err:
        return None, f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {type(err).__name__}"
    finally:
        engine.dispose()
    return url, ""


def sqlite_store(folder: Path) -> Iterator[RecordStore]:
    engine = make_engine(f"sqlite:///{folder / 'records.db'}")
    upgrade_schema(engine)
    try:
        yield RecordStore(engine)
    finally:
        engine.dispose()


def postgres_store() -> Iterator[RecordStore]:
    url, why_not = postgres_url()
    if url is None:
        pytest.skip(why_not)
    with throwaway_postgres_schema(url, "ubp_test") as schema_url:
        engine = make_engine(schema_url)
        try:
            upgrade_schema(engine)
            yield RecordStore(engine)
        finally:
            engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def record_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    """An empty records database, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield from sqlite_store(tmp_path)
    else:
        yield from postgres_store()
