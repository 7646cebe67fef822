"""Approvals and human tasks on the time-skipping server (R7, R9, R15, R16, R18)."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from client.parties import PartyClient
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    PartyRef,
    TaskDecision,
)
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    PartyKind,
    RestrictionStatus,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from tests.helpers import (
    ask,
    incident,
    new_party,
    restriction,
    wait_for_status,
    warning,
)

STAFF = {
    "exec-1": [Role.EXECUTIVE_TEAM],
    "exec-2": [Role.EXECUTIVE_TEAM],
    "ado-1": [Role.ASSISTANT_DEPUTY_OMBUDSMAN],
    "manager-1": [Role.MANAGER],
    "adviser-1": [Role.SPECIALIST_ADVISER],
}


@pytest.fixture
def staff(store):
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id.replace("-", " ").title(), roles)
    return store


def decision(party: PartyRef, task_id: str, by: str, role: Role, outcome: TaskOutcome, at: datetime, **extra):
    return TaskDecision(
        decision_id=f"dec-{uuid.uuid4().hex[:10]}",
        party_id=party.party_id,
        task_id=task_id,
        decided_by=by,
        role=role,
        outcome=outcome,
        decided_at=at,
        **extra,
    )


def all_planned(status) -> bool:
    """Every open task has its working-day dates (planned by an activity)."""
    return bool(status.open_tasks) and all(t.planned for t in status.open_tasks)


async def refusal(call) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await call
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.type == "PolicyRefusal"
    return cause.message


async def warned_party(env, parties: PartyClient, party: PartyRef) -> tuple[str, datetime]:
    """A party with a live warning and a repeat during it; returns (repeat incident id, now)."""
    now = await env.get_current_time()
    first = incident(party, now - timedelta(days=3))
    await parties.report_incident(first)
    await parties.record_ask(ask(party, [first.incident_id], now - timedelta(days=3)))
    second = incident(party, now - timedelta(days=2))
    await parties.report_incident(second)
    await parties.issue_warning(warning(party, [second.incident_id], now - timedelta(days=2)))
    repeat = incident(party, now - timedelta(days=1))
    await parties.report_incident(repeat)
    return repeat.incident_id, now


async def test_organisation_restriction_waits_for_executive_approval(time_skipping_env, parties, staff):
    """R7: an organisation's restriction starts only when the Executive Team approves;
    the proposer may not approve it."""
    party = new_party(PartyKind.ORGANISATION)
    repeat_id, now = await warned_party(time_skipping_env, parties, party)
    request = restriction(party, [repeat_id], now).model_copy(update={"proposed_by": "exec-1"})
    proposed = await parties.apply_restriction(request)
    assert proposed.restriction.status == RestrictionStatus.AWAITING_APPROVAL
    assert proposed.stage == Stage.WARNED

    status = await wait_for_status(parties, party.party_id, all_planned)
    [approval] = [t for t in status.open_tasks if t.kind == TaskKind.RESTRICTION_APPROVAL]
    assert approval.candidate_roles == [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]
    assert "exec-1" in approval.excluded_staff and approval.eligible_staff == ["exec-2"]

    message = await refusal(
        parties.decide_task(decision(party, approval.task_id, "exec-1", Role.EXECUTIVE_TEAM, TaskOutcome.APPROVE, now))
    )
    assert message.startswith("R7: exec-1 may not decide") and "conflict of interest" in message
    message = await refusal(
        parties.decide_task(decision(party, approval.task_id, "manager-1", Role.MANAGER, TaskOutcome.APPROVE, now))
    )
    assert "a manager may not decide restriction_approval" in message

    await time_skipping_env.sleep(timedelta(days=1))
    approved_at = await time_skipping_env.get_current_time()
    reply = await parties.decide_task(
        decision(party, approval.task_id, "exec-2", Role.EXECUTIVE_TEAM, TaskOutcome.APPROVE, approved_at)
    )
    assert reply.task.status == TaskStatus.DONE and reply.stage == Stage.RESTRICTED
    [in_force] = (await parties.status(party.party_id)).restrictions
    assert in_force.status == RestrictionStatus.IN_FORCE
    assert in_force.starts_at >= approved_at
    [stored] = staff.decisions(task_id=approval.task_id)
    assert (stored.decided_by, stored.role, stored.outcome) == ("exec-2", Role.EXECUTIVE_TEAM, TaskOutcome.APPROVE)


async def test_undecided_approval_escalates_to_the_alternates(time_skipping_env, parties, staff):
    """R7: nobody decides by the due date: an Assistant Deputy Ombudsman may then decide."""
    party = new_party(professional_capacity=True)
    repeat_id, now = await warned_party(time_skipping_env, parties, party)
    await parties.apply_restriction(restriction(party, [repeat_id], now))
    status = await wait_for_status(parties, party.party_id, all_planned)
    [approval] = [t for t in status.open_tasks if t.kind == TaskKind.RESTRICTION_APPROVAL]
    assert approval.escalated_at is None
    message = await refusal(
        parties.decide_task(
            decision(party, approval.task_id, "ado-1", Role.ASSISTANT_DEPUTY_OMBUDSMAN, TaskOutcome.APPROVE, now)
        )
    )
    assert "after escalation also assistant_deputy_ombudsman" in message

    assert approval.due_at is not None
    await time_skipping_env.sleep(approval.due_at - now + timedelta(hours=1))
    status = await wait_for_status(
        parties, party.party_id, lambda s: any(t.escalated_at for t in s.open_tasks if t.task_id == approval.task_id)
    )
    [escalated] = [t for t in status.open_tasks if t.task_id == approval.task_id]
    assert escalated.escalation_reason == "not decided by its due date"
    assert [r.status for r in status.restrictions] == [RestrictionStatus.AWAITING_APPROVAL]  # never auto-approved
    notices = {n.kind for n in staff.notices(party_id=party.party_id) if n.task_id == approval.task_id}
    assert {"task_opened", "reminder", "escalated"} <= notices

    later = await time_skipping_env.get_current_time()
    reply = await parties.decide_task(
        decision(party, approval.task_id, "ado-1", Role.ASSISTANT_DEPUTY_OMBUDSMAN, TaskOutcome.APPROVE, later)
    )
    assert reply.stage == Stage.RESTRICTED


async def test_rejected_approval_leaves_the_warning_stage(time_skipping_env, parties, staff):
    """R9: a severe measure needs approval; a rejection needs a reason and leaves the party warned."""
    party = new_party()
    repeat_id, now = await warned_party(time_skipping_env, parties, party)
    from policy.vocabulary import Measure

    await parties.apply_restriction(restriction(party, [repeat_id], now, [Measure.BLOCK_ALL_CONTACT]))
    status = await wait_for_status(parties, party.party_id, all_planned)
    [approval] = [t for t in status.open_tasks if t.kind == TaskKind.RESTRICTION_APPROVAL]
    message = await refusal(
        parties.decide_task(decision(party, approval.task_id, "exec-1", Role.EXECUTIVE_TEAM, TaskOutcome.REJECT, now))
    )
    assert message == "R10: a reason is required to reject"
    reply = await parties.decide_task(
        decision(
            party,
            approval.task_id,
            "exec-1",
            Role.EXECUTIVE_TEAM,
            TaskOutcome.REJECT,
            now,
            reason="Blocking all contact is not proportionate yet.",
        )
    )
    assert reply.stage == Stage.WARNED
    status = await parties.status(party.party_id)
    assert [r.status for r in status.restrictions] == [RestrictionStatus.REJECTED]
    assert status.stage == Stage.WARNED


async def test_declining_an_adjustment_needs_specialist_advice_first(time_skipping_env, parties, staff):
    """R16: declining is refused until the specialist-advice task is done."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    await parties.report_incident(incident(party, now - timedelta(hours=1)))
    await parties.request_adjustment(
        AdjustmentRequest(
            adjustment_id="adj-1",
            party_id=party.party_id,
            description="All contact by email only, no phone calls",
            requested_at=now,
            recorded_by="colleague-2",
        )
    )

    def decline(at: datetime) -> AdjustmentDecision:
        return AdjustmentDecision(
            adjustment_id="adj-1",
            party_id=party.party_id,
            agree=False,
            decided_by="manager-1",
            reason="We cannot answer the volume of email this would create.",
            decided_at=at,
        )

    message = await refusal(parties.decide_adjustment(decline(now)))
    assert message.startswith("R16: specialist advice is needed before declining adjustment adj-1")
    await parties.seek_advice(AdviceRequest(adjustment_id="adj-1", party_id=party.party_id, requested_by="manager-1"))
    message = await refusal(parties.decide_adjustment(decline(now)))
    assert "advice task advice-adj-1 is still open" in message

    advice = decision(
        party,
        "advice-adj-1",
        "adviser-1",
        Role.SPECIALIST_ADVISER,
        TaskOutcome.ADVICE_GIVEN,
        now,
        reason="A weekly summary call would meet the need.",
    )
    await parties.decide_task(advice)
    status = await parties.decide_adjustment(decline(now))
    [adjustment] = status.adjustments
    assert adjustment.status == AdjustmentStatus.DECLINED and adjustment.decided_by == "manager-1"
    assert [d.outcome for d in staff.decisions(party_id=party.party_id)] == [TaskOutcome.ADVICE_GIVEN]


