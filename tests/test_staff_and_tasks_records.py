"""Staff and roles, task planning's eligibility, the task list, and decisions,
adjustments and notices on file: idempotent, and rebuilt into the state.

Runs against a real SQLite file and, when reachable, PostgreSQL.
"""

from datetime import UTC, datetime, timedelta

import pytest
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.tasks import TaskActivities
from policy.claims import ClaimChange
from policy.effects import (
    AdjustmentSaved,
    DecisionRecorded,
    Effect,
    EffectBatch,
    NoticeQueued,
    PartySaved,
    TaskSaved,
)
from policy.messages import PartyRef
from policy.payloads import NoticeDelivery, TaskPlanRequest
from policy.state import AdjustmentEntry, DecisionEntry, HumanTask
from policy.vocabulary import (
    AdjustmentStatus,
    NoticeKind,
    NoticeStatus,
    PartyKind,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from records.store import RecordStore
from records.task_list import TaskFilter, TaskSort
from services.staff import StaffCheckFailed, require_role
from settings import get_settings

TZ = "Europe/London"
T0 = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)
SENIOR = [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]
ALTERNATES = [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE]


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def add_people(store: RecordStore) -> None:
    store.add_staff("omb-1", "Olu", [Role.OMBUDSMAN])
    store.add_staff("exec-1", "Eve", [Role.EXECUTIVE_TEAM])
    store.add_staff("exec-2", "Ed", [Role.EXECUTIVE_TEAM], active=False)
    store.add_staff("exec-3", "Esi", [Role.EXECUTIVE_TEAM, Role.MANAGER])  # proposes the restriction
    store.add_staff("ado-1", "Ada", [Role.ASSISTANT_DEPUTY_OMBUDSMAN])
    store.add_staff("hoa-1", "Hal", [Role.HEAD_OF_OMBUDSMAN_ASSURANCE])
    store.add_staff("mgr-1", "Mia", [Role.MANAGER])
    store.add_staff("col-1", "Cal", [Role.COLLEAGUE, Role.MANAGER])  # experienced the behaviour


def task(
    task_id: str,
    kind: TaskKind,
    candidates: list[Role],
    escalation: list[Role],
    excluded: list[str],
    due_at: datetime | None,
    *,
    escalated_at: datetime | None = None,
    status: TaskStatus = TaskStatus.OPEN,
    decisions: list[DecisionEntry] | None = None,
) -> HumanTask:
    return HumanTask(
        task_id=task_id,
        kind=kind,
        subject_id=f"subject-{task_id}",
        created_at=day(0),
        status=status,
        summary=f"task {task_id}",
        candidate_roles=candidates,
        escalation_roles=escalation,
        excluded_staff=excluded,
        reminder_at=None if due_at is None else due_at - timedelta(days=2),
        due_at=due_at,
        escalation_due_at=None if due_at is None else due_at + timedelta(days=7),
        escalated_at=escalated_at,
        escalation_reason=None if escalated_at is None else "not decided by its due date",
        decisions=decisions or [],
    )


def save(store: RecordStore, party_id: str, *effects: Effect) -> EffectBatch:
    batch = EffectBatch(party_id=party_id, effects=list(effects))
    store.apply(batch)
    return batch


# --- staff --------------------------------------------------------------------------


def test_staff_are_added_listed_and_replaced(record_store: RecordStore) -> None:
    """R7, R16: staff and their roles; adding again replaces name and roles, keeps when first added."""
    first = record_store.add_staff("mgr-1", "Mia", [Role.MANAGER, Role.MANAGER], at=day(0))
    assert (first.staff_id, first.name, first.roles, first.active) == ("mgr-1", "Mia", ["manager"], True)
    record_store.add_staff("adv-1", "Avi", [Role.SPECIALIST_ADVISER], at=day(0))

    again = record_store.add_staff("mgr-1", "Mia Jones", [Role.MANAGER, Role.EXECUTIVE_TEAM], at=day(3))
    assert again.name == "Mia Jones"
    assert again.roles == ["executive_team", "manager"]
    assert (again.created_at, again.updated_at) == (day(0), day(3))

    assert [s.staff_id for s in record_store.list_staff()] == ["adv-1", "mgr-1"]
    assert [s.staff_id for s in record_store.list_staff(Role.SPECIALIST_ADVISER)] == ["adv-1"]
    assert [s.staff_id for s in record_store.list_staff(Role.OMBUDSMAN)] == []
    assert record_store.staff("nobody") is None

    assert record_store.set_staff_active("adv-1", False)
    assert not record_store.set_staff_active("nobody", False)
    assert [s.staff_id for s in record_store.list_staff(Role.SPECIALIST_ADVISER)] == ["adv-1"]
    assert record_store.staff_holding([Role.SPECIALIST_ADVISER]) == []
    assert record_store.staff_holding([Role.MANAGER, Role.SPECIALIST_ADVISER]) == ["mgr-1"]

    with pytest.raises(ValueError):
        record_store.add_staff("x", "No roles", [])
    with pytest.raises(ValueError):
        record_store.add_staff("  ", "No id", [Role.MANAGER])


