"""The records database's migrations (Alembic): they make exactly the tables the
models describe, on SQLite and PostgreSQL; a database made before migrations
upgrades in place with every row; and nothing runs on a database behind the code.

`test_models_and_migrations_agree` is the guard for every change to
`records/tables.py`: a model changed without a migration (or the reverse)
fails it. docs/operations.md says how to add one.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from policy.messages import PartyRef
from records.db import make_engine, throwaway_postgres_schema
from records.schema import (
    SchemaNotCurrent,
    alembic_config,
    database_revision,
    head_revision,
    require_current_schema,
    upgrade_schema,
)
from records.store import RecordStore
from settings import Settings, get_settings
from tests.records_fixtures import postgres_url

FIXTURES = Path(__file__).parent / "fixtures"
DEMO_PARTIES = ["demo-asked", "demo-warned", "demo-restricted", "demo-organisation", "demo-zero-tolerance"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty records database with no schema: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'records.db'}")
        yield engine
        engine.dispose()
        return
    url, why_not = postgres_url()
    if url is None:
        pytest.skip(why_not)
    with throwaway_postgres_schema(url, "ubp_test") as schema_url:
        engine = make_engine(schema_url)
        yield engine
        engine.dispose()


def alembic_check(engine: Engine) -> None:
    """`alembic check`: autogenerate finds nothing between the models and the database."""
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.check(config)


def load_dump(engine: Engine) -> None:
    """The database the code made before migrations, from its dump (tests/fixtures/)."""
    sql = (FIXTURES / f"pre_migrations.{engine.dialect.name}.sql").read_text()
    raw = engine.raw_connection()
    driver: Any = raw.driver_connection
    try:
        if engine.dialect.name == "sqlite":
            driver.executescript(sql)
        else:
            driver.execute(sql)
            driver.commit()
    finally:
        raw.close()


def row_counts(engine: Engine) -> dict[str, int]:
    tables = SQLModel.metadata.tables
    with engine.connect() as connection:
        return {
            name: connection.execute(select(func.count()).select_from(tables[name])).scalar_one()
            for name in inspect(connection).get_table_names()
            if name in tables
        }


def test_models_and_migrations_agree(empty_engine: Engine) -> None:
    """Every migration applied to an empty database gives exactly the models' tables,
    columns, types, indexes and constraints (`alembic check` finds nothing)."""
    upgrade_schema(empty_engine)
    assert database_revision(empty_engine) == head_revision()
    alembic_check(empty_engine)


def test_every_migration_goes_down_and_up_again(empty_engine: Engine) -> None:
    """Each revision's downgrade undoes its upgrade: down to nothing, then up to the models again."""
    upgrade_schema(empty_engine)
    with empty_engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    upgrade_schema(empty_engine)
    alembic_check(empty_engine)


def test_a_database_made_before_migrations_upgrades_in_place_with_no_row_lost(empty_engine: Engine) -> None:
    """A database made by the code before this change (the dump of one, with a row in
    every table) upgrades in place: every row kept, the models and the database agree,
    every party's file reads back, and new rows are written after the old ones."""
    load_dump(empty_engine)
    before = row_counts(empty_engine)
    assert len(before) == 14 and all(before.values()), before
    assert database_revision(empty_engine) is None

    upgrade_schema(empty_engine)
    upgrade_schema(empty_engine)  # and again: nothing left to do

    assert database_revision(empty_engine) == head_revision()
    after = row_counts(empty_engine)
    assert {name: after[name] for name in before} == before
    alembic_check(empty_engine)
    store = RecordStore(empty_engine)
    for party_id in DEMO_PARTIES:
        state = store.load_party_state(PartyRef(party_id=party_id), "Europe/London")
        assert state is not None and state.incidents, party_id
    assert store.staff("demo-manager").digest is True
    # The autoincrement keys carry on after the old rows (PostgreSQL's sequences came along).
    store.record_digest("demo-manager:2099-01-01", "demo-manager", datetime(2099, 1, 1).date(), [], datetime.now(UTC))
    assert len(store.digests("demo-manager")) == before["digest"] + 1