async def test_a_decision_sent_twice_is_recorded_once(time_skipping_env, parties, staff):
    """R18: the colleague-support follow-up, retried by the client, is recorded once."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    report = incident(party, now - timedelta(hours=1))
    await parties.report_incident(report)
    support_task = f"support-{report.incident_id}"
    support = decision(
        party,
        support_task,
        "manager-1",
        Role.MANAGER,
        TaskOutcome.SUPPORT_RECORDED,
        now,
        support_offered=[SupportOption.EMPLOYEE_ASSISTANCE_PROGRAMME, SupportOption.NO_FURTHER_CONTACT],
    )
    first = await parties.decide_task(support)
    again = await parties.decide_task(support)
    assert not first.duplicate and again.duplicate
    assert len(staff.decisions(task_id=support_task)) == 1
    other = support.model_copy(update={"decision_id": "dec-other"})
    message = await refusal(parties.decide_task(other))
    assert message.startswith(f"tasks: task {support_task} is already done: support_recorded by manager-1")


async def test_zero_tolerance_review_records_the_police_referral(time_skipping_env, parties, staff):
    """R15: the manager's review records the police-referral decision; the reporter may not review."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    threat = incident(party, now - timedelta(hours=2)).model_copy(
        update={"category": "zero_tolerance", "behaviour_code": "threat_of_harm", "reported_by": "manager-1"}
    )
    await parties.report_incident(threat)
    task_id = f"zt-review-{threat.incident_id}"
    message = await refusal(
        parties.decide_task(
            decision(party, task_id, "manager-1", Role.MANAGER, TaskOutcome.CONFIRM_STOP, now, police_referral=True)
        )
    )
    assert "manager-1 may not decide" in message  # they reported it: four eyes
    staff.add_staff("manager-2", "Manager Two", [Role.MANAGER])
    message = await refusal(
        parties.decide_task(decision(party, task_id, "manager-2", Role.MANAGER, TaskOutcome.CONFIRM_STOP, now))
    )
    assert message == "R15: record the police-referral decision (police_referral true or false)"
    reply = await parties.decide_task(
        decision(party, task_id, "manager-2", Role.MANAGER, TaskOutcome.CONFIRM_STOP, now, police_referral=True)
    )
    assert reply.stage == Stage.ZERO_TOLERANCE
    [stored] = staff.decisions(task_id=task_id)
    assert stored.outcome == TaskOutcome.CONFIRM_STOP and stored.data["police_referral"] is True