def test_an_email_address_is_validated_kept_and_needed_for_the_digest(record_store: RecordStore) -> None:
    """Addresses are checked and normalised; adding someone again keeps theirs; no digest without one."""
    added = record_store.add_staff("mgr-1", "Mia", [Role.MANAGER], email=" Mia@Example.ORG ", digest=True, at=day(0))
    assert (added.email, added.digest) == ("Mia@example.org", True)
    again = record_store.add_staff("mgr-1", "Mia Jones", [Role.MANAGER], at=day(1))
    assert (again.name, again.email, again.digest) == ("Mia Jones", "Mia@example.org", True)
    with pytest.raises(ValueError, match="not a valid email address 'max at example'"):
        record_store.add_staff("mgr-2", "Max", [Role.MANAGER], email="max at example")
    with pytest.raises(ValueError, match="'mgr-2' has no email address to send the daily digest to"):
        record_store.add_staff("mgr-2", "Max", [Role.MANAGER], digest=True)
    assert record_store.staff("mgr-2") is None
    record_store.add_staff("mgr-2", "Max", [Role.MANAGER])
    record_store.add_staff("old-1", "Ola", [Role.MANAGER], active=False)
    assert [s.staff_id for s in record_store.staff_without_email()] == ["mgr-2"]  # the inactive are not missed
    assert [s.staff_id for s in record_store.digest_subscribers()] == ["mgr-1"]

    assert record_store.set_email("mgr-2", "max@example.org", digest=True).digest
    removed = record_store.set_email("mgr-1", None)
    assert (removed.email, removed.digest) == (None, False)
    assert [s.staff_id for s in record_store.digest_subscribers()] == ["mgr-2"]
    with pytest.raises(ValueError, match="unknown member of staff 'nobody'"):
        record_store.set_email("nobody", "a@example.org")


def test_the_front_door_checks_the_deciders_role(record_store: RecordStore) -> None:
    """A decision is sent only for a known, active member of staff holding the role claimed."""
    add_people(record_store)
    assert require_role(record_store, "exec-1", Role.EXECUTIVE_TEAM).staff_id == "exec-1"
    for staff_id, role, why in [
        ("nobody", Role.MANAGER, "unknown member of staff"),
        ("exec-2", Role.EXECUTIVE_TEAM, "not an active member of staff"),
        ("mgr-1", Role.OMBUDSMAN, "does not hold the role 'ombudsman'"),
    ]:
        with pytest.raises(StaffCheckFailed, match=why):
            require_role(record_store, staff_id, role)


# --- planning -------------------------------------------------------------------------


def test_plan_task_names_eligible_staff_and_alternates(record_store: RecordStore) -> None:
    """R7, four eyes: active candidates and alternates, never the proposer or the colleague, never the inactive."""
    add_people(record_store)
    request = TaskPlanRequest(
        task_id="approve-r-1",
        kind=TaskKind.RESTRICTION_APPROVAL,
        created_at=day(2),
        timezone=TZ,
        reminder_working_days=2,
        due_working_days=5,
        candidate_roles=SENIOR,
        escalation_roles=ALTERNATES,
        excluded_staff=["exec-3", "hoa-1"],
    )
    plan = ActivityEnvironment().run(TaskActivities(record_store).plan_task, request)
    assert plan.eligible_staff == ["exec-1", "omb-1"]  # not exec-2 (inactive), not exec-3 (proposed it)
    assert plan.eligible_alternates == ["ado-1"]  # not hoa-1 (excluded)
    assert plan.due_at == datetime(2027, 1, 4, 17, tzinfo=UTC)  # Wed 23 Dec + 5 working days

    request = request.model_copy(update={"excluded_staff": ["exec-1", "exec-3", "omb-1"]})
    plan = ActivityEnvironment().run(TaskActivities(record_store).plan_task, request)
    assert plan.eligible_staff == []  # every candidate has a conflict: the workflow goes to the alternates
    assert plan.eligible_alternates == ["ado-1", "hoa-1"]