def test_a_database_too_old_to_adopt_is_refused_naming_what_it_lacks(empty_engine: Engine) -> None:
    """A table from a version older than the last before migrations lacks columns: the
    upgrade says which, and changes nothing."""
    with empty_engine.begin() as connection:
        connection.execute(text("CREATE TABLE party (party_id VARCHAR PRIMARY KEY, kind VARCHAR NOT NULL)"))
    with pytest.raises(RuntimeError, match=r"lacks party\.professional_capacity, party\.stage"):
        upgrade_schema(empty_engine)
    assert inspect(empty_engine).get_table_names() == ["party"]


def test_the_migrations_are_one_line_with_one_head() -> None:
    """A branch merged with a migration of its own must rebase it onto the head
    (down_revision), not leave two heads."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    assert scripts.get_base() == "0001"


def schema_refusal(engine: Engine) -> str:
    with pytest.raises(SchemaNotCurrent) as refused:
        require_current_schema(engine)
    return str(refused.value)


def test_a_database_without_a_revision_is_refused_naming_the_command(empty_engine: Engine) -> None:
    assert "has no schema revision" in schema_refusal(empty_engine)
    assert "run `ubp db upgrade`" in schema_refusal(empty_engine)


def test_a_database_behind_the_code_is_refused_naming_the_command(empty_engine: Engine) -> None:
    revisions = [s.revision for s in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    if len(revisions) < 2:
        pytest.skip("one migration only: no database can be behind the code but one without a revision")
    upgrade_schema(empty_engine, revisions[1])
    message = schema_refusal(empty_engine)
    assert f"at revision {revisions[1]}, behind this code's {revisions[0]}: run `ubp db upgrade`" in message


def test_a_database_ahead_of_the_code_is_refused(empty_engine: Engine) -> None:
    upgrade_schema(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    assert "at revision 9999, which this code does not know" in schema_refusal(empty_engine)


async def test_the_worker_and_the_api_refuse_a_database_behind_the_code(empty_engine: Engine, time_skipping_env):
    """Neither starts on a database without the code's schema; both name `ubp db upgrade`."""
    from starter.api import serve
    from worker import build_worker

    url = empty_engine.url.render_as_string(hide_password=False)
    settings = Settings(DATABASE_URL=url, temporal_address="127.0.0.1:1")
    with pytest.raises(SchemaNotCurrent, match="run `ubp db upgrade`"):
        build_worker(time_skipping_env.client, settings)
    with pytest.raises(SchemaNotCurrent, match="run `ubp db upgrade`"):
        await serve(settings)


def test_ubp_db_upgrade_and_status(empty_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ubp db status` says the database is behind, `ubp db upgrade` brings it up, and the
    other commands refuse until then."""
    from starter.ubp import app

    monkeypatch.setenv("DATABASE_URL", empty_engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        refused = runner.invoke(app, ["staff", "list"])
        assert refused.exit_code == 1 and "run `ubp db upgrade`" in refused.output
        status = runner.invoke(app, ["db", "status"])
        assert status.exit_code == 1 and "database: no revision" in status.output
        upgraded = runner.invoke(app, ["db", "upgrade"])
        assert upgraded.exit_code == 0 and f"no revision -> {head_revision()}" in upgraded.output
        again = runner.invoke(app, ["db", "upgrade"])
        assert again.exit_code == 0 and f"at {head_revision()} already" in again.output
        assert runner.invoke(app, ["db", "status"]).exit_code == 0
        assert runner.invoke(app, ["staff", "list"]).exit_code == 0
        # A rollback: back to the release before, by this code's migrations; then up again.
        earlier = ScriptDirectory.from_config(alembic_config()).get_revision(head_revision()).down_revision
        assert isinstance(earlier, str)
        down = runner.invoke(app, ["db", "downgrade", earlier])
        assert down.exit_code == 0 and f"{head_revision()} -> {earlier}" in down.output, down.output
        assert runner.invoke(app, ["db", "status"]).exit_code == 1
        unknown = runner.invoke(app, ["db", "downgrade", "no-such-revision"])
        assert unknown.exit_code == 2 and "no-such-revision" in unknown.output, unknown.output
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    finally:
        get_settings.cache_clear()
