"""Decisions on human tasks, as pure rules (R15, R15a, R18)."""

import pytest

from policy import decisions, rules, tasks
from policy.messages import TaskDecision
from policy.refusals import PolicyRefusal
from policy.vocabulary import (
    Category,
    PartyKind,
    RestrictionStatus,
    Role,
    Stage,
    SupportOption,
    TaskOutcome,
    TaskStatus,
)
from tests.policy_builders import PARTY_ID, incident, new_state, party_ref, utc

NOW = utc(2026, 3, 2, 10, 0)


def _decide(task_id: str, outcome: TaskOutcome, **extra) -> TaskDecision:
    return TaskDecision(
        decision_id="d-1",
        party_id=PARTY_ID,
        task_id=task_id,
        decided_by="manager-1",
        role=Role.MANAGER,
        outcome=outcome,
        decided_at=NOW,
        **extra,
    )


def test_a_decision_id_is_not_reused_on_another_task():
    """R15, R18: one decision id, one task; reusing it elsewhere is refused, not dropped."""
    state = new_state()
    rules.apply_incident(state, incident("z1", NOW, Category.ZERO_TOLERANCE), NOW)
    support = _decide("support-z1", TaskOutcome.SUPPORT_RECORDED, support_offered=[SupportOption.NONE_WANTED])
    decisions.check_decision(state, support, NOW)
    decisions.apply_decision(state, support, NOW)

    review = _decide("zt-review-z1", TaskOutcome.CONFIRM_STOP, police_referral=False)
    with pytest.raises(PolicyRefusal, match="decision id d-1 was already used on task support-z1"):
        decisions.check_decision(state, review, NOW)
    decisions.check_decision(state, support, NOW)  # the same decision again is a duplicate, not an error


def test_r15a_r7_approvers_decide_an_organisations_zero_tolerance_review():
    """R15a, R7: not a manager; the Ombudsman or the Executive Team, and R7's
    alternates once the review has escalated. Lifting the stop ends it now."""
    state = new_state(party_ref(kind=PartyKind.ORGANISATION))
    rules.apply_incident(state, incident("z1", NOW, Category.ZERO_TOLERANCE, party=state.party), NOW)
    review = state.task("zt-review-z1")
    assert review is not None
    by_manager = _decide(review.task_id, TaskOutcome.CONFIRM_STOP, police_referral=True)
    with pytest.raises(PolicyRefusal) as refused:
        decisions.check_decision(state, by_manager, NOW)
    assert refused.value.rule == "R7"
    assert str(refused.value) == (
        "R7: a manager may not decide zero_tolerance_review task zt-review-z1; it needs one of: "
        "ombudsman, executive_team; after escalation also assistant_deputy_ombudsman, head_of_ombudsman_assurance"
    )
    by_ado = by_manager.model_copy(update={"decided_by": "ado-1", "role": Role.ASSISTANT_DEPUTY_OMBUDSMAN})
    with pytest.raises(PolicyRefusal) as refused:
        decisions.check_decision(state, by_ado, NOW)
    assert refused.value.rule == "R7"

    tasks.escalate(state, review, NOW, "not decided by its due date")
    decisions.check_decision(state, by_ado, NOW)  # an alternate may decide now
    by_exec = _decide(review.task_id, TaskOutcome.LIFT_STOP, police_referral=False, reason="Apology and undertaking.")
    by_exec = by_exec.model_copy(update={"decided_by": "exec-1", "role": Role.EXECUTIVE_TEAM})
    decisions.check_decision(state, by_exec, NOW)
    decisions.apply_decision(state, by_exec, NOW)
    assert review.status == TaskStatus.DONE
    assert state.restriction("zt-z1").status == RestrictionStatus.EXPIRED
    assert state.stage == Stage.RECURRENCE_WINDOW


def test_r15a_a_manager_decides_an_individuals_zero_tolerance_review():
    """R15, R15a: for an individual, the review stays a manager's."""
    state = new_state()
    rules.apply_incident(state, incident("z1", NOW, Category.ZERO_TOLERANCE), NOW)
    by_manager = _decide("zt-review-z1", TaskOutcome.CONFIRM_STOP, police_referral=True)
    by_exec = by_manager.model_copy(update={"decided_by": "exec-1", "role": Role.EXECUTIVE_TEAM})
    with pytest.raises(PolicyRefusal) as refused:
        decisions.check_decision(state, by_exec, NOW)
    assert refused.value.rule == "tasks"
    decisions.check_decision(state, by_manager, NOW)


def test_r15_lifting_the_stop_withdraws_the_review_of_its_end():
    """R15: a stop lifted by the manager's zero-tolerance review leaves no review of its end open."""
    state = new_state()
    rules.apply_incident(state, incident("z1", NOW, Category.ZERO_TOLERANCE), NOW)
    end = state.restriction("zt-z1").ends_at
    assert end is not None
    review_opens = end - rules.REVIEW_LEAD
    rules.advance_time(state, review_opens)
    review = state.task("review-zt-z1")
    assert review.status == TaskStatus.OPEN
    lift = _decide("zt-review-z1", TaskOutcome.LIFT_STOP, reason="The threat was withdrawn.", police_referral=False)
    decisions.check_decision(state, lift, review_opens)
    decisions.apply_decision(state, lift, review_opens)
    assert review.status == TaskStatus.CANCELLED and review.cancelled_at == review_opens
    assert review.cancellation_reason == (
        "restriction zt-z1 was lifted early on 19 August 2026 (zt-review-z1): there is nothing left to review"
    )
    assert all(t.status != TaskStatus.OPEN for t in state.tasks if t.subject_id == "zt-z1")