def test_plan_task_with_no_staff_yet(record_store: RecordStore) -> None:
    """An empty staff list plans dates and names nobody."""
    request = TaskPlanRequest(
        task_id="support-i-1",
        kind=TaskKind.COLLEAGUE_SUPPORT,
        created_at=day(0),
        timezone=TZ,
        reminder_working_days=1,
        due_working_days=3,
        candidate_roles=[Role.MANAGER],
        escalation_roles=SENIOR,
        excluded_staff=[],
    )
    plan = ActivityEnvironment().run(TaskActivities(record_store).plan_task, request)
    assert (plan.eligible_staff, plan.eligible_alternates) == ([], [])
    assert plan.due_at == datetime(2026, 12, 24, 17, tzinfo=UTC)


# --- the task list ----------------------------------------------------------------------


@pytest.fixture
def task_list(record_store: RecordStore) -> RecordStore:
    """Four tasks over two parties: open, escalated, unplanned, done."""
    add_people(record_store)
    save(
        record_store,
        "ORG-1",
        TaskSaved(
            party_id="ORG-1",
            task=task("t-approve", TaskKind.RESTRICTION_APPROVAL, SENIOR, ALTERNATES, ["exec-3"], day(14)),
        ),
        TaskSaved(
            party_id="ORG-1",
            task=task(
                "t-done", TaskKind.RESTRICTION_APPROVAL, SENIOR, ALTERNATES, ["exec-3"], day(1), status=TaskStatus.DONE
            ),
        ),
    )
    save(
        record_store,
        "P-2",
        TaskSaved(
            party_id="P-2",
            task=task(
                "t-zt",
                TaskKind.ZERO_TOLERANCE_REVIEW,
                [Role.MANAGER],
                ALTERNATES,
                ["col-1"],
                day(9),
                escalated_at=day(9),
            ),
        ),
        TaskSaved(
            party_id="P-2",
            task=task("t-support", TaskKind.COLLEAGUE_SUPPORT, [Role.MANAGER], SENIOR, ["col-1"], None),
        ),
    )
    return record_store


def ids(listed) -> list[str]:
    return [t.task_id for t in listed]


def test_open_tasks_by_role_kind_party_and_due_date(task_list: RecordStore) -> None:
    """The task list: open tasks only, soonest due first, unplanned last."""
    store = task_list
    assert ids(store.open_tasks()) == ["t-zt", "t-approve", "t-support"]
    assert ids(store.open_tasks(role=Role.EXECUTIVE_TEAM)) == ["t-approve"]
    assert ids(store.open_tasks(role=Role.MANAGER)) == ["t-zt", "t-support"]
    # Alternates see a task once it escalated, not before (R7).
    assert ids(store.open_tasks(role=Role.ASSISTANT_DEPUTY_OMBUDSMAN)) == ["t-zt"]
    assert ids(store.open_tasks(role=Role.SPECIALIST_ADVISER)) == []
    assert ids(store.open_tasks(kind=TaskKind.RESTRICTION_APPROVAL)) == ["t-approve"]
    assert ids(store.open_tasks(party_id="P-2")) == ["t-zt", "t-support"]
    assert ids(store.open_tasks(party_id="P-2", kind=TaskKind.COLLEAGUE_SUPPORT)) == ["t-support"]
    assert ids(store.open_tasks(due_before=day(10))) == ["t-zt"]
    assert ids(store.open_tasks(due_before=day(9))) == []  # strictly before
    assert ids(store.open_tasks(due_before=day(30), role=Role.OMBUDSMAN)) == ["t-approve"]

    [listed] = store.open_tasks(kind=TaskKind.ZERO_TOLERANCE_REVIEW)
    assert listed.party_id == "P-2"
    assert listed.due_at == day(9)
    assert listed.deciding_roles() == [Role.MANAGER, *ALTERNATES]
    row = store.task("t-zt")
    assert (row.due_at, row.escalated, row.candidate_roles) == (day(9), True, ["manager"])
    assert row.deciding_roles == ["manager", "assistant_deputy_ombudsman", "head_of_ombudsman_assurance"]
    assert store.task("t-support").due_at is None


