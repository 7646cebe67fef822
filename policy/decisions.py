"""Decisions on human tasks and on reasonable adjustments (R7, R9, R15, R16, R18).

`check_*` read only (update validators call them: a refused decision writes
nothing); `apply_*` update the state and return the effects to record.
"""

from datetime import datetime

from policy.dates import six_months_after, written_date
from policy.effects import (
    AdjustmentSaved,
    DecisionRecorded,
    Effect,
    RestrictionSaved,
    TaskSaved,
)
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    TaskDecision,
)
from policy.refusals import PolicyRefusal
from policy.rules import (
    not_in_future,
    put_in_force,
    stage_effects,
    withdraw_what_no_longer_stands,
)
from policy.state import (
    AdjustmentEntry,
    DecisionEntry,
    HumanTask,
    PartyState,
    RestrictionEntry,
)
from policy.tasks import SENIOR, TASK_RULES, escalate, open_task, withdraw_tasks
from policy.vocabulary import (
    AdjustmentStatus,
    RestrictionGrounds,
    RestrictionStatus,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)

_RESTRICTION_ENDING = {TaskOutcome.LIFT_STOP, TaskOutcome.LIFT_EARLY}


def _is_duplicate(task: HumanTask, decision_id: str) -> bool:
    return any(d.decision_id == decision_id for d in task.decisions)


def check_decision(state: PartyState, d: TaskDecision, now: datetime) -> None:
    """Refuse the wrong role, a conflict of interest, an unknown or closed task,
    an outcome the task does not have, and a missing reason."""
    task = state.task(d.task_id)
    if task is None:
        raise PolicyRefusal("tasks", f"party {state.party.party_id} has no task {d.task_id}")
    if _is_duplicate(task, d.decision_id):
        return
    reused = next((t for t in state.tasks if t is not task and _is_duplicate(t, d.decision_id)), None)
    if reused is not None:
        raise PolicyRefusal("tasks", f"decision id {d.decision_id} was already used on task {reused.task_id}")
    if task.status == TaskStatus.CANCELLED:
        why = task.cancellation_reason or "what it asked no longer stands"
        raise PolicyRefusal("tasks", f"task {d.task_id} was withdrawn: {why}")
    if task.status != TaskStatus.OPEN:
        last = task.decisions[-1] if task.decisions else None
        by = f": {last.outcome.value} by {last.decided_by} at {last.decided_at.isoformat()}" if last else ""
        raise PolicyRefusal("tasks", f"task {d.task_id} is already {task.status.value}{by}")
    rule = TASK_RULES[task.kind]
    if d.outcome not in rule.outcomes:
        allowed = ", ".join(sorted(o.value for o in rule.outcomes))
        raise PolicyRefusal(
            "tasks", f"{d.outcome.value} is not an outcome of a {task.kind.value} task; use one of: {allowed}"
        )
    roles = task.deciding_roles()
    if d.role not in roles:
        later = (
            f"; after escalation also {', '.join(r.value for r in task.escalation_roles)}"
            if task.escalated_at is None and task.escalation_roles
            else ""
        )
        raise PolicyRefusal(
            # R7's approvers decide approvals and (R15a) an organisation's or professional's stop.
            "R7" if tuple(task.candidate_roles) == SENIOR else "tasks",
            f"a {d.role.value} may not decide {task.kind.value} task {task.task_id}; "
            f"it needs one of: {', '.join(r.value for r in roles)}{later}",
        )
    if d.decided_by in task.excluded_staff:
        raise PolicyRefusal(
            "R7",
            f"{d.decided_by} may not decide task {task.task_id}: conflict of interest "
            "(they proposed it, experienced the behaviour, or declared a conflict)",
        )
    if d.outcome in rule.reason_required and not d.reason.strip():
        raise PolicyRefusal("R10", f"a reason is required to {d.outcome.value}")
    if task.kind == TaskKind.ZERO_TOLERANCE_REVIEW and d.outcome != TaskOutcome.RECUSE and d.police_referral is None:
        raise PolicyRefusal("R15", "record the police-referral decision (police_referral true or false)")
    if d.outcome == TaskOutcome.SUPPORT_RECORDED and not d.support_offered:
        raise PolicyRefusal("R18", "record which support was offered (support_offered)")
    not_in_future(d.decided_at, now, "decided_at")
    if task.kind == TaskKind.RESTRICTION_APPROVAL:
        subject = state.restriction(task.subject_id)
        if subject is None or subject.status != RestrictionStatus.AWAITING_APPROVAL:
            raise PolicyRefusal("R7", f"restriction {task.subject_id} is not awaiting approval")