async def test_review_before_a_restriction_ends_can_lift_it_early(time_skipping_env, parties, staff):
    """R12, R13: a review opens 14 days before the end; lifting early ends it now, on record."""
    party = new_party()
    repeat_id, now = await warned_party(time_skipping_env, parties, party)
    applied = await parties.apply_restriction(restriction(party, [repeat_id], now))
    ends_at = applied.restriction.ends_at
    await time_skipping_env.sleep(ends_at - timedelta(days=14) - now + timedelta(hours=1))
    review_id = f"review-{applied.restriction.restriction_id}"
    status = await wait_for_status(
        parties, party.party_id, lambda s: any(t.task_id == review_id and t.planned for t in s.open_tasks)
    )
    [review] = [t for t in status.open_tasks if t.task_id == review_id]
    assert review.excluded_staff == ["colleague-3"]  # the proposer
    at = await time_skipping_env.get_current_time()
    reply = await parties.decide_task(
        decision(
            party, review_id, "manager-1", Role.MANAGER, TaskOutcome.LIFT_EARLY, at, reason="Contact is now civil."
        )
    )
    assert reply.stage == Stage.WARNED  # the warning communicated a day earlier is still live
    [lifted] = (await parties.status(party.party_id)).restrictions
    assert lifted.status == RestrictionStatus.EXPIRED and lifted.ended_at < ends_at