def test_open_tasks_by_person(task_list: RecordStore) -> None:
    """By person: the roles they hold decide, and four eyes keeps out the proposer and the colleague."""
    store = task_list
    assert ids(store.open_tasks(person="exec-1")) == ["t-approve"]
    assert ids(store.open_tasks(person="omb-1")) == ["t-approve"]
    assert ids(store.open_tasks(person="exec-3")) == ["t-zt", "t-support"]  # a manager too; proposer of t-approve
    assert ids(store.open_tasks(person="mgr-1")) == ["t-zt", "t-support"]
    assert ids(store.open_tasks(person="ado-1")) == ["t-zt"]  # escalated only
    assert ids(store.open_tasks(person="col-1")) == []  # a manager, but experienced the behaviour
    assert ids(store.open_tasks(person="exec-2")) == []  # inactive
    assert ids(store.open_tasks(person="nobody")) == []
    assert ids(store.open_tasks(person="mgr-1", kind=TaskKind.COLLEAGUE_SUPPORT)) == ["t-support"]
    assert ids(store.open_tasks(person="mgr-1", role=Role.ASSISTANT_DEPUTY_OMBUDSMAN)) == ["t-zt"]


def test_the_list_is_filtered_ordered_paged_and_counted_by_the_database(task_list: RecordStore) -> None:
    """Issue 30: a page and the count of all that match, in each order; overdue as the workflow marked it."""
    store = task_list
    overdue = task("t-zt", TaskKind.ZERO_TOLERANCE_REVIEW, [Role.MANAGER], ALTERNATES, ["col-1"], day(9))
    overdue = overdue.model_copy(update={"escalated_at": day(9), "overdue_since": day(16), "created_at": day(2)})
    save(store, "P-2", TaskSaved(party_id="P-2", task=overdue))
    assert ids(store.open_tasks(overdue=True)) == ["t-zt"]
    assert ids(store.open_tasks(overdue=False)) == ["t-approve", "t-support"]
    assert ids(store.open_tasks(overdue=True, person="ado-1")) == ["t-zt"]
    assert ids(store.open_tasks(overdue=True, role=Role.EXECUTIVE_TEAM)) == []

    # Opened on day 0 (t-approve, then t-support, by seq) and day 2 (t-zt).
    assert ids(store.open_tasks(sort=TaskSort.NEWEST)) == ["t-zt", "t-support", "t-approve"]
    assert ids(store.open_tasks(sort=TaskSort.OLDEST)) == ["t-approve", "t-support", "t-zt"]

    everyone = TaskFilter()
    assert store.count_open_tasks(everyone) == 3
    pages = [store.open_task_page(everyone, limit=2, offset=offset) for offset in (0, 2, 4)]
    assert [(ids(p.tasks), p.total) for p in pages] == [(["t-zt", "t-approve"], 3), (["t-support"], 3), ([], 3)]
    managers = store.open_task_page(TaskFilter(person="mgr-1"), sort=TaskSort.OLDEST, limit=1, offset=1)
    assert (ids(managers.tasks), managers.total) == (["t-zt"], 2)
    assert store.open_task_page(TaskFilter(person="exec-2"), limit=10) == ([], 0)  # inactive: none

    assert store.change_holder(
        "t-support", expected=None, holder="mgr-1", change=ClaimChange.CLAIMED, by="mgr-1", at=day(1)
    )
    assert ids(store.open_task_page(TaskFilter(claimed_by="mgr-1"), limit=10).tasks) == ["t-support"]
    assert ids(store.open_task_page(TaskFilter(claimed=True), limit=10).tasks) == ["t-support"]
    assert ids(store.open_task_page(TaskFilter(claimed=False), limit=10).tasks) == ["t-zt", "t-approve"]


