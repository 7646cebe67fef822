"""Fenced writes (records.writes, issue 24): a batch carries the party's revision, and one
older than the file's changes nothing, so a worker whose workflow task timed out cannot put
back an older save (a decided task open again) after the party's next worker wrote newer ones.
On SQLite and PostgreSQL (the `record_store` fixture)."""

from datetime import UTC, datetime, timedelta

from policy.effects import EffectBatch, PartySaved, TaskSaved
from policy.messages import PartyRef
from policy.state import HumanTask
from policy.vocabulary import Role, Stage, TaskKind, TaskStatus
from records.store import RecordStore

AT = datetime(2026, 7, 19, 8, 30, tzinfo=UTC)
PARTY = PartyRef(party_id="p-fenced")


def _task(status: TaskStatus) -> HumanTask:
    return HumanTask(
        task_id="approve-r-1",
        kind=TaskKind.RESTRICTION_APPROVAL,
        subject_id="r-1",
        created_at=AT,
        status=status,
        summary="Approve restriction r-1 (R7)",
        candidate_roles=[Role.MANAGER],
        decided_at=AT + timedelta(hours=2) if status == TaskStatus.DONE else None,
    )


def _batch(revision: int | None, status: TaskStatus) -> EffectBatch:
    return EffectBatch(
        party_id=PARTY.party_id,
        revision=revision,
        effects=[
            PartySaved(party=PARTY, stage=Stage.RESTRICTED, at=AT),
            TaskSaved(party_id=PARTY.party_id, task=_task(status)),
        ],
    )


def test_an_older_batch_after_a_newer_one_changes_nothing(record_store: RecordStore):
    opened, decided = _batch(1, TaskStatus.OPEN), _batch(2, TaskStatus.DONE)
    assert record_store.apply(opened) == 2  # it opens the file, and marks it at revision 1
    assert record_store.apply(decided) == 2
    assert record_store.apply(opened) == 0  # the late worker's batch 1: the newer stands
    assert record_store.task("approve-r-1").status == TaskStatus.DONE
    assert record_store.apply(decided) == 2  # the same batch again (a lost answer) writes what it wrote
    assert record_store.task("approve-r-1").status == TaskStatus.DONE
    assert record_store.party(PARTY.party_id).written_revision == 2  # the file keeps the latest revision


def test_a_write_not_made_by_a_workflow_is_unfenced(record_store: RecordStore):
    record_store.apply(_batch(3, TaskStatus.DONE))
    assert record_store.apply(_batch(None, TaskStatus.OPEN)) == 2
    assert record_store.task("approve-r-1").status == TaskStatus.OPEN
    assert record_store.party(PARTY.party_id).written_revision == 3
