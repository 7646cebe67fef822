"""The outbox (issue 25): the events a write makes, recorded in the write's own transaction, and
the feed that reads them back in order.

`before` reads what the file holds of the entries a batch touches, before the batch is written;
`record` then keeps the events the write made (policy.events), in the same transaction: a write
rolled back keeps none, a write committed keeps all. An event already on record (the same
change found by a retried write) is not kept again.

Order: each write that records events first locks the one `event_clock` row, and holds it to its
commit. So positions are given in commit order (the feed, reading `position > cursor`, never
skips an event committed later with a smaller one), and each party's sequence is the next after
its last, without a gap. A write holds the lock only from its last statements to its commit.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, select, update

from policy.effects import Effect
from policy.events import Before, Change, EventType, touched
from policy.state import AdjustmentEntry, HumanTask, RestrictionEntry, WarningEntry
from records.base import StoreBase
from records.tables import (
    AdjustmentRow,
    AskRow,
    ClosedCaseRow,
    EventClockRow,
    EventRow,
    IncidentRow,
    RestrictionRow,
    StageChangeRow,
    TaskRow,
    WarningRow,
)

_CLOCK_ID = 1
# Ids per IN (...) list: well under SQLite's and PostgreSQL's limits on parameters.
_IDS_PER_QUERY = 500


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _present(connection: Connection, model: Any, key: str, ids: set[str]) -> set[str]:
    column = _table(model).c[key]
    found: set[str] = set()
    listed = sorted(ids)
    for start in range(0, len(listed), _IDS_PER_QUERY):
        found.update(
            connection.execute(select(column).where(column.in_(listed[start : start + _IDS_PER_QUERY]))).scalars()
        )
    return found


def _entries(connection: Connection, model: Any, key: str, ids: set[str], entry: Any) -> dict[str, Any]:
    table = _table(model)
    listed = sorted(ids)
    out: dict[str, Any] = {}
    for start in range(0, len(listed), _IDS_PER_QUERY):
        query = select(table.c[key], table.c.data).where(table.c[key].in_(listed[start : start + _IDS_PER_QUERY]))
        out.update({row[0]: entry.model_validate(row[1]) for row in connection.execute(query)})
    return out


def before(connection: Connection, effects: list[Effect]) -> Before:
    """What the file holds, within `connection`'s transaction, of the entries `effects` write."""
    ids = touched(effects)
    return Before(
        incidents=_present(connection, IncidentRow, "incident_id", ids["incidents"]),
        asks=_present(connection, AskRow, "ask_id", ids["asks"]),
        stage_changes=_present(connection, StageChangeRow, "change_id", ids["stage_changes"]),
        closed_cases=_present(connection, ClosedCaseRow, "closure_key", ids["closed_cases"]),
        warnings=_entries(connection, WarningRow, "warning_id", ids["warnings"], WarningEntry),
        restrictions=_entries(connection, RestrictionRow, "restriction_id", ids["restrictions"], RestrictionEntry),
        tasks=_entries(connection, TaskRow, "task_id", ids["tasks"], HumanTask),
        adjustments=_entries(connection, AdjustmentRow, "adjustment_id", ids["adjustments"], AdjustmentEntry),
    )


def record(connection: Connection, insert: Callable[[Table], Any], changes: list[Change]) -> int:
    """Keep `changes` as events, within `connection`'s transaction: those not on record yet,
    each with the next position and its party's next sequence number.

    Returns:
        How many were kept.
    """
    if not changes:
        return 0
    clock = _table(EventClockRow)
    events = _table(EventRow)
    # The lock: held to the commit, it orders every write that records events (see above).
    position = connection.execute(
        select(clock.c.position).where(clock.c.clock_id == _CLOCK_ID).with_for_update()
    ).scalar_one()
    unique = list({c.id: c for c in changes}.values())
    on_record = _present(connection, EventRow, "event_id", {c.id for c in unique})
    new = [c for c in unique if c.id not in on_record]
    if not new:
        return 0
    sequences: dict[str, int] = {}
    now = datetime.now(UTC)
    rows = []
    for change in new:
        if change.party_id not in sequences:
            last = connection.execute(
                select(func.max(events.c.party_seq)).where(events.c.party_id == change.party_id)
            ).scalar()
            sequences[change.party_id] = last or 0
        sequences[change.party_id] += 1
        position += 1
        rows.append(
            {
                "position": position,
                "event_id": change.id,
                "party_id": change.party_id,
                "party_seq": sequences[change.party_id],
                "type": change.type.value,
                "at": change.at,
                "recorded_at": now,
                "data": change.data,
            }
        )
    connection.execute(insert(events), rows)
    connection.execute(update(clock).where(clock.c.clock_id == _CLOCK_ID).values(position=position))
    return len(rows)


class EventFeed(StoreBase):
    """The events on record, in order, for the feed (`GET /events`) and the deliveries."""

    def events_after(
        self, position: int, *, limit: int, party_id: str | None = None, types: list[EventType] | None = None
    ) -> list[EventRow]:
        """Events after `position`, in order, at most `limit`; only `party_id`'s, and of `types`, if given."""
        events = _table(EventRow)
        query = select(events).where(events.c.position > position).order_by(events.c.position).limit(limit)
        if party_id is not None:
            query = query.where(events.c.party_id == party_id)
        if types:
            query = query.where(events.c.type.in_([t.value for t in types]))
        with self._engine.connect() as connection:
            return [EventRow.model_validate(row._asdict()) for row in connection.execute(query)]