async def test_r15a_organisations_zero_tolerance_stop_is_reviewed_by_the_executive_team(
    time_skipping_env, parties, staff
):
    """R15a: an organisation's stop takes effect at once; its review is for the
    Ombudsman or the Executive Team, not a manager."""
    party = new_party(PartyKind.ORGANISATION)
    now = await time_skipping_env.get_current_time()
    threat = incident(party, now - timedelta(hours=2), Category.ZERO_TOLERANCE)
    outcome = await parties.report_incident(threat)
    assert outcome.stage == Stage.ZERO_TOLERANCE
    status = await wait_for_status(parties, party.party_id, all_planned)
    [stop] = status.restrictions
    assert stop.status == RestrictionStatus.IN_FORCE and stop.needs_approval_because == []  # no wait for R7
    [review] = [t for t in status.open_tasks if t.kind == TaskKind.ZERO_TOLERANCE_REVIEW]
    assert review.candidate_roles == [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]
    assert review.escalation_roles == [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE]
    assert review.eligible_staff == ["exec-1", "exec-2"]
    assert review.summary.startswith("R15a: review by the Ombudsman or the Executive Team")

    confirm = dict(outcome=TaskOutcome.CONFIRM_STOP, at=now, police_referral=True)
    message = await refusal(parties.decide_task(decision(party, review.task_id, "manager-1", Role.MANAGER, **confirm)))
    assert message.startswith("R7: a manager may not decide zero_tolerance_review")
    reply = await parties.decide_task(decision(party, review.task_id, "exec-2", Role.EXECUTIVE_TEAM, **confirm))
    assert reply.task.status == TaskStatus.DONE and reply.stage == Stage.ZERO_TOLERANCE
    [stored] = staff.decisions(task_id=review.task_id)
    assert (stored.decided_by, stored.role, stored.data["police_referral"]) == ("exec-2", Role.EXECUTIVE_TEAM, True)
    notices = staff.notices(party_id=party.party_id)
    assert [n.roles for n in notices if n.task_id == review.task_id and n.kind == "task_opened"] == [
        ["ombudsman", "executive_team"]
    ]


async def test_r15a_professionals_undecided_zero_tolerance_review_escalates_to_r7_alternates(
    time_skipping_env, parties, staff
):
    """R15a, R7: undecided by its due date, a professional's review goes to the
    alternates too; an Assistant Deputy Ombudsman may then lift the stop."""
    party = new_party(professional_capacity=True)
    now = await time_skipping_env.get_current_time()
    await parties.report_incident(incident(party, now - timedelta(hours=2), Category.ZERO_TOLERANCE))
    status = await wait_for_status(parties, party.party_id, all_planned)
    [review] = [t for t in status.open_tasks if t.kind == TaskKind.ZERO_TOLERANCE_REVIEW]
    lift: dict[str, Any] = {"reason": "The threat was withdrawn in writing.", "police_referral": False}
    ado = (party, review.task_id, "ado-1", Role.ASSISTANT_DEPUTY_OMBUDSMAN)
    message = await refusal(parties.decide_task(decision(*ado, TaskOutcome.LIFT_STOP, now, **lift)))
    assert "after escalation also assistant_deputy_ombudsman" in message

    await time_skipping_env.sleep(review.due_at - now + timedelta(hours=1))
    await wait_for_status(
        parties, party.party_id, lambda s: any(t.escalated_at for t in s.open_tasks if t.task_id == review.task_id)
    )
    later = await time_skipping_env.get_current_time()
    reply = await parties.decide_task(decision(*ado, TaskOutcome.LIFT_STOP, later, **lift))
    assert reply.stage == Stage.RECURRENCE_WINDOW
    [lifted] = (await parties.status(party.party_id)).restrictions
    assert lifted.status == RestrictionStatus.EXPIRED and lifted.ended_at >= later
