"""R3's retention and erasure in the records database: whose file has passed the
retention period, what in it is live, removing it, and the removal log.

A party's file is every row of every table with a `party_id` column, found
from the tables themselves: a table added later (with its migration) is part
of the file, and goes with it, without a change here. Its last activity is
the latest instant in any of those rows, but for tables marked
`info={"activity": False}` (a log of who read the file).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Subquery, Table, delete, func, type_coerce, union_all
from sqlmodel import Session, SQLModel, col, select

from policy.messages import PartyRef
from policy.payloads import RemovalRecord
from policy.retention import what_is_live
from records.base import Write
from records.party_state import PartyStateLoader
from records.security_log import SecurityEvent, SecurityLog
from records.tables import ErasureHoldRow, RemovalLogRow, UtcDateTime

_REMOVAL_LOG = Write(RemovalLogRow, key="log_id", upsert=False)
_HOLD = Write(ErasureHoldRow, key="held_party_id", upsert=False)
_IDS_PER_QUERY = 1000


def party_tables() -> list[Table]:
    """Every table holding part of a party's file: those with a `party_id` column."""
    return [table for table in SQLModel.metadata.sorted_tables if "party_id" in table.c]


def _last_activity() -> tuple[Any, Subquery]:
    """Each party's latest instant, as a query grouped by party, and the union it reads."""
    instants = [
        select(table.c.party_id.label("party_id"), type_coerce(column, UtcDateTime).label("at"))
        for table in party_tables()
        if table.info.get("activity", True)
        for column in table.c
        if isinstance(column.type, UtcDateTime)
    ]
    found = union_all(*instants).subquery()
    return select(found.c.party_id, func.max(found.c.at).label("last")).group_by(found.c.party_id), found


class RetentionFile(PartyStateLoader, SecurityLog):
    """Retention and erasure over the parties' files, and their log."""

    def parties_past_retention(
        self, cutoff: datetime, *, after: str | None = None, limit: int | None = None
    ) -> list[str]:
        """Parties whose file's last activity is before `cutoff`, in id order.

        Args:
            cutoff: From `policy.retention.retention_cutoff`.
            after: Only parties whose id sorts after this one (the next batch).
            limit: At most this many.
        """
        query, found = _last_activity()
        query = query.having(func.max(found.c.at) < type_coerce(cutoff, UtcDateTime)).order_by(found.c.party_id)
        if after is not None:
            query = query.where(found.c.party_id > after)
        if limit is not None:
            query = query.limit(limit)
        with self._engine.connect() as connection:
            return [party_id for party_id, _ in connection.execute(query)]

    def last_activity(self, party_id: str) -> datetime | None:
        """The latest instant in the party's file; None if it has none."""
        query, found = _last_activity()
        with self._engine.connect() as connection:
            row = connection.execute(query.where(found.c.party_id == party_id)).first()
        return row.last if row is not None else None

    def live_in_file(self, party_id: str, timezone: str, now: datetime) -> list[str]:
        """What the party's file shows live at `now` (`policy.retention.what_is_live`); empty if nothing or no file."""
        state = self.load_party_state(PartyRef(party_id=party_id), timezone)
        return [] if state is None else what_is_live(state, now)

    def party_rows(self, party_ids: Sequence[str]) -> dict[str, int]:
        """How many rows these parties' files hold, by table (tables with none left out)."""
        counted: dict[str, int] = {}
        ids = list(party_ids)
        with self._engine.connect() as connection:
            # In slices: a database takes only so many parameters in one statement.
            for start in range(0, len(ids), _IDS_PER_QUERY):
                chunk = ids[start : start + _IDS_PER_QUERY]
                for table in party_tables():
                    count = connection.execute(
                        select(func.count()).select_from(table).where(table.c.party_id.in_(chunk))
                    ).scalar_one()
                    if count:
                        counted[table.name] = counted.get(table.name, 0) + count
        return counted

    def erase_party_file(self, party_id: str) -> dict[str, int]:
        """Remove every row of the party's file, in one transaction.

        Returns:
            The rows removed, by table; empty if there was no file (already erased).
        """
        removed: dict[str, int] = {}
        with self._engine.begin() as connection:
            for table in party_tables():
                count = connection.execute(delete(table).where(table.c.party_id == party_id)).rowcount
                if count:
                    removed[table.name] = count
            # The erasure is done with the file: a run waiting to read it goes on (hold_file).
            connection.execute(delete(ErasureHoldRow).where(col(ErasureHoldRow.held_party_id) == party_id))
        return removed

    def hold_file(self, party_id: str, erasure_id: str, at: datetime) -> None:
        """Hold the party's file for an erasure: a new run of its workflow waits to read it
        until `erase_party_file` or `release_file` (activities.records.load_party_state)."""
        statement = self._insert(_HOLD.table).on_conflict_do_nothing(index_elements=[_HOLD.key])
        with self._engine.begin() as connection:
            connection.execute(statement, {"held_party_id": party_id, "erasure_id": erasure_id, "since": at})

    def release_file(self, party_id: str) -> None:
        """End the hold of an erasure that was refused: the file stays, and may be read."""
        with self._engine.begin() as connection:
            connection.execute(delete(ErasureHoldRow).where(col(ErasureHoldRow.held_party_id) == party_id))

    def file_on_hold(self, party_id: str) -> bool:
        """Whether an erasure holds the party's file."""
        with Session(self._engine) as session:
            return session.get(ErasureHoldRow, party_id) is not None

    def record_removal(self, record: RemovalRecord) -> bool:
        """Add a line to the removal log, once per `log_id`.

        Returns:
            True if it was not recorded yet.
        """
        row = RemovalLogRow(
            log_id=record.log_id,
            kind=record.kind.value,
            outcome=record.outcome.value,
            at=record.at,
            by=record.by,
            role=record.role.value if record.role is not None else None,
            reason=record.reason,
            erased_party_id=record.party_id,
            forced=record.forced,
            parties=record.totals.parties,
            held=record.totals.held,
            executions=record.totals.executions,
            rows=record.totals.rows,
        )
        statement = (
            self._insert(_REMOVAL_LOG.table)
            .values(**row.model_dump(exclude={"seq"}))
            .on_conflict_do_nothing(index_elements=[_REMOVAL_LOG.key])
            # What came back tells an insert from a conflict: psycopg's rowcount here is -1.
            .returning(_REMOVAL_LOG.table.c[_REMOVAL_LOG.key])
        )
        with self._engine.begin() as connection:
            first = connection.execute(statement).first() is not None
        if first:
            # Which party is not said: the security log holds no party's identity.
            self.record_security_event(
                SecurityEvent.ERASURE,
                staff_id=record.by,
                detail=f"{record.kind.value}:{record.outcome.value}",
                at=record.at,
            )
        return first

    def removal_log(self, *, party_id: str | None = None) -> list[RemovalLogRow]:
        """The removal log, oldest first; only erasures of `party_id` if given."""
        query = select(RemovalLogRow).order_by(col(RemovalLogRow.seq))
        if party_id is not None:
            query = query.where(col(RemovalLogRow.erased_party_id) == party_id)
        with Session(self._engine) as session:
            return list(session.exec(query).all())

    def removal_recorded(self, log_id: str) -> bool:
        """Whether the removal log has a line for this sweep's or erasure's id."""
        query = select(RemovalLogRow.seq).where(col(RemovalLogRow.log_id) == log_id)
        with Session(self._engine) as session:
            return session.exec(query).first() is not None
