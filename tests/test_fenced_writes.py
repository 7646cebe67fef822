"""Fenced writes (records.writes, issue 24): a batch carries the party's revision (its run) and
each save's step within the run (the workflow task's history length, then the effect's place
in the run's stream), and an older save changes nothing, so a worker whose workflow task timed
out cannot put back an older save (a decided task open again) after the party's next worker
wrote newer ones. On SQLite and PostgreSQL (the `record_store` fixture)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from client.parties import PartyClient
from policy.effects import Effect, EffectBatch, IncidentRecorded, PartySaved, TaskSaved
from policy.messages import PartyRef, TaskDecision
from policy.state import HumanTask
from policy.vocabulary import PartyKind, RestrictionStatus, Role, Stage, TaskKind, TaskOutcome, TaskStatus
from records.outbox import EventFeed
from records.store import RecordStore
from records.writes import EffectWriter
from tests.helpers import new_party, restriction, wait_for_status, warned_party
from tests.policy_builders import incident

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


def _saves(status: TaskStatus, stage: Stage = Stage.RESTRICTED) -> list[Effect]:
    return [PartySaved(party=PARTY, stage=stage, at=AT), TaskSaved(party_id=PARTY.party_id, task=_task(status))]


def _recorded(incident_id: str) -> IncidentRecorded:
    return IncidentRecorded(report=incident(incident_id, AT, party=PARTY), received_at=AT)


def test_within_a_run_a_late_workers_older_saves_change_nothing_and_its_incidents_land(record_store: RecordStore):
    """The worker whose workflow task (history length 10) timed out commits after the party's
    next workflow task (history length 13) wrote the task decided: the task stays decided, the
    stage stays as the newer worker saved it, and the late batch's incident is still recorded."""
    record_store.apply(EffectBatch(party_id=PARTY.party_id, revision=1, activation=5, effects=_saves(TaskStatus.OPEN)))
    newer = EffectBatch(
        party_id=PARTY.party_id, revision=1, activation=13, first=2, effects=_saves(TaskStatus.DONE, Stage.WARNED)
    )
    late = EffectBatch(
        party_id=PARTY.party_id,
        revision=1,
        activation=10,
        first=2,
        effects=[_recorded("i-late"), *_saves(TaskStatus.OPEN, Stage.RESTRICTED)],
    )
    record_store.apply(newer)
    record_store.apply(late)
    assert record_store.task("approve-r-1").status == TaskStatus.DONE
    assert record_store.party(PARTY.party_id).stage == Stage.WARNED
    assert [row.incident_id for row in record_store.incidents(PARTY.party_id)] == ["i-late"]


def test_a_workflow_task_tried_again_may_cut_its_batches_differently(record_store: RecordStore):
    """The first try wrote the run's stream as two batches, the second try (same history length)
    as one: every save of the second try is the same place as the first's, so nothing is
    refused, and the later of two saves of a row stands whichever batch carried it."""
    stream = [_recorded("i-1"), *_saves(TaskStatus.OPEN), _recorded("i-2"), *_saves(TaskStatus.DONE)]
    first_try = [
        EffectBatch(party_id=PARTY.party_id, revision=1, activation=7, first=0, effects=stream[:4]),
        EffectBatch(party_id=PARTY.party_id, revision=1, activation=7, first=4, effects=stream[4:]),
    ]
    for batch in first_try:
        record_store.apply(batch)
    second_try = EffectBatch(party_id=PARTY.party_id, revision=1, activation=7, first=0, effects=stream[:4])
    assert record_store.apply(second_try) == 4
    assert record_store.task("approve-r-1").status == TaskStatus.DONE  # the later place (5) stands over 2
    record_store.apply(EffectBatch(party_id=PARTY.party_id, revision=1, activation=7, first=0, effects=stream))
    assert record_store.task("approve-r-1").status == TaskStatus.DONE
    assert sorted(row.incident_id for row in record_store.incidents(PARTY.party_id)) == ["i-1", "i-2"]


def test_a_later_run_stands_over_any_step_of_an_earlier_one(record_store: RecordStore):
    earlier = EffectBatch(party_id=PARTY.party_id, revision=1, activation=900, effects=_saves(TaskStatus.DONE))
    record_store.apply(earlier)
    record_store.apply(EffectBatch(party_id=PARTY.party_id, revision=2, activation=3, effects=_saves(TaskStatus.OPEN)))
    assert record_store.task("approve-r-1").status == TaskStatus.OPEN


async def test_a_late_workers_batches_cannot_reopen_a_decided_approval(
    time_skipping_env, parties: PartyClient, store: RecordStore, monkeypatch: pytest.MonkeyPatch
):
    """End to end: every batch the party's workflow wrote while its restriction awaited approval,
    committed again after the approval was decided (as a worker whose workflow task had timed
    out would commit them), leaves the approval decided and the restriction in force (R7)."""
    written: list[EffectBatch] = []
    apply = EffectWriter.apply

    def recording(self: EffectWriter, batch: EffectBatch) -> int:
        written.append(batch)
        return apply(self, batch)

    monkeypatch.setattr(EffectWriter, "apply", recording)
    for staff_id in ("exec-1", "exec-2"):
        store.add_staff(staff_id, staff_id, [Role.EXECUTIVE_TEAM])
    party = new_party(PartyKind.ORGANISATION)
    repeat_id, now = await warned_party(time_skipping_env, parties, party)
    await parties.apply_restriction(restriction(party, [repeat_id], now).model_copy(update={"proposed_by": "exec-1"}))
    status = await wait_for_status(
        parties, party.party_id, lambda s: bool(s.open_tasks) and all(t.planned for t in s.open_tasks)
    )
    [approval] = [t for t in status.open_tasks if t.kind == TaskKind.RESTRICTION_APPROVAL]
    while_open = list(written)
    assert any(
        isinstance(e, TaskSaved) and e.task.task_id == approval.task_id for b in while_open for e in b.effects
    ), "the open approval was written"

    decided_at = await time_skipping_env.get_current_time()
    reply = await parties.decide_task(
        TaskDecision(
            decision_id=f"dec-{uuid.uuid4().hex[:10]}",
            party_id=party.party_id,
            task_id=approval.task_id,
            decided_by="exec-2",
            role=Role.EXECUTIVE_TEAM,
            outcome=TaskOutcome.APPROVE,
            decided_at=decided_at,
        )
    )
    assert reply.stage == Stage.RESTRICTED  # an update answers once its effects are on the file
    feed = EventFeed(store.engine)
    events = [e.event_id for e in feed.events_after(0, limit=1000, party_id=party.party_id)]

    for batch in while_open:
        store.apply(batch)
    # Nor does it tell the case systems of a change that did not happen (issue 25).
    after = feed.events_after(0, limit=1000, party_id=party.party_id)
    assert [e.event_id for e in after] == events, [(e.type, e.data) for e in after if e.event_id not in events]
    task = store.task(approval.task_id)
    assert task is not None and task.status == TaskStatus.DONE
    party_row = store.party(party.party_id)
    assert party_row is not None and party_row.stage == Stage.RESTRICTED
    assert [row.status for row in store.restrictions(party.party_id)] == [RestrictionStatus.IN_FORCE]
