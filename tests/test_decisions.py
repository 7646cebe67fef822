"""Decisions on human tasks, as pure rules (R15, R18)."""

import pytest

from policy import decisions, rules
from policy.messages import TaskDecision
from policy.refusals import PolicyRefusal
from policy.vocabulary import Category, Role, SupportOption, TaskOutcome
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
