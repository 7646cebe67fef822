"""Human tasks: who may decide what, by when, and what happens when nobody does.

One model for every kind of decision a person owes (R7, R9, R15, R16, R18,
and the review before a restriction ends). Dates in working days need the
holiday calendar, so they come from the `plan_task` activity as a
`TaskPlan`, computed once and stored. There is no silent auto-approval: an
undecided task escalates to the alternates, then is flagged overdue, and
stays open until someone decides it, or until what it asks stops standing
(the restriction ended, or its end moved): then it is withdrawn, with why.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from policy.effects import Effect, NoticeQueued, TaskSaved
from policy.messages import PartyRef
from policy.payloads import TaskPlan, TaskPlanRequest
from policy.state import HumanTask, PartyState
from policy.vocabulary import NoticeKind, PartyKind, Role, TaskKind, TaskOutcome, TaskStatus

SENIOR = (Role.OMBUDSMAN, Role.EXECUTIVE_TEAM)
ALTERNATES = (Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE)


@dataclass(frozen=True)
class TaskRule:
    candidate_roles: tuple[Role, ...]
    escalation_roles: tuple[Role, ...]
    reminder_working_days: int
    due_working_days: int
    outcomes: frozenset[TaskOutcome]
    reason_required: frozenset[TaskOutcome]
    # Candidates instead of `candidate_roles` when R7 applies to the party.
    r7_candidate_roles: tuple[Role, ...] = ()

    def candidates_for(self, party: PartyRef) -> tuple[Role, ...]:
        if self.r7_candidate_roles and r7_reasons(party):
            return self.r7_candidate_roles
        return self.candidate_roles


def r7_reasons(party: PartyRef) -> list[str]:
    """R7: why decisions on this party are for the Ombudsman or the Executive Team."""
    reasons = []
    if party.kind == PartyKind.ORGANISATION:
        reasons.append("R7: the party is an organisation")
    if party.professional_capacity:
        reasons.append("R7: the party acts in a professional capacity")
    return reasons


TASK_RULES: dict[TaskKind, TaskRule] = {
    # R7, R9: the Ombudsman or the Executive Team; the alternates when they
    # are unavailable (escalation) or all have a conflict of interest.
    TaskKind.RESTRICTION_APPROVAL: TaskRule(
        SENIOR,
        ALTERNATES,
        reminder_working_days=2,
        due_working_days=5,
        outcomes=frozenset({TaskOutcome.APPROVE, TaskOutcome.REJECT, TaskOutcome.RECUSE}),
        reason_required=frozenset({TaskOutcome.REJECT, TaskOutcome.RECUSE}),
    ),
    # R15: escalated to a manager at once; the police-referral decision is theirs.
    # R15a: for an organisation or a professional, R7's approvers decide, with
    # its alternates on escalation or conflict. The stop is in force meanwhile,
    # so the review keeps its short dates.
    TaskKind.ZERO_TOLERANCE_REVIEW: TaskRule(
        (Role.MANAGER,),
        ALTERNATES,
        reminder_working_days=1,
        due_working_days=2,
        outcomes=frozenset({TaskOutcome.CONFIRM_STOP, TaskOutcome.LIFT_STOP, TaskOutcome.RECUSE}),
        reason_required=frozenset({TaskOutcome.LIFT_STOP, TaskOutcome.RECUSE}),
        r7_candidate_roles=SENIOR,
    ),
    # R16: only a specialist can advise; escalation flags it to managers.
    TaskKind.ADJUSTMENT_ADVICE: TaskRule(
        (Role.SPECIALIST_ADVISER,),
        (Role.MANAGER,),
        reminder_working_days=3,
        due_working_days=5,
        outcomes=frozenset({TaskOutcome.ADVICE_GIVEN, TaskOutcome.RECUSE}),
        reason_required=frozenset({TaskOutcome.ADVICE_GIVEN, TaskOutcome.RECUSE}),
    ),
    # R18: the colleague's manager, or in their absence another manager.
    TaskKind.COLLEAGUE_SUPPORT: TaskRule(
        (Role.MANAGER,),
        SENIOR,
        reminder_working_days=1,
        due_working_days=3,
        outcomes=frozenset({TaskOutcome.SUPPORT_RECORDED, TaskOutcome.RECUSE}),
        reason_required=frozenset({TaskOutcome.RECUSE}),
    ),
    # Before a restriction ends: lift early, let it run, or step up (R11).
    TaskKind.RESTRICTION_REVIEW: TaskRule(
        (Role.MANAGER,),
        ALTERNATES,
        reminder_working_days=3,
        due_working_days=7,
        outcomes=frozenset({TaskOutcome.LET_RUN, TaskOutcome.LIFT_EARLY, TaskOutcome.STEP_UP, TaskOutcome.RECUSE}),
        reason_required=frozenset({TaskOutcome.LIFT_EARLY, TaskOutcome.STEP_UP, TaskOutcome.RECUSE}),
    ),
}


# What each kind of task is called where people read it: the inbox and the mail.
TASK_TITLES: dict[TaskKind, str] = {
    TaskKind.RESTRICTION_APPROVAL: "Restriction approval (R7, R9)",
    TaskKind.ZERO_TOLERANCE_REVIEW: "Zero-tolerance review (R15)",
    TaskKind.ADJUSTMENT_ADVICE: "Specialist advice on an adjustment (R16)",
    TaskKind.COLLEAGUE_SUPPORT: "Support for a colleague (R18)",
    TaskKind.RESTRICTION_REVIEW: "Review before a restriction ends",
}


def may_decide(
    staff_id: str, roles_held: Collection[str], deciding_roles: Sequence[Role], excluded: Collection[str]
) -> bool:
    """Whether a member of staff may decide a task now (four eyes included).

    The task list, the inbox and the notices all ask this one question; the
    workflow's own check (`policy.decisions.check_decision`) also names the
    role the person acts in.

    Args:
        staff_id: The member of staff, who must be active (the caller checks).
        roles_held: The roles they hold, as values or `Role`s.
        deciding_roles: The roles that may decide the task now (`HumanTask.deciding_roles`).
        excluded: Staff excluded for a conflict of interest.
    """
    if staff_id in excluded:
        return False
    held = {Role(r) for r in roles_held}
    return any(r in held for r in deciding_roles)


def open_task(
    state: PartyState,
    kind: TaskKind,
    task_id: str,
    subject_id: str,
    now: datetime,
    summary: str,
    excluded_staff: Sequence[str | None],
) -> list[Effect]:
    """Open a task; its dates come later from `apply_plan`."""
    rule = TASK_RULES[kind]
    task = HumanTask(
        task_id=task_id,
        kind=kind,
        subject_id=subject_id,
        created_at=now,
        summary=summary,
        candidate_roles=list(rule.candidates_for(state.party)),
        escalation_roles=list(rule.escalation_roles),
        excluded_staff=sorted({s for s in excluded_staff if s}),
    )
    state.tasks.append(task)
    return announce(state, task, now)


def announce(state: PartyState, task: HumanTask, now: datetime) -> list[Effect]:
    """Save an open task and tell its candidates about it."""
    text = f"New {task.kind.value} task: {task.summary}"
    return [
        TaskSaved(party_id=state.party.party_id, task=task),
        _notice(state, task, NoticeKind.TASK_OPENED, now, task.candidate_roles, text),
    ]


def plan_request(state: PartyState, task: HumanTask) -> TaskPlanRequest:
    rule = TASK_RULES[task.kind]
    return TaskPlanRequest(
        task_id=task.task_id,
        kind=task.kind,
        created_at=task.created_at,
        timezone=state.timezone,
        reminder_working_days=rule.reminder_working_days,
        due_working_days=rule.due_working_days,
        candidate_roles=task.candidate_roles,
        escalation_roles=task.escalation_roles,
        excluded_staff=task.excluded_staff,
    )


def unplanned(state: PartyState) -> list[HumanTask]:
    return [t for t in state.tasks if t.status == TaskStatus.OPEN and not t.planned]


def apply_plan(state: PartyState, task_id: str, plan: TaskPlan, now: datetime) -> list[Effect]:
    """Store the task's dates; with no candidate free of conflict, go to the alternates now (R7)."""
    task = state.task(task_id)
    assert task is not None
    if task.status != TaskStatus.OPEN:
        # Withdrawn while the plan was being made: it needs no dates, and must not escalate.
        return []
    task.reminder_at = plan.reminder_at
    task.due_at = plan.due_at
    task.escalation_due_at = plan.escalation_due_at
    task.eligible_staff = plan.eligible_staff
    effects: list[Effect] = [TaskSaved(party_id=state.party.party_id, task=task)]
    if not plan.eligible_staff:
        effects += escalate(state, task, now, "no candidate is free of a conflict of interest")
    return effects


