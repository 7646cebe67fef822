"""Writing the rules' effects to the party's file (R3).

Writes are idempotent on keys the effects carry, so a retried activity, or a
batch written again by a new run, records everything once.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from policy.effects import (
    Acted,
    AdjustmentSaved,
    AskSaved,
    CaseClosureSaved,
    DecisionRecorded,
    EffectBatch,
    EndedCallSaved,
    IncidentRecorded,
    MessageRejected,
    NoticeQueued,
    PartySaved,
    RestrictionSaved,
    StageChanged,
    TaskSaved,
    WarningSaved,
)
from policy.events import events_of
from policy.messages import PartyRef
from policy.state import HumanTask
from policy.vocabulary import Stage
from records import outbox
from records.base import StoreBase, Write
from records.rows import rejection_row, row_of
from records.tables import (
    ActedRow,
    AdjustmentRow,
    AskRow,
    ClosedCaseRow,
    DecisionRow,
    EndedCallRow,
    IncidentRow,
    NoticeRow,
    PartyRow,
    RejectionRow,
    RestrictionRow,
    StageChangeRow,
    TaskRow,
    WarningRow,
)

# In this order: a party row exists before anything else is written for it.
_PARTY_IF_ABSENT = Write(PartyRow, "party_id", upsert=False)
_PARTY = Write(PartyRow, "party_id", upsert=True, kept=("created_at",))
_INCIDENT = Write(IncidentRow, "incident_id", upsert=False)
_ASK = Write(AskRow, "ask_id", upsert=True)
_ENDED_CALL = Write(EndedCallRow, "call_key", upsert=True)
_WARNING = Write(WarningRow, "warning_id", upsert=True)
_RESTRICTION = Write(RestrictionRow, "restriction_id", upsert=True)
_TASK = Write(TaskRow, "task_id", upsert=True)
_DECISION = Write(DecisionRow, "decision_id", upsert=False)
_ADJUSTMENT = Write(AdjustmentRow, "adjustment_id", upsert=True)
_NOTICE = Write(NoticeRow, "notice_id", upsert=False)
_STAGE_CHANGE = Write(StageChangeRow, "change_id", upsert=False)
_REJECTION = Write(RejectionRow, "rejection_key", upsert=False)
_CLOSED_CASE = Write(ClosedCaseRow, "closure_key", upsert=False)
_ACTED = Write(ActedRow, "act_key", upsert=False)
_WRITE_ORDER = (
    _PARTY_IF_ABSENT,
    _PARTY,
    _INCIDENT,
    _ASK,
    _ENDED_CALL,
    _WARNING,
    _RESTRICTION,
    _TASK,
    _DECISION,
    _ADJUSTMENT,
    _NOTICE,
    _STAGE_CHANGE,
    _REJECTION,
    _CLOSED_CASE,
    _ACTED,
)


class EffectWriter(StoreBase):
    """Writes batches of effects to the parties' files."""

    def apply(self, batch: EffectBatch) -> int:
        """Write a batch of effects to the file in one transaction.

        Idempotent: incidents, decisions, notices, stage changes,
        rejections and closed cases are recorded once; the party, asks, ended calls, warnings,
        restrictions, tasks and adjustments are saved whole, so the latest
        save of each wins. Applying the same batch twice changes nothing.

        Args:
            batch: The effects, in the order the rules produced them.

        Returns:
            The number of effects written: 0 for a batch older than the file's.
        """
        with self._engine.begin() as connection:
            fenced = self._fence(connection, batch)
            if fenced is False:
                return 0
            self._write_with_events(connection, batch)
            if fenced is None:
                # The batch opened the file: the party's row exists only now.
                self._fence(connection, batch)
        return len(batch.effects)

    def _write_with_events(self, connection: Connection, batch: EffectBatch) -> None:
        """Write a batch's rows, and the events it makes (issue 25): what it changes, against
        the file before it, within `connection`'s transaction."""
        prior = outbox.before(connection, batch.effects)
        self._write_batch(connection, batch)
        outbox.record(connection, self._insert, events_of(batch.party_id, prior, batch.effects))

    def _fence(self, connection: Connection, batch: EffectBatch) -> bool | None:
        """Mark the file as written up to the batch's revision, unless it already holds a later one.

        A worker whose workflow task timed out (a pause, a partition) may still
        commit a batch after the party's next worker wrote that batch again and
        newer ones: its upserts would put back older saves (a decided task open
        again). The revision in the party's row, raised only here and only
        upwards in one statement, lets the older batch change nothing. The same
        batch again (a retry after a lost answer) writes what it wrote.

        Returns:
            True to write, False for a batch older than the file's, None when the
            party has no file yet (write it, then mark it).
        """
        if batch.revision is None:
            return True
        party = _PARTY.table
        marked = connection.execute(
            update(party)
            .where(party.c.party_id == batch.party_id, party.c.written_revision <= batch.revision)
            .values(written_revision=batch.revision)
            .returning(party.c.party_id)
        ).first()
        if marked is not None:
            return True
        exists = connection.execute(select(party.c.party_id).where(party.c.party_id == batch.party_id)).first()
        return None if exists is None else False

    def _write_batch(self, connection: Connection, batch: EffectBatch) -> None:
        """Write a batch's rows within `connection`'s transaction."""
        rows: dict[Write, dict[str, dict[str, Any]]] = {write: {} for write in _WRITE_ORDER}

        def add(write: Write, row: dict[str, Any]) -> None:
            pending = rows[write]
            key = row[write.key]
            if key not in pending:
                pending[key] = row
            elif write.upsert:
                # Re-assigning keeps the first position (the order entries were
                # created in) with the latest values.
                pending[key] = row | {column: pending[key][column] for column in write.kept if column in row}

        for effect in batch.effects:
            match effect:
                case PartySaved():
                    add(_PARTY, _party_row(effect.party, effect.stage, effect.at))
                case IncidentRecorded():
                    # The workflow saves the party only when its stage or profile
                    # changes; its first incident must still find a file to open.
                    report = effect.report
                    add(_PARTY_IF_ABSENT, _party_row(report.party, Stage.NONE, effect.received_at))
                    add(
                        _INCIDENT,
                        row_of(IncidentRow, report, party_id=report.party.party_id, received_at=effect.received_at),
                    )
                case AskSaved():
                    add(_ASK, row_of(AskRow, effect.ask, party_id=effect.party_id))
                case EndedCallSaved():
                    call = effect.ended_call
                    agreed_at = call.ground_rules.agreed_at if call.ground_rules else None
                    add(
                        _ENDED_CALL,
                        row_of(
                            EndedCallRow,
                            call,
                            call_key=f"{effect.party_id}:{call.call_id}",
                            party_id=effect.party_id,
                            ground_rules_agreed_at=agreed_at,
                        ),
                    )
                case WarningSaved():
                    add(_WARNING, row_of(WarningRow, effect.warning, party_id=effect.party_id))
                case RestrictionSaved():
                    add(_RESTRICTION, row_of(RestrictionRow, effect.restriction, party_id=effect.party_id))
                case TaskSaved():
                    add(_TASK, _task_row(effect.party_id, effect.task))
                case DecisionRecorded():
                    add(_DECISION, row_of(DecisionRow, effect.decision, party_id=effect.party_id))
                case AdjustmentSaved():
                    add(_ADJUSTMENT, row_of(AdjustmentRow, effect.adjustment, party_id=effect.party_id))
                case NoticeQueued():
                    add(_NOTICE, row_of(NoticeRow, effect, kind=effect.notice))
                case StageChanged():
                    add(_STAGE_CHANGE, row_of(StageChangeRow, effect))
                case MessageRejected():
                    add(_REJECTION, rejection_row(effect.party_id, effect.rejection))
                case CaseClosureSaved():
                    # A case may be closed before anything else is on the party's file.
                    party = PartyRef(party_id=effect.party_id)
                    add(_PARTY_IF_ABSENT, _party_row(party, Stage.NONE, effect.closed_case.recorded_at))
                    add(
                        _CLOSED_CASE,
                        row_of(
                            ClosedCaseRow,
                            effect.closed_case,
                            closure_key=f"{effect.party_id}:{effect.closed_case.case_reference}",
                            party_id=effect.party_id,
                        ),
                    )
                case Acted():
                    add(_ACTED, _acted_row(effect))
                case _:
                    raise TypeError(f"no record is kept for effect {type(effect).__name__}")

        for write in _WRITE_ORDER:
            if rows[write]:
                self._write(connection, write, list(rows[write].values()))


def _acted_row(effect: Acted) -> dict[str, Any]:
    authority = effect.authority
    return {
        "act_key": f"{effect.party_id}:{effect.message_kind}:{effect.message_id}",
        "party_id": effect.party_id,
        "message_kind": effect.message_kind,
        "message_id": effect.message_id,
        "actor": authority.actor,
        "role": authority.role.value,
        "via": authority.via,
        "door": authority.door.value,
        "key_id": authority.key_id,
        "sealed_at": authority.sealed_at,
        "recorded_at": effect.at,
    }


def _party_row(party: PartyRef, stage: Stage, at: datetime) -> dict[str, Any]:
    return row_of(PartyRow, party, stage=stage, created_at=at, updated_at=at)


def _task_row(party_id: str, task: HumanTask) -> dict[str, Any]:
    # The task list filters on who may decide now, which escalation changes.
    return row_of(
        TaskRow,
        task,
        party_id=party_id,
        escalated=task.escalated_at is not None,
        deciding_roles=task.deciding_roles(),
    )