def test_the_list_follows_the_latest_save(task_list: RecordStore) -> None:
    """The list reads what the workflow last saved: escalation adds alternates, a decision removes the task."""
    store = task_list
    escalated = task(
        "t-approve", TaskKind.RESTRICTION_APPROVAL, SENIOR, ALTERNATES, ["exec-3"], day(14), escalated_at=day(14)
    )
    save(store, "ORG-1", TaskSaved(party_id="ORG-1", task=escalated))
    assert ids(store.open_tasks(role=Role.HEAD_OF_OMBUDSMAN_ASSURANCE)) == ["t-zt", "t-approve"]
    assert ids(store.open_tasks(person="hoa-1")) == ["t-zt", "t-approve"]

    done = escalated.model_copy(update={"status": TaskStatus.DONE})
    save(store, "ORG-1", TaskSaved(party_id="ORG-1", task=done))
    assert ids(store.open_tasks(party_id="ORG-1")) == []
    assert [t.task_id for t in store.tasks(party_id="ORG-1")] == ["t-approve", "t-done"]  # first position kept


def test_a_withdrawn_task_leaves_the_list_and_shows_why_on_file(task_list: RecordStore) -> None:
    """R12: a review withdrawn because an incident moved the end is off the task list;
    its row says when, why and which incident, and the rebuilt state keeps it so."""
    store = task_list
    review = task("t-review", TaskKind.RESTRICTION_REVIEW, [Role.MANAGER], ALTERNATES, ["exec-3"], day(5))
    save(store, "P-2", TaskSaved(party_id="P-2", task=review))
    assert ids(store.open_tasks(person="mgr-1")) == ["t-review", "t-zt", "t-support"]

    reason = "R12: incident i-9 moved the end of restriction r-1 from 2 August 2026 to 23 January 2027"
    withdrawn = review.model_copy(
        update={
            "status": TaskStatus.CANCELLED,
            "cancelled_at": day(3),
            "cancellation_reason": reason,
            "cancelled_by_incident_id": "i-9",
        }
    )
    save(
        store,
        "P-2",
        PartySaved(party=PartyRef(party_id="P-2"), stage=Stage.RESTRICTED, at=day(0)),
        TaskSaved(party_id="P-2", task=withdrawn),
        NoticeQueued(
            notice_id="t-review:withdrawn",
            party_id="P-2",
            task_id="t-review",
            notice=NoticeKind.WITHDRAWN,
            roles=[Role.MANAGER],
            at=day(3),
            text=f"Withdrawn restriction_review task: {reason}",
        ),
    )
    assert ids(store.open_tasks(person="mgr-1")) == ["t-zt", "t-support"]
    assert ids(store.open_tasks(kind=TaskKind.RESTRICTION_REVIEW)) == []
    row = store.task("t-review")
    assert (row.status, row.cancelled_at, row.cancellation_reason, row.cancelled_by_incident_id) == (
        "cancelled",
        day(3),
        reason,
        "i-9",
    )
    assert ids(store.tasks(status=TaskStatus.CANCELLED.value)) == ["t-review"]
    [notice] = [n for n in store.notices(party_id="P-2") if n.task_id == "t-review"]
    assert (notice.kind, notice.text) == ("withdrawn", f"Withdrawn restriction_review task: {reason}")
    rebuilt = store.load_party_state(PartyRef(party_id="P-2"), TZ)
    assert [t for t in rebuilt.tasks if t.task_id == "t-review"] == [withdrawn]


# --- decisions, adjustments and notices ---------------------------------------------------------


