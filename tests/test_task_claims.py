"""Claims on tasks (issue 26): claim, give back, assign, reassign a leaver's tasks, the claim
log, and a decision that neither races an assignment nor overrides someone else's claim.

The services layer over a real records database (SQLite, and PostgreSQL in its pass); the
party's workflow is stood in for where a decision is sent, to act while the decision is in flight.
"""

from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from client.door import Acting
from client.parties import PartyClient
from policy.claims import ClaimChange
from policy.effects import EffectBatch, TaskSaved
from policy.fields import Door
from policy.messages import TaskDecision
from policy.permissions import NotPermitted
from policy.replies import TaskOutcomeReply
from policy.state import HumanTask
from policy.vocabulary import Role, Stage, TaskKind, TaskOutcome, TaskStatus
from records.store import RecordStore
from records.task_claims import DECIDING_LOCK
from services.acting import Principal
from services.decisions import DecisionForm, DecisionRefused, Refused, decide
from services.task_claims import (
    assign_task,
    claim_of,
    claim_task,
    eligible_colleagues,
    reassign_tasks,
    unclaim_task,
)

NOW = datetime.now(UTC)
SENIOR = [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]
ALTERNATES = [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE]
STAFF = {
    "exec-1": [Role.EXECUTIVE_TEAM],
    "exec-2": [Role.EXECUTIVE_TEAM],
    "exec-3": [Role.EXECUTIVE_TEAM],  # proposed the restriction: excluded (four eyes)
    "ado-1": [Role.ASSISTANT_DEPUTY_OMBUDSMAN],
    "mgr-1": [Role.MANAGER],
    "mgr-2": [Role.MANAGER],
    "col-1": [Role.COLLEAGUE],
}


@pytest.fixture
def store(store: RecordStore) -> RecordStore:
    """The pass's records database (SQLite, or PostgreSQL in the PostgreSQL pass), with the staff."""
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id.title(), roles)
    return store


def person(store: RecordStore, staff_id: str) -> Principal:
    row = store.staff(staff_id)
    assert row is not None
    return Principal.of(row)


def save_task(
    store: RecordStore,
    task_id: str,
    kind: TaskKind = TaskKind.RESTRICTION_APPROVAL,
    *,
    party_id: str = "p-claims",
    escalated_at: datetime | None = None,
    excluded: list[str] | None = None,
) -> HumanTask:
    candidates = SENIOR if kind == TaskKind.RESTRICTION_APPROVAL else [Role.MANAGER]
    task = HumanTask(
        task_id=task_id,
        kind=kind,
        subject_id=f"subject-{task_id}",
        created_at=NOW - timedelta(days=1),
        summary=f"task {task_id}",
        candidate_roles=candidates,
        escalation_roles=ALTERNATES,
        excluded_staff=excluded if excluded is not None else ["exec-3"],
        due_at=NOW + timedelta(days=4),
        escalated_at=escalated_at,
    )
    store.apply(EffectBatch(party_id=party_id, effects=[TaskSaved(party_id=party_id, task=task)]))
    return task


async def refused(call: Any) -> DecisionRefused:
    with pytest.raises(DecisionRefused) as caught:
        await call
    return caught.value


async def test_one_person_works_a_task_and_everyone_sees_who(store: RecordStore) -> None:
    """Only someone who may decide the task now may claim it; a second claim is refused, naming
    the holder; giving it back frees it; each change is on the claim log with who made it."""
    save_task(store, "t-1")
    claimed = await claim_task(store, caller=person(store, "exec-1"), door=Door.API, task_id="t-1")
    assert (claimed.claimed_by, claimed.assigned_by, claimed.binding) == ("exec-1", None, True)

    taken = await refused(claim_task(store, caller=person(store, "exec-2"), door=Door.INBOX, task_id="t-1"))
    assert taken.why == Refused.CLAIMED and "exec-1 works task t-1" in taken.message
    excluded = await refused(claim_task(store, caller=person(store, "exec-3"), door=Door.API, task_id="t-1"))
    assert excluded.why == Refused.NOT_ALLOWED and "conflict of interest" in excluded.message
    # A manager may claim tasks (the permission table), but not an approval before it escalates (R7).
    not_theirs = await refused(claim_task(store, caller=person(store, "mgr-1"), door=Door.API, task_id="t-1"))
    assert not_theirs.why == Refused.NOT_ALLOWED
    with pytest.raises(NotPermitted) as colleague:
        await claim_task(store, caller=person(store, "col-1"), door=Door.API, task_id="t-1")
    assert colleague.value.rule == "tasks"

    again = await claim_task(store, caller=person(store, "exec-1"), door=Door.API, task_id="t-1")
    assert again.claimed_by == "exec-1"
    given_back = await unclaim_task(store, caller=person(store, "exec-1"), door=Door.API, task_id="t-1")
    assert (given_back.claimed_by, given_back.claimed_at) == (None, None)
    mine = await claim_task(store, caller=person(store, "exec-2"), door=Door.API, task_id="t-1")
    assert mine.claimed_by == "exec-2"

    log = (await claim_of(store, "t-1")).log
    assert [(e.change, e.changed_by, e.previous_holder, e.holder) for e in log] == [
        (ClaimChange.CLAIMED, "exec-1", None, "exec-1"),
        (ClaimChange.UNCLAIMED, "exec-1", "exec-1", None),
        (ClaimChange.CLAIMED, "exec-2", None, "exec-2"),
    ]


