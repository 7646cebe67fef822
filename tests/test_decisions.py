"""Decisions on human tasks, as pure rules (R15, R18)."""

import pytest

from policy import decisions, rules
from policy.messages import TaskDecision
from policy.state import PolicyRefusal
from policy.vocabulary import Category, Role, SupportOption, TaskOutcome, TaskStatus
from tests.policy_builders import PARTY_ID, incident, new_state, utc

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


def test_r15_lifting_the_stop_withdraws_the_review_of_its_end():
    """R15: a stop lifted by the manager's zero-tolerance review leaves no review of its end open."""
    state = new_state()
    rules.apply_incident(state, incident("z1", NOW, Category.ZERO_TOLERANCE), NOW)
    review_opens = state.restriction("zt-z1").ends_at - rules.REVIEW_LEAD
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
