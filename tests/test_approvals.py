"""Approvals and human tasks on the time-skipping server (R7, R9, R15, R16, R18)."""

import asyncio
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from dateutil.relativedelta import relativedelta
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from client.parties import PartyClient
from policy.dates import written_date
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    PartyRef,
    TaskDecision,
)
from policy.rules import REVIEW_LEAD
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    Measure,
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
    LONDON,
    incident,
    new_party,
    restriction,
    wait_for_status,
    warned_party,
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


# --- a task's subject changes under it: withdrawn, never left open (R11, R12) ---------


def notice_kinds(store, party: PartyRef, task_id: str) -> set[str]:
    return {n.kind for n in store.notices(party_id=party.party_id) if n.task_id == task_id}


def open_reviews(status) -> list:
    return [t for t in status.open_tasks if t.kind == TaskKind.RESTRICTION_REVIEW]


def is_planned(status, task_id: str) -> bool:
    return any(t.task_id == task_id and t.planned for t in status.open_tasks)


async def on_file(check, timeout: float = 20.0) -> None:
    """Poll the records database: after a timer, the status may answer before the write lands."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the records database never showed it")
        await asyncio.sleep(0.1)


async def caught_up(env, parties: PartyClient, party: PartyRef) -> None:
    """The workflow has acted on everything due by now (its timers fire asynchronously)."""
    now = await env.get_current_time()
    await wait_for_status(parties, party.party_id, lambda s: s.next_deadline is None or s.next_deadline > now)


async def review_opened(env, parties: PartyClient, store, party: PartyRef, restriction_id: str, ends_at: datetime):
    """Sleep into the review period before `ends_at`; return the review once planned and on file."""
    await env.sleep(ends_at - REVIEW_LEAD - await env.get_current_time() + timedelta(hours=1))
    status = await wait_for_status(
        parties,
        party.party_id,
        lambda s: any(t.subject_id == restriction_id and t.planned for t in open_reviews(s)),
    )
    [review] = open_reviews(status)
    assert f"before it ends on {written_date(ends_at)}:" in review.summary
    await on_file(lambda: store.task(review.task_id) is not None and store.task(review.task_id).due_at is not None)
    return review


async def restricted_and_under_review(env, parties: PartyClient, store, party: PartyRef):
    """A restriction in force, at its review; returns (restriction, review, repeat incident id)."""
    repeat_id, now = await warned_party(env, parties, party)
    applied = await parties.apply_restriction(restriction(party, [repeat_id], now))
    r1 = applied.restriction
    assert r1 is not None and r1.ends_at is not None
    review = await review_opened(env, parties, store, party, r1.restriction_id, r1.ends_at)
    return r1, review, repeat_id


async def test_a_repeat_in_the_review_period_withdraws_the_review_and_plans_one_before_the_new_end(
    time_skipping_env, parties, staff
):
    """R12: the repeat moves the end six months on; the review of the old end is withdrawn
    (reason and incident on file) and never escalates; a review opens before the new end."""
    env = time_skipping_env
    party = new_party()
    r1, review, _ = await restricted_and_under_review(env, parties, staff, party)
    repeat = incident(party, await env.get_current_time())
    outcome = await parties.report_incident(repeat)
    new_end = outcome.restrictions_extended[r1.restriction_id]
    assert new_end > r1.ends_at + timedelta(days=150)

    assert open_reviews(await parties.status(party.party_id)) == []
    row = staff.task(review.task_id)
    assert row.status == TaskStatus.CANCELLED
    assert row.cancelled_by_incident_id == repeat.incident_id
    assert row.cancellation_reason == (
        f"R12: incident {repeat.incident_id} moved the end of restriction {r1.restriction_id} "
        f"from {written_date(r1.ends_at)} to {written_date(new_end)}; it is reviewed again before the new end"
    )
    assert review.task_id not in [t.task_id for t in staff.open_tasks()]

    # Past the withdrawn review's due and escalation dates, into the new end's review period.
    again = await review_opened(env, parties, staff, party, r1.restriction_id, new_end)
    assert again.task_id == f"review-{r1.restriction_id}-2"
    assert again.due_at < new_end
    assert [t.task_id for t in staff.open_tasks(kind=TaskKind.RESTRICTION_REVIEW)] == [again.task_id]
    assert notice_kinds(staff, party, review.task_id) == {"task_opened", "withdrawn"}


async def test_repeated_moves_of_the_end_leave_exactly_one_open_review(time_skipping_env, parties, staff):
    """R12: each repeat in a review period withdraws that review; one review is open at the end."""
    env = time_skipping_env
    party = new_party()
    r1, review, _ = await restricted_and_under_review(env, parties, staff, party)
    withdrawn = []
    for _ in range(3):
        outcome = await parties.report_incident(incident(party, await env.get_current_time()))
        withdrawn.append(review.task_id)
        assert open_reviews(await parties.status(party.party_id)) == []
        new_end = outcome.restrictions_extended[r1.restriction_id]
        review = await review_opened(env, parties, staff, party, r1.restriction_id, new_end)
    status = await parties.status(party.party_id)
    assert [t.task_id for t in open_reviews(status)] == [review.task_id] == [f"review-{r1.restriction_id}-4"]
    assert [(t.task_id, t.status) for t in staff.tasks(party_id=party.party_id) if t.kind == "restriction_review"] == [
        *[(task_id, TaskStatus.CANCELLED) for task_id in withdrawn],
        (review.task_id, TaskStatus.OPEN),
    ]
    for task_id in withdrawn:
        assert notice_kinds(staff, party, task_id) == {"task_opened", "withdrawn"}


async def test_a_superseded_restriction_leaves_no_open_review_or_approval(time_skipping_env, parties, staff):
    """R11, R9: a milder step-up replaces the restriction at once: its review, and a severe
    step-up still awaiting approval for it, are withdrawn and never escalate."""
    env = time_skipping_env
    party = new_party()
    r1, review, repeat_id = await restricted_and_under_review(env, parties, staff, party)
    now = await env.get_current_time()
    severe = restriction(party, [repeat_id], now, [Measure.BLOCK_ALL_CONTACT]).model_copy(
        update={"replaces_restriction_id": r1.restriction_id}
    )
    assert (await parties.apply_restriction(severe)).restriction.status == RestrictionStatus.AWAITING_APPROVAL
    approval_id = f"approve-{severe.restriction_id}"
    await wait_for_status(parties, party.party_id, lambda s: is_planned(s, approval_id))

    milder = restriction(party, [repeat_id], now, [Measure.SINGLE_CONTACT_CHANNEL]).model_copy(
        update={"replaces_restriction_id": r1.restriction_id}
    )
    stepped = await parties.apply_restriction(milder)
    assert stepped.restriction.status == RestrictionStatus.IN_FORCE
    status = await parties.status(party.party_id)
    assert {r.restriction_id: r.status for r in status.restrictions} == {
        r1.restriction_id: RestrictionStatus.SUPERSEDED,
        severe.restriction_id: RestrictionStatus.WITHDRAWN,
        milder.restriction_id: RestrictionStatus.IN_FORCE,
    }
    stale = {r1.restriction_id, severe.restriction_id}
    assert [t.task_id for t in status.open_tasks if t.subject_id in stale] == []
    assert staff.task(review.task_id).cancellation_reason.startswith(
        f"R11: restriction {r1.restriction_id} was replaced by restriction {milder.restriction_id} on "
    )
    assert staff.task(approval_id).cancellation_reason.startswith(f"R11: restriction {r1.restriction_id} was replaced")

    await env.sleep(timedelta(days=30))  # past both withdrawn tasks' escalation dates
    await caught_up(env, parties, party)
    for task_id in (review.task_id, approval_id):
        assert notice_kinds(staff, party, task_id) == {"task_opened", "withdrawn"}
    # The new restriction is reviewed on its own (it took over the old end, R11).
    assert staff.task(f"review-{milder.restriction_id}") is not None


async def test_a_restriction_lifted_early_leaves_no_open_review_or_approval(time_skipping_env, parties, staff):
    """R11: the review lifts the restriction early; a stronger one awaiting approval to replace
    it is withdrawn with its approval, which never escalates."""
    env = time_skipping_env
    party = new_party()
    r1, review, repeat_id = await restricted_and_under_review(env, parties, staff, party)
    now = await env.get_current_time()
    severe = restriction(party, [repeat_id], now, [Measure.BLOCK_ALL_CONTACT]).model_copy(
        update={"replaces_restriction_id": r1.restriction_id}
    )
    await parties.apply_restriction(severe)
    approval_id = f"approve-{severe.restriction_id}"
    await wait_for_status(parties, party.party_id, lambda s: is_planned(s, approval_id))

    await parties.decide_task(
        decision(party, review.task_id, "manager-1", Role.MANAGER, TaskOutcome.LIFT_EARLY, now, reason="Civil now.")
    )
    status = await parties.status(party.party_id)
    lifted, _ = status.restrictions
    assert [r.status for r in status.restrictions] == [RestrictionStatus.EXPIRED, RestrictionStatus.WITHDRAWN]
    assert [t.task_id for t in status.open_tasks if t.subject_id in (r1.restriction_id, severe.restriction_id)] == []
    assert staff.task(approval_id).cancellation_reason == (
        f"R11: restriction {r1.restriction_id} ended on {written_date(lifted.ended_at)}, "
        f"so restriction {severe.restriction_id} has nothing left to replace"
    )
    message = await refusal(
        parties.decide_task(decision(party, approval_id, "exec-1", Role.EXECUTIVE_TEAM, TaskOutcome.APPROVE, now))
    )
    assert message.startswith(f"tasks: task {approval_id} was withdrawn: R11:")

    await env.sleep(timedelta(days=30))  # past the withdrawn approval's escalation date
    await caught_up(env, parties, party)
    assert notice_kinds(staff, party, approval_id) == {"task_opened", "withdrawn"}


async def test_an_approval_nobody_decides_lapses_with_its_restriction(time_skipping_env, parties, staff):
    """R7, R12: six months after its last instance an undecided restriction would end before
    it started: it is withdrawn with its approval, after which no notice follows."""
    env = time_skipping_env
    party = new_party(PartyKind.ORGANISATION)
    repeat_id, now = await warned_party(env, parties, party)
    proposed = await parties.apply_restriction(restriction(party, [repeat_id], now))
    approval_id = f"approve-{proposed.restriction.restriction_id}"
    last_instance = now - timedelta(days=1)  # the repeat (warned_party)
    lapses = last_instance.astimezone(LONDON) + relativedelta(months=6)
    await env.sleep(lapses - now + timedelta(hours=1))
    status = await wait_for_status(
        parties, party.party_id, lambda s: s.restrictions[0].status == RestrictionStatus.WITHDRAWN
    )
    assert approval_id not in [t.task_id for t in status.open_tasks]
    await on_file(lambda: staff.task(approval_id).status == TaskStatus.CANCELLED)
    row = staff.task(approval_id)
    assert row.status == TaskStatus.CANCELLED and row.cancellation_reason.startswith(
        f"R12: restriction {proposed.restriction.restriction_id} was not decided by {written_date(lapses)}"
    )
    kinds = notice_kinds(staff, party, approval_id)
    assert kinds == {"task_opened", "reminder", "escalated", "overdue", "withdrawn"}  # all before it lapsed
    withdrawn_at = max(n.at for n in staff.notices(party_id=party.party_id) if n.task_id == approval_id)
    assert withdrawn_at == row.cancelled_at
