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
    Effect,
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

        Fenced, for a batch of a party's workflow: a worker whose workflow task
        timed out (a pause, a partition) may still commit a batch after the
        party's next worker wrote newer saves; its upserts would put back older
        ones (a decided task open again). So a batch from an earlier run than
        the file's latest writes nothing (`_fence`), and within a run each row
        saved whole keeps the step of its latest save and takes only a later
        one (records.tables.Fenced). Rows recorded once need no fence: the late
        batch records again what the newer worker recorded.

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
        the file before it, within `connection`'s transaction. A save the file already holds
        a later one of changes nothing, so it makes no event."""
        changing = self._not_superseded(connection, batch)
        prior = outbox.before(connection, changing)
        self._write_batch(connection, batch)
        outbox.record(connection, self._insert, events_of(batch.party_id, prior, changing))

    def _fence(self, connection: Connection, batch: EffectBatch) -> bool | None:
        """Mark the file as written by the batch's run, unless a later run has written it.

        The revision in the party's row, raised only here and only upwards in one
        statement, lets a batch from an earlier run change nothing. The same
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

    def _not_superseded(self, connection: Connection, batch: EffectBatch) -> list[Effect]:
        """The batch's effects but the saves that the file holds a later save of (within the run)."""
        if batch.revision is None:
            return list(batch.effects)
        saves: dict[Write, dict[str, list[int]]] = {}
        for index, effect in enumerate(batch.effects):
            for write, row in _rows_of(effect):
                if write.upsert:
                    saves.setdefault(write, {}).setdefault(row[write.key], []).append(index)
        superseded: set[int] = set()
        for write, indexes in saves.items():
            table = write.table
            held = connection.execute(
                select(table.c[write.key], table.c.fence_run, table.c.fence_step).where(
                    table.c[write.key].in_(list(indexes))
                )
            )
            for key, run, step in held:
                superseded.update(i for i in indexes[key] if (run, step) > (batch.revision, batch.step(i)))
        return [effect for index, effect in enumerate(batch.effects) if index not in superseded]

    def _write_batch(self, connection: Connection, batch: EffectBatch) -> None:
        """Write a batch's rows within `connection`'s transaction."""
        rows: dict[Write, dict[str, dict[str, Any]]] = {write: {} for write in _WRITE_ORDER}
        fenced = batch.revision is not None
        for index, effect in enumerate(batch.effects):
            for write, row in _rows_of(effect):
                if write.upsert and fenced:
                    row |= {"fence_run": batch.revision, "fence_step": batch.step(index)}
                pending = rows[write]
                key = row[write.key]
                if key not in pending:
                    pending[key] = row
                elif write.upsert:
                    # Re-assigning keeps the first position (the order entries were
                    # created in) with the latest values.
                    pending[key] = row | {column: pending[key][column] for column in write.kept if column in row}

        for write in _WRITE_ORDER:
            if rows[write]:
                self._write(connection, write, list(rows[write].values()), fenced=fenced)


def _rows_of(effect: Effect) -> list[tuple[Write, dict[str, Any]]]:
    """The rows one effect writes, each with how it is written."""
    match effect:
        case PartySaved():
            return [(_PARTY, _party_row(effect.party, effect.stage, effect.at))]
        case IncidentRecorded():
            # The workflow saves the party only when its stage or profile
            # changes; its first incident must still find a file to open.
            report = effect.report
            return [
                (_PARTY_IF_ABSENT, _party_row(report.party, Stage.NONE, effect.received_at)),
                (
                    _INCIDENT,
                    row_of(IncidentRow, report, party_id=report.party.party_id, received_at=effect.received_at),
                ),
            ]
        case AskSaved():
            return [(_ASK, row_of(AskRow, effect.ask, party_id=effect.party_id))]
        case EndedCallSaved():
            call = effect.ended_call
            agreed_at = call.ground_rules.agreed_at if call.ground_rules else None
            row = row_of(
                EndedCallRow,
                call,
                call_key=f"{effect.party_id}:{call.call_id}",
                party_id=effect.party_id,
                ground_rules_agreed_at=agreed_at,
            )
            return [(_ENDED_CALL, row)]
        case WarningSaved():
            return [(_WARNING, row_of(WarningRow, effect.warning, party_id=effect.party_id))]
        case RestrictionSaved():
            return [(_RESTRICTION, row_of(RestrictionRow, effect.restriction, party_id=effect.party_id))]
        case TaskSaved():
            return [(_TASK, _task_row(effect.party_id, effect.task))]
        case DecisionRecorded():
            return [(_DECISION, row_of(DecisionRow, effect.decision, party_id=effect.party_id))]
        case AdjustmentSaved():
            return [(_ADJUSTMENT, row_of(AdjustmentRow, effect.adjustment, party_id=effect.party_id))]
        case NoticeQueued():
            return [(_NOTICE, row_of(NoticeRow, effect, kind=effect.notice))]
        case StageChanged():
            return [(_STAGE_CHANGE, row_of(StageChangeRow, effect))]
        case MessageRejected():
            return [(_REJECTION, rejection_row(effect.party_id, effect.rejection))]
        case CaseClosureSaved():
            # A case may be closed before anything else is on the party's file.
            party = PartyRef(party_id=effect.party_id)
            closure = row_of(
                ClosedCaseRow,
                effect.closed_case,
                closure_key=f"{effect.party_id}:{effect.closed_case.case_reference}",
                party_id=effect.party_id,
            )
            return [
                (_PARTY_IF_ABSENT, _party_row(party, Stage.NONE, effect.closed_case.recorded_at)),
                (_CLOSED_CASE, closure),
            ]
        case Acted():
            return [(_ACTED, _acted_row(effect))]
        case _:
            raise TypeError(f"no record is kept for effect {type(effect).__name__}")


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
