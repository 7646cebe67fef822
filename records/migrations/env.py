"""Alembic's environment for the records database: the tables of `records/tables.py`.

Alembic runs this file itself, in two ways:
- from `records.schema` (`ubp db upgrade`, the worker's and the API's check,
  the tests), which hands over an open connection in
  `config.attributes["connection"]`;
- from the `alembic` command line in the repository (`alembic revision
  --autogenerate`, `alembic check`), which reads `[tool.alembic]` in
  pyproject.toml and connects to `DATABASE_URL` from the settings.
"""

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

from records import tables
from settings import get_settings


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write the models' own column types as the plain SQLAlchemy types they stand for,
    so a migration says what the database holds and imports nothing from the project:
    a migration must keep meaning the same after the models change."""
    if kind == "type" and isinstance(item, AutoString):
        return "sa.String()"
    if kind == "type" and isinstance(item, tables.UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        # SQLite cannot alter most of a table in place: batch operations copy it.
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    url = get_settings().database_url
    if context.is_offline_mode():
        # `alembic upgrade --sql`: the SQL for a database administrator to run.
        context.configure(url=url, target_metadata=SQLModel.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            _configure(connection)
    finally:
        engine.dispose()


run()