def escalate(state: PartyState, task: HumanTask, now: datetime, reason: str) -> list[Effect]:
    if task.escalated_at is not None:
        return []
    task.escalated_at = now
    task.escalation_reason = reason
    return [
        TaskSaved(party_id=state.party.party_id, task=task),
        _notice(
            state,
            task,
            NoticeKind.ESCALATED,
            now,
            task.deciding_roles(),
            f"Escalated {task.kind.value} task: {reason}",
        ),
    ]


def withdraw_tasks(
    state: PartyState,
    kind: TaskKind,
    subject_id: str,
    now: datetime,
    reason: str,
    incident_id: str | None = None,
) -> list[Effect]:
    """Cancel the open tasks of `kind` about `subject_id`: what they ask no longer
    stands. They stay on file with the reason; being no longer open, they get
    no further reminder, escalation or overdue notice."""
    effects: list[Effect] = []
    for t in state.tasks:
        if t.kind != kind or t.subject_id != subject_id or t.status != TaskStatus.OPEN:
            continue
        t.status = TaskStatus.CANCELLED
        t.cancelled_at = now
        t.cancellation_reason = reason
        t.cancelled_by_incident_id = incident_id
        effects += [
            TaskSaved(party_id=state.party.party_id, task=t),
            # Whoever was told of the task is told it is gone.
            _notice(state, t, NoticeKind.WITHDRAWN, now, t.deciding_roles(), f"Withdrawn {kind.value} task: {reason}"),
        ]
    return effects


