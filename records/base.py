"""What every part of the record store shares: the engine, and how a kind of row is written."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Table, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

_INSERTS: dict[str, Callable[[Table], Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


@dataclass(frozen=True)
class Write:
    """How one kind of row is written: keyed on `key`; `upsert` means last write wins."""

    model: type[SQLModel]
    key: str
    upsert: bool
    # Columns an upsert leaves as first written.
    kept: tuple[str, ...] = ("seq",)

    @property
    def table(self) -> Table:
        table: Table = getattr(self.model, "__table__")  # noqa: B009  (SQLModel sets it on table models only)
        return table


class StoreBase:
    """The records database's engine, for the store's parts.

    Args:
        engine: An engine from `records.db.make_engine` (SQLite or PostgreSQL).
    """

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name not in _INSERTS:
            raise ValueError(f"the records database must be SQLite or PostgreSQL, not {engine.dialect.name}")
        self._engine = engine
        self._insert = _INSERTS[engine.dialect.name]
        # A new run must see one consistent file, even if a write lands mid-read.
        # SQLite's WAL readers get that already and reject this level's name.
        self._snapshot = (
            engine if engine.dialect.name == "sqlite" else engine.execution_options(isolation_level="REPEATABLE READ")
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    def _write(self, connection: Connection, write: Write, rows: list[dict[str, Any]], fenced: bool = False) -> None:
        """Write `rows` of one kind in order; `fenced` upserts replace a row only with a later save
        (records.tables.Fenced: the rows carry their run and step)."""
        statement = self._insert(write.table)
        if write.upsert:
            replaced = {
                column: statement.excluded[column]
                for column in rows[0]
                if column != write.key and column not in write.kept
            }
            table, excluded = write.table, statement.excluded
            later = (
                tuple_(table.c.fence_run, table.c.fence_step) <= tuple_(excluded.fence_run, excluded.fence_step)
                if fenced
                else None
            )
            statement = statement.on_conflict_do_update(index_elements=[write.key], set_=replaced, where=later)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=[write.key])
        # A list of rows runs as one executemany, in order: the order gives `seq`.
        connection.execute(statement, rows)

    def _rows(self, query: Any) -> list[Any]:
        with Session(self._engine) as session:
            return list(session.exec(query).all())
