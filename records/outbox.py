"""The outbox (issue 25): the events a write makes, recorded in the write's own transaction, and
the feed that reads them back in order.

`before` reads what the file holds of the entries a batch touches, before the batch is written;
`record` then keeps the events the write made (policy.events), in the same transaction: a write
rolled back keeps none, a write committed keeps all. An event already on record (the same
change found by a retried write) is not kept again.

Order: `record` locks the party's row (which a fenced write holds already) to its commit, so
each party's sequence is the next after its last, without a gap, and parties' writes never wait
for each other. The feed's order is given afterwards: `sequence` numbers the committed events
not numbered yet, holding the one `event_clock` row to its commit, so positions are committed
in order and the feed, reading `position > cursor`, never skips one. The feed and each delivery
round sequence before they read: a write never waits for the feed, and the feed never misses
a write (bench/RESULTS.md: a lock for the order in every write cost writes three quarters of
their throughput).
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, update

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
    PartyRow,
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


def _found(connection: Connection, model: Any, key: str, ids: set[str], *columns: str) -> Iterator[Any]:
    """The rows of `model` whose `key` is one of `ids`: the key, then `columns`."""
    table = _table(model)
    listed = sorted(ids)
    for start in range(0, len(listed), _IDS_PER_QUERY):
        chosen = table.c[key].in_(listed[start : start + _IDS_PER_QUERY])
        yield from connection.execute(select(table.c[key], *(table.c[c] for c in columns)).where(chosen))


def _present(connection: Connection, model: Any, key: str, ids: set[str]) -> set[str]:
    return {row[0] for row in _found(connection, model, key, ids)}


def _entries(connection: Connection, model: Any, key: str, ids: set[str], entry: Any) -> dict[str, Any]:
    return {row[0]: entry.model_validate(row[1]) for row in _found(connection, model, key, ids, "data")}


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
    """Keep `changes` as events, within `connection`'s transaction: those not on record yet, each
    with its party's next sequence number (its position comes later: `sequence`).

    Returns:
        How many were kept.
    """
    if not changes:
        return 0
    events = _table(EventRow)
    parties = _table(PartyRow)
    unique = list({c.id: c for c in changes}.values())
    sequences: dict[str, int] = {}
    for party_id in dict.fromkeys(c.party_id for c in unique):
        # The party's lock, held to the commit: its events are numbered one write at a time.
        connection.execute(select(parties.c.party_id).where(parties.c.party_id == party_id).with_for_update())
        last = connection.execute(select(func.max(events.c.party_seq)).where(events.c.party_id == party_id)).scalar()
        sequences[party_id] = last or 0
    on_record = _present(connection, EventRow, "event_id", {c.id for c in unique})
    now = datetime.now(UTC)
    rows = []
    for change in unique:
        if change.id in on_record:
            continue
        sequences[change.party_id] += 1
        rows.append(
            {
                "event_id": change.id,
                "party_id": change.party_id,
                "party_seq": sequences[change.party_id],
                "type": change.type.value,
                "at": change.at,
                "recorded_at": now,
                "data": change.data,
            }
        )
    if rows:
        connection.execute(insert(events), rows)
    return len(rows)


def sequence(connection: Connection, limit: int = 10_000) -> None:
    """Give the committed events not numbered yet their positions, in the order they were kept,
    within `connection`'s transaction, which holds the `event_clock` row to its commit."""
    clock = _table(EventClockRow)
    events = _table(EventRow)
    position = connection.execute(
        select(clock.c.position).where(clock.c.clock_id == _CLOCK_ID).with_for_update()
    ).scalar_one()
    waiting = (
        connection.execute(select(events.c.seq).where(events.c.position.is_(None)).order_by(events.c.seq).limit(limit))
        .scalars()
        .all()
    )
    if not waiting:
        return
    numbered = [{"number": seq, "given": position + n} for n, seq in enumerate(waiting, start=1)]
    connection.execute(
        update(events).where(events.c.seq == bindparam("number")).values(position=bindparam("given")), numbered
    )
    connection.execute(update(clock).where(clock.c.clock_id == _CLOCK_ID).values(position=position + len(waiting)))


class EventFeed(StoreBase):
    """The events on record, in order, for the feed (`GET /events`) and the deliveries."""

    def events_after(
        self, position: int, *, limit: int, party_id: str | None = None, types: list[EventType] | None = None
    ) -> list[EventRow]:
        """Events after `position`, in order, at most `limit`; only `party_id`'s, and of `types`, if given."""
        events = _table(EventRow)
        with self._engine.begin() as connection:
            sequence(connection)
        query = select(events).where(events.c.position > position).order_by(events.c.position).limit(limit)
        if party_id is not None:
            query = query.where(events.c.party_id == party_id)
        if types:
            query = query.where(events.c.type.in_([t.value for t in types]))
        with self._engine.connect() as connection:
            return [EventRow.model_validate(row._asdict()) for row in connection.execute(query)]
