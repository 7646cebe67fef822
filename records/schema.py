"""The records database's schema: Alembic migrations (`records/migrations/`) and
the check that a database is at the code's revision.

`ubp db upgrade` runs `upgrade_schema`, and `ubp db downgrade` (a rollback)
`downgrade_schema`. The worker, the API and the CLI run
`require_current_schema` before they touch a database, and refuse one that
is behind (or ahead of) the code, naming the command that fixes it; only the
dev stack (`ubp dev`) upgrades its own database by itself.
"""

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "ubp db upgrade"


class SchemaNotCurrent(RuntimeError):
    """The records database is not at the revision this code needs."""


def alembic_config() -> Config:
    """Alembic's configuration, pointing at the migrations inside the installed package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str:
    """The revision this code needs: the newest migration."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS}")
    return head


def database_revision(engine: Engine) -> str | None:
    """The revision the database is at; None if it has none (new, or made before migrations)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to `revision` (the newest by default), in one transaction.

    A new database gets every table; one made before migrations keeps its
    tables and rows (see the initial revision).
    """
    _migrate(engine, command.upgrade, revision)


def downgrade_schema(engine: Engine, revision: str) -> None:
    """Take the database back down to `revision`, in one transaction: a rollback to an
    earlier release, run with this (the later) release's code, which knows the way down.
    What the later revisions added is dropped with them."""
    _migrate(engine, command.downgrade, revision)


def _migrate(engine: Engine, step: Callable[[Config, str], None], revision: str) -> None:
    with engine.connect() as connection:
        driver: Any = connection.connection.driver_connection
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            # pysqlite commits before each DDL statement by itself: take the
            # transaction over, so a failed migration leaves SQLite as it found it.
            driver.isolation_level = None
        try:
            with connection.begin():
                if sqlite:
                    connection.exec_driver_sql("BEGIN")
                config = alembic_config()
                config.attributes["connection"] = connection
                step(config, revision)
        finally:
            if sqlite:
                driver.isolation_level = ""  # pysqlite's own default


def require_current_schema(engine: Engine) -> None:
    """Refuse to go on with a database that is not at this code's revision.

    Raises:
        SchemaNotCurrent: Naming the database's revision, the code's, and the fix.
    """
    current, head = database_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaNotCurrent(
            f"the records database at {where} has no schema revision (new, or made before migrations):"
            f" run `{UPGRADE_COMMAND}` first"
        )
    known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
    if current not in known:
        raise SchemaNotCurrent(
            f"the records database at {where} is at revision {current}, which this code does not know"
            f" (it needs {head}): a newer version upgraded it; run that version"
        )
    raise SchemaNotCurrent(
        f"the records database at {where} is at revision {current}, behind this code's {head}: run `{UPGRADE_COMMAND}`"
    )