def test_decisions_adjustments_and_notices_are_stored_once(record_store: RecordStore) -> None:
    """A retried write (the same batch twice, a notice twice in one batch) records everything once."""
    party = PartyRef(party_id="P-1", kind=PartyKind.INDIVIDUAL)
    decision = DecisionEntry(
        decision_id="dec-1",
        task_id="t-support",
        decided_by="mgr-1",
        role=Role.MANAGER,
        outcome=TaskOutcome.SUPPORT_RECORDED,
        reason="spoke on the phone",
        decided_at=day(1),
        support_offered=[SupportOption.EMPLOYEE_ASSISTANCE_PROGRAMME, SupportOption.MANAGER_TAKES_OVER],
    )
    opened = NoticeQueued(
        notice_id="t-support:task_opened",
        party_id="P-1",
        task_id="t-support",
        notice=NoticeKind.TASK_OPENED,
        roles=[Role.MANAGER],
        at=day(0),
        text="New colleague_support task",
    )
    adjustment = AdjustmentEntry(
        adjustment_id="adj-1", description="letters in large print", requested_at=day(0), recorded_by="col-1"
    )
    open_task = task("t-support", TaskKind.COLLEAGUE_SUPPORT, [Role.MANAGER], SENIOR, ["col-1"], day(3))
    done_task = open_task.model_copy(update={"status": TaskStatus.DONE, "decisions": [decision]})
    agreed = adjustment.model_copy(
        update={"status": AdjustmentStatus.AGREED, "decided_by": "mgr-1", "decided_at": day(1), "reason": "easy"}
    )
    first = save(
        record_store,
        "P-1",
        PartySaved(party=party, stage=Stage.NONE, at=day(0)),
        TaskSaved(party_id="P-1", task=open_task),
        opened,
        AdjustmentSaved(party_id="P-1", adjustment=adjustment),
    )
    second = save(
        record_store,
        "P-1",
        TaskSaved(party_id="P-1", task=done_task),
        DecisionRecorded(party_id="P-1", decision=decision),
        AdjustmentSaved(party_id="P-1", adjustment=agreed),
        opened,  # queued again by a retried update: still one notice
        NoticeQueued(
            notice_id="t-support:reminder",
            party_id="P-1",
            task_id="t-support",
            notice=NoticeKind.REMINDER,
            roles=[Role.MANAGER],
            at=day(1),
            text="Reminder",
        ),
    )
    for batch in (first, second, second, first, second):
        # Replaying an old batch may bring an older save back (as for every
        # other saved entry); the workflow's next save puts it right. Decisions
        # and notices never double.
        record_store.apply(batch)

    [row] = record_store.decisions()
    assert (row.decision_id, row.task_id, row.party_id, row.decided_by) == ("dec-1", "t-support", "P-1", "mgr-1")
    assert (row.role, row.outcome, row.reason, row.decided_at) == (
        "manager",
        "support_recorded",
        "spoke on the phone",
        day(1),
    )
    assert DecisionEntry.model_validate(row.data) == decision
    assert record_store.decisions(task_id="t-support") == [row]
    assert record_store.decisions(party_id="P-1") == [row]
    assert record_store.decisions(task_id="other") == []
    assert record_store.decisions(party_id="other") == []

    notices = record_store.notices(party_id="P-1")
    assert [(n.notice_id, n.kind, n.roles) for n in notices] == [
        ("t-support:task_opened", "task_opened", ["manager"]),
        ("t-support:reminder", "reminder", ["manager"]),
    ]
    assert record_store.notices(party_id="other") == []
    assert [n.notice_id for n in record_store.notices(unsent_only=True)] == [n.notice_id for n in notices]
    sent = NoticeDelivery(notice_id="t-support:task_opened", status=NoticeStatus.SENT, at=day(2), recipients=["m"])
    assert record_store.close_notice(sent)
    assert not record_store.close_notice(sent.model_copy(update={"at": day(3)}))  # the first close counts
    assert [n.notice_id for n in record_store.notices(unsent_only=True)] == ["t-support:reminder"]
    closed = record_store.notices()[0]
    assert (closed.status, closed.sent_at, closed.closed_at, closed.recipients) == ("sent", day(2), day(2), ["m"])

    [adjustment_row] = record_store.adjustments("P-1")
    a = adjustment_row
    assert (a.status, a.decided_by, a.recorded_by) == ("agreed", "mgr-1", "col-1")

    # The state rebuilt from the file: the task with its decision, the adjustment as agreed.
    state = record_store.load_party_state(party, TZ)
    assert state.tasks == [done_task]
    assert state.adjustments == [agreed]