def apply_decision(state: PartyState, d: TaskDecision, now: datetime) -> tuple[HumanTask, bool, list[Effect]]:
    """Record the decision and carry out what it decides; returns (task, duplicate, effects)."""
    task = state.task(d.task_id)
    assert task is not None
    if _is_duplicate(task, d.decision_id):
        return task, True, []
    pid = state.party.party_id
    entry = DecisionEntry(
        decision_id=d.decision_id,
        task_id=d.task_id,
        decided_by=d.decided_by,
        role=d.role,
        outcome=d.outcome,
        reason=d.reason,
        decided_at=d.decided_at,
        police_referral=d.police_referral,
        support_offered=d.support_offered,
    )
    task.decisions.append(entry)
    effects: list[Effect] = [DecisionRecorded(party_id=pid, decision=entry)]
    if d.outcome == TaskOutcome.RECUSE:
        task.excluded_staff = sorted({*task.excluded_staff, d.decided_by})
        effects.append(TaskSaved(party_id=pid, task=task))
        if task.planned and not set(task.eligible_staff) - set(task.excluded_staff):
            effects += escalate(state, task, now, "every candidate has a conflict of interest")
        return task, False, effects
    task.status = TaskStatus.DONE
    effects.append(TaskSaved(party_id=pid, task=task))
    if task.kind == TaskKind.RESTRICTION_APPROVAL:
        subject = state.restriction(task.subject_id)
        assert subject is not None
        if d.outcome == TaskOutcome.APPROVE:
            effects += put_in_force(state, subject, now)
        else:
            subject.status = RestrictionStatus.REJECTED
            subject.ended_at = now
            effects.append(RestrictionSaved(party_id=pid, restriction=subject))
    elif d.outcome in _RESTRICTION_ENDING:
        effects += _end_early(state, _restriction_for(state, task), task, now)
    effects += withdraw_what_no_longer_stands(state, now)
    effects += stage_effects(state, now, f"{task.kind.value} {d.outcome.value}")
    return task, False, effects


def _restriction_for(state: PartyState, task: HumanTask) -> RestrictionEntry | None:
    if task.kind == TaskKind.RESTRICTION_REVIEW:
        return state.restriction(task.subject_id)
    # A zero-tolerance review's subject is the incident; its stop is the
    # in-force zero-tolerance restriction that lists it.
    return next(
        (
            r
            for r in state.restrictions
            if r.grounds == RestrictionGrounds.ZERO_TOLERANCE
            and r.status == RestrictionStatus.IN_FORCE
            and task.subject_id in r.incident_ids
        ),
        None,
    )


def _end_early(state: PartyState, r: RestrictionEntry | None, task: HumanTask, now: datetime) -> list[Effect]:
    """Lift a restriction now; it stays on record and R13's window runs from today."""
    if r is None or r.status != RestrictionStatus.IN_FORCE:
        return []
    r.status = RestrictionStatus.EXPIRED
    r.ended_at = now
    r.ends_at = now
    r.recurrence_window_ends_at = six_months_after(now, state.timezone)
    # Said here, where it is known to be a lift and not the end of its time.
    lifted = (
        f"restriction {r.restriction_id} was lifted early on {written_date(now, state.timezone)} "
        f"({task.task_id}): there is nothing left to review"
    )
    return [
        RestrictionSaved(party_id=state.party.party_id, restriction=r),
        *withdraw_tasks(state, TaskKind.RESTRICTION_REVIEW, r.restriction_id, now, lifted),
    ]


