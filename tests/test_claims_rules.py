"""policy.claims, pure: who may work a task, and when a claim holds back someone else's decision."""

from datetime import UTC, datetime, timedelta

from policy.claims import Colleague, claim_binds, may_work, why_not_binding
from policy.state import HumanTask
from policy.vocabulary import Role, TaskKind

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)
APPROVAL = HumanTask(
    task_id="approve-r1",
    kind=TaskKind.RESTRICTION_APPROVAL,
    subject_id="r1",
    created_at=T0,
    summary="R7",
    candidate_roles=[Role.OMBUDSMAN, Role.EXECUTIVE_TEAM],
    escalation_roles=[Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE],
    excluded_staff=["exec-3"],
)
EXEC = Colleague("exec-1", ["executive_team"], active=True)


def test_only_someone_who_may_decide_the_task_now_may_work_it() -> None:
    assert may_work(EXEC, APPROVAL)
    assert not may_work(Colleague("exec-1", ["executive_team"], active=False), APPROVAL)  # left
    assert not may_work(Colleague("exec-3", ["executive_team"], active=True), APPROVAL)  # four eyes
    assert not may_work(Colleague("ado-1", ["assistant_deputy_ombudsman"], active=True), APPROVAL)
    escalated = APPROVAL.model_copy(update={"escalated_at": T0 + timedelta(days=5)})
    assert may_work(Colleague("ado-1", ["assistant_deputy_ombudsman"], active=True), escalated)
    # A role the permission table does not let decide this kind of task never counts.
    assert not may_work(Colleague("mgr-1", ["manager", "colleague"], active=True), escalated)


def test_a_claim_binds_until_its_holder_may_no_longer_decide_or_the_task_escalates_after_it() -> None:
    at = T0 + timedelta(hours=1)
    assert claim_binds(APPROVAL, EXEC, at) and why_not_binding(APPROVAL, EXEC, at) is None
    assert not claim_binds(APPROVAL, None, None) and why_not_binding(APPROVAL, None, None) is None
    demoted = Colleague("exec-1", ["manager"], active=True)
    assert why_not_binding(APPROVAL, demoted, at) == "exec-1 may no longer decide this task"
    gone = Colleague("exec-1", ["executive_team"], active=False)
    assert why_not_binding(APPROVAL, gone, at) == "exec-1 is no longer an active member of staff"
    recused = APPROVAL.model_copy(update={"excluded_staff": ["exec-3", "exec-1"]})
    assert not claim_binds(recused, EXEC, at)
    later = APPROVAL.model_copy(update={"escalated_at": at + timedelta(days=4)})
    assert not claim_binds(later, EXEC, at) and "escalated after it was claimed" in str(
        why_not_binding(later, EXEC, at)
    )
    # Claimed once it had escalated: it binds.
    assert claim_binds(later, EXEC, at + timedelta(days=5))