def test_rebuilt_state_keeps_task_fields_and_adjustment_order(record_store: RecordStore) -> None:
    """Every HumanTask and AdjustmentEntry field survives the round trip; entries keep their order."""
    party = PartyRef(party_id="P-1")
    escalated = task(
        "t-2", TaskKind.RESTRICTION_REVIEW, [Role.MANAGER], ALTERNATES, ["mgr-1"], day(5), escalated_at=day(5)
    ).model_copy(update={"reminded": True, "overdue_since": day(12), "eligible_staff": ["exec-3", "mgr-2"]})
    adjustments = [
        AdjustmentEntry(
            adjustment_id=f"adj-{n}",
            description=f"adjustment {n}",
            requested_at=day(10 - n),  # later ones requested earlier: order is the order made
            recorded_by="col-1",
            advice_task_id=f"advice-adj-{n}" if n == 2 else None,
        )
        for n in (3, 1, 2)
    ]
    save(
        record_store,
        "P-1",
        PartySaved(party=party, stage=Stage.NONE, at=day(0)),
        TaskSaved(
            party_id="P-1",
            task=task("t-1", TaskKind.ADJUSTMENT_ADVICE, [Role.SPECIALIST_ADVISER], [Role.MANAGER], [], None),
        ),
        TaskSaved(party_id="P-1", task=escalated),
        *[AdjustmentSaved(party_id="P-1", adjustment=a) for a in adjustments],
    )
    state = record_store.load_party_state(party, TZ)
    assert [t.task_id for t in state.tasks] == ["t-1", "t-2"]
    assert state.tasks[1] == escalated
    assert state.adjustments == adjustments


# --- the CLI ------------------------------------------------------