# --- reasonable adjustments (R16) -------------------------------------------


def _adjustment(state: PartyState, adjustment_id: str) -> AdjustmentEntry:
    entry = state.adjustment(adjustment_id)
    if entry is None:
        raise PolicyRefusal("R16", f"party {state.party.party_id} has no adjustment request {adjustment_id}")
    return entry


def check_adjustment_request(state: PartyState, request: AdjustmentRequest, now: datetime) -> None:
    not_in_future(request.requested_at, now, "requested_at")


def apply_adjustment_request(state: PartyState, request: AdjustmentRequest, now: datetime) -> list[Effect]:
    if state.adjustment(request.adjustment_id) is not None:
        return []
    entry = AdjustmentEntry(
        adjustment_id=request.adjustment_id,
        description=request.description,
        requested_at=request.requested_at,
        recorded_by=request.recorded_by,
        letter_format=request.letter_format,
    )
    state.adjustments.append(entry)
    state.last_activity_at = now
    return [AdjustmentSaved(party_id=state.party.party_id, adjustment=entry)]


def check_advice_request(state: PartyState, request: AdviceRequest, now: datetime) -> None:
    entry = _adjustment(state, request.adjustment_id)
    if entry.advice_task_id is None and entry.status != AdjustmentStatus.REQUESTED:
        raise PolicyRefusal("R16", f"adjustment {entry.adjustment_id} is already {entry.status.value}")


def apply_advice_request(state: PartyState, request: AdviceRequest, now: datetime) -> list[Effect]:
    """R16: open a specialist-advice task for the adjustment (once)."""
    entry = _adjustment(state, request.adjustment_id)
    if entry.advice_task_id is not None:
        return []
    entry.advice_task_id = f"advice-{entry.adjustment_id}"
    return [
        AdjustmentSaved(party_id=state.party.party_id, adjustment=entry),
        *open_task(
            state,
            TaskKind.ADJUSTMENT_ADVICE,
            entry.advice_task_id,
            entry.adjustment_id,
            now,
            f"R16: specialist advice on requested adjustment {entry.adjustment_id}",
            [request.requested_by],
        ),
    ]


def _same_decision(entry: AdjustmentEntry, d: AdjustmentDecision) -> bool:
    wanted = AdjustmentStatus.AGREED if d.agree else AdjustmentStatus.DECLINED
    return entry.status == wanted and entry.decided_by == d.decided_by and entry.decided_at == d.decided_at


def check_adjustment_decision(state: PartyState, d: AdjustmentDecision, now: datetime) -> None:
    entry = _adjustment(state, d.adjustment_id)
    if _same_decision(entry, d):
        return
    if entry.status != AdjustmentStatus.REQUESTED:
        raise PolicyRefusal(
            "R16", f"adjustment {entry.adjustment_id} was already {entry.status.value} by {entry.decided_by}"
        )
    not_in_future(d.decided_at, now, "decided_at")
    if d.agree:
        return
    advice = state.task(entry.advice_task_id) if entry.advice_task_id else None
    if advice is None:
        raise PolicyRefusal(
            "R16",
            f"specialist advice is needed before declining adjustment {entry.adjustment_id}; ask for it first",
        )
    if advice.status != TaskStatus.DONE:
        raise PolicyRefusal(
            "R16", f"the specialist advice task {advice.task_id} is still open; decline only after the advice"
        )


def apply_adjustment_decision(state: PartyState, d: AdjustmentDecision, now: datetime) -> list[Effect]:
    entry = _adjustment(state, d.adjustment_id)
    if _same_decision(entry, d):
        return []
    entry.status = AdjustmentStatus.AGREED if d.agree else AdjustmentStatus.DECLINED
    entry.decided_by = d.decided_by
    entry.decided_at = d.decided_at
    entry.reason = d.reason
    state.last_activity_at = now
    return [AdjustmentSaved(party_id=state.party.party_id, adjustment=entry)]