async def test_a_manager_assigns_only_to_a_colleague_who_may_decide_it(store: RecordStore) -> None:
    save_task(store, "t-2")
    await claim_task(store, caller=person(store, "exec-1"), door=Door.API, task_id="t-2")
    assert await eligible_colleagues(store, HumanTask.model_validate(store.task("t-2").data)) == ["exec-1", "exec-2"]

    for to in ("exec-3", "mgr-2", "col-1", "nobody"):
        wrong = await refused(assign_task(store, caller=person(store, "mgr-1"), door=Door.API, task_id="t-2", to=to))
        assert wrong.why == Refused.NOT_ALLOWED, to
    with pytest.raises(NotPermitted):
        await assign_task(store, caller=person(store, "col-1"), door=Door.API, task_id="t-2", to="exec-2")

    assigned = await assign_task(
        store, caller=person(store, "mgr-1"), door=Door.API, task_id="t-2", to="exec-2", reason="exec-1 is away"
    )
    assert (assigned.claimed_by, assigned.assigned_by, assigned.binding) == ("exec-2", "mgr-1", True)
    # A manager takes a claim off someone (assign_task), which a colleague may not.
    with pytest.raises(NotPermitted):
        await unclaim_task(store, caller=person(store, "col-1"), door=Door.API, task_id="t-2")
    taken_off = await unclaim_task(store, caller=person(store, "mgr-1"), door=Door.API, task_id="t-2")
    assert taken_off.claimed_by is None
    assert [(e.change, e.changed_by, e.holder, e.reason) for e in taken_off.log][1:] == [
        (ClaimChange.ASSIGNED, "mgr-1", "exec-2", "exec-1 is away"),
        (ClaimChange.UNCLAIMED, "mgr-1", None, ""),
    ]


async def test_a_leavers_tasks_move_to_a_colleague_where_they_may_decide_them(store: RecordStore) -> None:
    """Every open task the leaver holds moves; one the colleague may not decide (a conflict of
    interest) goes back to nobody; a closed one stays as it was; each move is logged with why."""
    save_task(store, "r-1", TaskKind.RESTRICTION_REVIEW, party_id="p-a")
    save_task(store, "r-2", TaskKind.RESTRICTION_REVIEW, party_id="p-b", excluded=["mgr-1"])
    save_task(store, "r-3", TaskKind.RESTRICTION_REVIEW, party_id="p-c")
    for task_id in ("r-1", "r-2", "r-3"):
        await claim_task(store, caller=person(store, "mgr-2"), door=Door.API, task_id=task_id)
    closed = HumanTask.model_validate(store.task("r-3").data).model_copy(update={"status": TaskStatus.DONE})
    store.apply(EffectBatch(party_id="p-c", effects=[TaskSaved(party_id="p-c", task=closed)]))
    store.set_staff_active("mgr-2", False)

    # Gone, their claims hold nobody back; but they are still on file until moved.
    assert (await claim_of(store, "r-1")).not_binding_because == "mgr-2 is no longer an active member of staff"
    with pytest.raises(NotPermitted):
        await reassign_tasks(
            store, caller=person(store, "col-1"), door=Door.API, leaver="mgr-2", to="mgr-1", reason="x"
        )
    moved = await reassign_tasks(
        store, caller=person(store, "exec-1"), door=Door.INBOX, leaver="mgr-2", to="mgr-1", reason="mgr-2 left"
    )
    assert [(m.task_id, m.party_id, m.holder) for m in moved] == [("r-1", "p-a", "mgr-1"), ("r-2", "p-b", None)]
    assert [e.change for e in (await claim_of(store, "r-2")).log] == [ClaimChange.CLAIMED, ClaimChange.UNCLAIMED]
    [*_, last] = (await claim_of(store, "r-1")).log
    assert (last.change, last.changed_by, last.previous_holder, last.holder, last.reason) == (
        ClaimChange.REASSIGNED,
        "exec-1",
        "mgr-2",
        "mgr-1",
        "mgr-2 left",
    )
    assert store.task("r-3").claimed_by == "mgr-2"
    # The claim log is part of the party's file: it goes with it (R3).
    store.erase_party_file("p-a")
    assert store.claim_log("r-1") == [] and store.claim_log("r-2") != []
    assert (
        await reassign_tasks(store, caller=person(store, "exec-1"), door=Door.API, leaver="mgr-2", to=None, reason="x")
        == []
    )
    inactive = await refused(
        reassign_tasks(store, caller=person(store, "exec-1"), door=Door.API, leaver="mgr-1", to="mgr-2", reason="x")
    )
    assert inactive.why == Refused.NOT_ALLOWED