def task_deadlines(state: PartyState) -> list[datetime]:
    """Reminders, due dates and escalation due dates not yet acted on."""
    found = []
    for t in state.tasks:
        if t.status != TaskStatus.OPEN or not t.planned:
            continue
        # Planned: apply_plan has set all three dates together.
        assert t.reminder_at is not None and t.due_at is not None and t.escalation_due_at is not None
        if not t.reminded:
            found.append(t.reminder_at)
        if t.escalated_at is None:
            found.append(t.due_at)
        elif t.overdue_since is None:
            found.append(t.escalation_due_at)
    return found


def advance_tasks(state: PartyState, now: datetime) -> list[Effect]:
    """Remind, escalate when nobody decided by the due date, then flag overdue."""
    effects: list[Effect] = []
    for t in state.tasks:
        if t.status != TaskStatus.OPEN or not t.planned:
            continue
        # Planned: apply_plan has set all three dates together.
        assert t.reminder_at is not None and t.due_at is not None and t.escalation_due_at is not None
        if not t.reminded and t.reminder_at <= now:
            t.reminded = True
            effects += [
                TaskSaved(party_id=state.party.party_id, task=t),
                _notice(state, t, NoticeKind.REMINDER, now, t.deciding_roles(), f"Reminder: {t.summary}"),
            ]
        if t.escalated_at is None and t.due_at <= now:
            effects += escalate(state, t, now, "not decided by its due date")
        if t.escalated_at is not None and t.overdue_since is None and t.escalation_due_at <= now:
            t.overdue_since = now
            effects += [
                TaskSaved(party_id=state.party.party_id, task=t),
                _notice(state, t, NoticeKind.OVERDUE, now, t.deciding_roles(), f"Overdue: {t.summary}"),
            ]
    return effects


def _notice(
    state: PartyState, task: HumanTask, kind: NoticeKind, now: datetime, roles: list[Role], text: str
) -> NoticeQueued:
    return NoticeQueued(
        notice_id=f"{task.task_id}:{kind.value}",
        party_id=state.party.party_id,
        task_id=task.task_id,
        notice=kind,
        roles=list(roles),
        at=now,
        text=text,
    )