@pytest.fixture
def cli(record_store: RecordStore, monkeypatch: pytest.MonkeyPatch):
    """`ubp` on the test's records database."""
    from starter.ubp import app

    monkeypatch.setenv("DATABASE_URL", record_store.engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_cli_adds_and_lists_staff_and_lists_tasks(cli, record_store: RecordStore) -> None:
    """`ubp staff add|list` and `ubp tasks list` read and write the records database."""
    result = cli("staff", "add", "mgr-1", "--name", "Mia", "--role", "manager", "--role", "executive_team")
    assert result.exit_code == 0, result.output
    assert cli("staff", "add", "adv-1", "--name", "Avi", "--role", "specialist_adviser").exit_code == 0
    assert cli("staff", "add", "x-1", "--name", "X", "--role", "janitor").exit_code == 2
    listed = cli("staff", "list", "--role", "manager")
    assert listed.exit_code == 0
    assert listed.stdout.splitlines() == ["mgr-1\tMia\texecutive_team,manager\tactive\t-\t-\tperson\t-"]
    assert "no email address, so no notices, for: mgr-1" in listed.stderr
    assert len(cli("staff", "list").stdout.splitlines()) == 2
    assert record_store.staff("mgr-1").roles == ["executive_team", "manager"]

    save(
        record_store,
        "ORG-1",
        TaskSaved(
            party_id="ORG-1",
            task=task("t-approve", TaskKind.RESTRICTION_APPROVAL, SENIOR, ALTERNATES, [], day(14)),
        ),
    )
    listed = cli("tasks", "list", "--person", "mgr-1")
    assert listed.exit_code == 0, listed.output
    assert listed.output.startswith("t-approve\tORG-1\trestriction_approval\tdue ")
    assert cli("tasks", "list", "--person", "adv-1").output == ""
    assert "t-approve" in cli("tasks", "list", "--due-before", day(15).isoformat(), "--json").output
    assert cli("tasks", "list", "--due-before", "2027-01-01").exit_code == 2  # no offset


def test_cli_adds_case_systems_and_lists_whom_they_act_for(cli, record_store: RecordStore) -> None:
    """`ubp staff add-system`: a case system's own account, acting for named staff, any ('*'),
    or only for itself; `ubp staff list` shows its kind and whom it acts for."""
    assert cli("staff", "add", "col-1", "--name", "Cal", "--role", "colleague").exit_code == 0
    added = cli("staff", "add-system", "cms", "--name", "Case system", "--acts-for", "col-1", "--acts-for", "col-2")
    assert added.exit_code == 0, added.output
    assert added.stdout == "cms: Case system (case system) acts for col-1,col-2\n"
    assert cli("staff", "add-system", "any", "--name", "Any", "--acts-for", "*").exit_code == 0
    assert cli("staff", "add-system", "alone", "--name", "Alone").exit_code == 0
    assert cli("staff", "add-system", "col-1", "--name", "Not a system").exit_code == 2
    assert cli("staff", "add", "cms", "--name", "X", "--role", "case_system").exit_code == 2
    listed = cli("staff", "list")
    assert listed.stdout.splitlines() == [
        "alone\tAlone\tcase_system\tactive\t-\t-\tsystem\tnobody (itself only)",
        "any\tAny\tcase_system\tactive\t-\t-\tsystem\t*",
        "cms\tCase system\tcase_system\tactive\t-\t-\tsystem\tcol-1,col-2",
        "col-1\tCal\tcolleague\tactive\t-\t-\tperson\t-",
    ]
    assert "no email address, so no notices, for: col-1 (" in listed.stderr  # a system is told nothing
    assert record_store.staff("cms").acts_for == ["col-1", "col-2"]


def test_cli_decides_only_signed_in(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ubp tasks decide` takes no --by: without a token it is told to sign in, and sends nothing."""
    monkeypatch.setenv("UBP_API_URL", "http://127.0.0.1:9")
    get_settings.cache_clear()
    decide = ("tasks", "decide", "t-approve", "--outcome", "approve")
    assert cli(*decide, "--by", "mgr-1").exit_code == 2  # no such option
    unsigned = cli(*decide)
    assert unsigned.exit_code == 1
    assert unsigned.stderr == "sign in: set UBP_TOKEN (a token from `ubp staff token STAFF_ID`)\n"


def test_cli_gives_staff_addresses_and_lists_and_requeues_notices(cli, record_store: RecordStore) -> None:
    """`ubp staff add --email --digest`, `ubp staff email`, `ubp notices list|retry`; staff without an
    address are reported."""
    added = cli("staff", "add", "mgr-1", "--name", "Mia", "--role", "manager", "--email", "mia@example.org", "--digest")
    assert added.exit_code == 0 and added.stdout == "mgr-1: Mia (manager) <mia@example.org>, daily digest\n"
    bare = cli("staff", "add", "mgr-2", "--name", "Max", "--role", "manager")
    assert "no email address, so no notices, for: mgr-2" in bare.stderr
    assert cli("staff", "add", "mgr-3", "--name", "X", "--role", "manager", "--digest").exit_code == 2
    assert cli("staff", "email", "mgr-2", "max@").exit_code == 2
    assert cli("staff", "email", "nobody", "no@example.org").exit_code == 2
    assert cli("staff", "email", "mgr-2", "max@example.org").exit_code == 0
    assert cli("staff", "list").stdout.splitlines() == [
        "mgr-1\tMia\tmanager\tactive\tmia@example.org\tdigest\tperson\t-",
        "mgr-2\tMax\tmanager\tactive\tmax@example.org\t-\tperson\t-",
    ]
    assert cli("staff", "email", "mgr-1", "none").stdout == "mgr-1: no email address\n"
    assert not record_store.staff("mgr-1").digest

    support = task("t-1", TaskKind.COLLEAGUE_SUPPORT, [Role.MANAGER], SENIOR, [], day(3))
    save(
        record_store,
        "P-1",
        TaskSaved(party_id="P-1", task=support),
        *(
            NoticeQueued(
                notice_id=f"t-1:{kind.value}", party_id="P-1", task_id="t-1", notice=kind, roles=[Role.MANAGER],
                at=day(0), text=kind.value,
            )
            for kind in (NoticeKind.TASK_OPENED, NoticeKind.REMINDER)
        ),
    )  # fmt: skip
    lost = NoticeDelivery(
        notice_id="t-1:reminder", status=NoticeStatus.UNDELIVERABLE, at=day(1), problem="mail server down"
    )
    assert record_store.close_notice(lost)
    listed = cli("notices", "list", "--status", "undeliverable").stdout
    assert listed == f"t-1:reminder\tP-1\tundeliverable\t{day(1).isoformat()}\t-\tmail server down\n"
    assert len(cli("notices", "list", "--party", "P-1").stdout.splitlines()) == 2
    refused = cli("notices", "retry", "t-1:task_opened")
    assert refused.exit_code == 1 and "not undeliverable or skipped" in refused.stderr
    assert cli("notices", "retry").exit_code == 2
    retried = cli("notices", "retry", "--all-undeliverable")
    assert retried.exit_code == 0 and retried.stdout == "t-1:reminder: queued again\n"
    assert record_store.notice("t-1:reminder").status == NoticeStatus.QUEUED