async def test_a_claim_made_before_the_task_escalated_no_longer_binds(store: RecordStore) -> None:
    save_task(store, "t-3")
    await claim_task(store, caller=person(store, "exec-1"), door=Door.API, task_id="t-3")
    assert (await claim_of(store, "t-3")).binding
    save_task(store, "t-3", escalated_at=datetime.now(UTC) + timedelta(seconds=1))
    now = await claim_of(store, "t-3")
    assert not now.binding and "escalated after it was claimed" in (now.not_binding_because or "")
    # The alternates may now take it over.
    taken = await claim_task(store, caller=person(store, "ado-1"), door=Door.API, task_id="t-3")
    assert taken.claimed_by == "ado-1"


class Workflow:
    """Stands in for the party's workflow: while a decision is in flight, a manager tries to
    give the task to someone else; then the task is saved as decided."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.sent: list[TaskDecision] = []
        self.assignment: DecisionRefused | None = None

    async def decide_task(self, decision: TaskDecision, by: Acting) -> TaskOutcomeReply:
        self.sent.append(decision)
        try:
            await assign_task(
                self.store, caller=person(self.store, "mgr-1"), door=Door.API, task_id=decision.task_id, to="exec-1"
            )
        except DecisionRefused as err:
            self.assignment = err
        row = self.store.task(decision.task_id)
        done = HumanTask.model_validate(row.data).model_copy(update={"status": TaskStatus.DONE})
        self.store.apply(EffectBatch(party_id=row.party_id, effects=[TaskSaved(party_id=row.party_id, task=done)]))
        return TaskOutcomeReply(task=done, duplicate=False, stage=Stage.RESTRICTED)


async def test_a_decision_on_someone_elses_claim_is_refused_and_no_assignment_races_one(store: RecordStore) -> None:
    save_task(store, "t-4")
    workflow = Workflow(store)
    parties = cast(PartyClient, workflow)
    approve = DecisionForm(outcome=TaskOutcome.APPROVE)
    await claim_task(store, caller=person(store, "exec-1"), door=Door.API, task_id="t-4")

    other = await refused(
        decide(parties, store, caller=person(store, "exec-2"), door=Door.API, task_id="t-4", form=approve)
    )
    assert other.why == Refused.CLAIMED and "claimed by exec-1" in other.message
    assert workflow.sent == []

    await assign_task(store, caller=person(store, "mgr-1"), door=Door.API, task_id="t-4", to="exec-2")
    reply = await decide(parties, store, caller=person(store, "exec-2"), door=Door.API, task_id="t-4", form=approve)
    assert reply.task.status == TaskStatus.DONE and [d.decided_by for d in workflow.sent] == ["exec-2"]
    # Mid-decision, the manager's assignment was refused; after it, the task is closed.
    assert workflow.assignment is not None and workflow.assignment.why == Refused.CLAIMED
    closed = await refused(assign_task(store, caller=person(store, "mgr-1"), door=Door.API, task_id="t-4", to="exec-1"))
    assert closed.why == Refused.NOT_OPEN
    row = store.task("t-4")
    assert (row.claimed_by, row.deciding_by) == ("exec-2", None)


def test_a_decision_in_flight_holds_the_task_until_its_lock_goes_stale(store: RecordStore) -> None:
    """A door that stopped mid-decision (a process killed) does not leave the task stuck."""
    save_task(store, "t-5")
    at = datetime.now(UTC)
    assert store.begin_deciding("t-5", "exec-1", expected=None, at=at)
    assert not store.begin_deciding("t-5", "exec-2", expected=None, at=at)

    def move(at: datetime) -> bool:
        return store.change_holder(
            "t-5", expected=None, holder="exec-2", change=ClaimChange.ASSIGNED, by="mgr-1", at=at
        )

    assert not move(at + DECIDING_LOCK - timedelta(seconds=1))
    assert move(at + DECIDING_LOCK + timedelta(seconds=1))
    # Expecting a holder who no longer holds it changes nothing.
    later = at + DECIDING_LOCK * 2
    assert not store.change_holder(
        "t-5", at=later, expected=None, holder="exec-1", change=ClaimChange.CLAIMED, by="exec-1"
    )
    assert [e.holder for e in store.claim_log("t-5")] == ["exec-2"]
