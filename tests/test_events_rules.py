"""The events a write makes (policy.events), from what it changed: pure, no servers."""

from datetime import timedelta

from policy.effects import AdjustmentSaved, Effect, RestrictionSaved, TaskSaved
from policy.events import FREE_TEXT, Before, EventType, event_id, events_of, shown
from policy.state import AdjustmentEntry, DecisionEntry, HumanTask, RestrictionEntry
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    TaskKind,
    TaskOutcome,
    TaskStatus,
)
from tests.policy_builders import utc

P = "p-1"
T0 = utc(2027, 1, 4, 10)


def _restriction(**changes) -> RestrictionEntry:
    entry = RestrictionEntry(
        restriction_id="r-1",
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=["i-1"],
        measures=[Measure.SINGLE_NAMED_CONTACT],
        grounds=RestrictionGrounds.WARNING_IN_PLACE,
        status=RestrictionStatus.AWAITING_APPROVAL,
        proposed_by="colleague-1",
        reasons="Shouting at the caseworker",
        contact_arrangements="Your caseworker, by email",
        decided_at=T0,
        last_instance_at=T0,
    )
    return entry.model_copy(update=changes)


def _types(before: Before, effects: list[Effect]) -> list[EventType]:
    return [c.type for c in events_of(P, before, effects)]


def _saved(r: RestrictionEntry) -> RestrictionSaved:
    return RestrictionSaved(party_id=P, restriction=r)


def test_a_restriction_proposed_approved_moved_and_lifted_says_each_once():
    before = Before()
    proposed = _restriction()
    in_force = _restriction(status=RestrictionStatus.IN_FORCE, starts_at=T0, ends_at=T0 + timedelta(days=180))
    moved = in_force.model_copy(
        update={"ends_at": T0 + timedelta(days=200), "last_instance_at": T0 + timedelta(days=20)}
    )
    lifted = moved.model_copy(
        update={
            "status": RestrictionStatus.EXPIRED,
            "ends_at": T0 + timedelta(days=30),
            "ended_at": T0 + timedelta(days=30),
        }
    )
    assert _types(before, [_saved(proposed)]) == [EventType.RESTRICTION_PROPOSED]
    assert _types(before, [_saved(in_force)]) == [EventType.RESTRICTION_APPROVED, EventType.RESTRICTION_IN_FORCE]
    assert _types(before, [_saved(in_force)]) == []  # the same save again: nothing changed
    [end_moved] = events_of(P, before, [_saved(moved)])
    assert end_moved.type == EventType.RESTRICTION_END_MOVED
    assert end_moved.data["previous_ends_at"] == in_force.ends_at.isoformat().replace("+00:00", "Z")
    assert _types(before, [_saved(lifted)]) == [EventType.RESTRICTION_LIFTED_EARLY]


def test_an_end_reached_a_refusal_a_step_up_and_a_stop_are_told_apart():
    running = _restriction(status=RestrictionStatus.IN_FORCE, starts_at=T0, ends_at=T0 + timedelta(days=180))
    ended = running.model_copy(update={"status": RestrictionStatus.EXPIRED, "ended_at": running.ends_at})
    assert _types(Before(restrictions={"r-1": running}), [_saved(ended)]) == [EventType.RESTRICTION_ENDED]
    refused = _restriction(status=RestrictionStatus.REJECTED)
    assert _types(Before(restrictions={"r-1": _restriction()}), [_saved(refused)]) == [EventType.RESTRICTION_REFUSED]
    stronger = _restriction(
        restriction_id="r-2", status=RestrictionStatus.IN_FORCE, starts_at=T0, replaces_restriction_id="r-1"
    )
    superseded = running.model_copy(update={"status": RestrictionStatus.SUPERSEDED, "ended_at": T0})
    assert _types(Before(restrictions={"r-1": running}), [_saved(stronger), _saved(superseded)]) == [
        EventType.RESTRICTION_IN_FORCE,
        EventType.RESTRICTION_STEPPED_UP,
        EventType.RESTRICTION_ENDED,
    ]
    stop = _restriction(grounds=RestrictionGrounds.ZERO_TOLERANCE, status=RestrictionStatus.IN_FORCE, starts_at=T0)
    assert _types(Before(), [_saved(stop)]) == [EventType.RESTRICTION_IN_FORCE, EventType.ZERO_TOLERANCE_STOP]


def test_a_task_opened_escalated_overdue_and_decided():
    task = HumanTask(
        task_id="t-1", kind=TaskKind.ZERO_TOLERANCE_REVIEW, subject_id="i-1", created_at=T0, summary="Review the stop"
    )
    before = Before()
    assert _types(before, [TaskSaved(party_id=P, task=task)]) == [EventType.TASK_OPENED]
    late = task.model_copy(update={"escalated_at": T0 + timedelta(days=5), "overdue_since": T0 + timedelta(days=5)})
    assert _types(before, [TaskSaved(party_id=P, task=late)]) == [EventType.TASK_ESCALATED, EventType.TASK_OVERDUE]
    decision = DecisionEntry(
        decision_id="d-1",
        task_id="t-1",
        decided_by="manager-1",
        role=Role.MANAGER,
        outcome=TaskOutcome.CONFIRM_STOP,
        reason="Threats went on",
        decided_at=T0 + timedelta(days=6),
    )
    done = late.model_copy(update={"status": TaskStatus.DONE, "decisions": [decision]})
    [decided, reviewed] = events_of(P, before, [TaskSaved(party_id=P, task=done)])
    assert (decided.type, reviewed.type) == (EventType.TASK_DECIDED, EventType.ZERO_TOLERANCE_REVIEWED)
    assert decided.data["outcome"] == "confirm_stop" and decided.data["reason"] == "Threats went on"
    # Free text stays out unless a subscription is allowed it.
    assert "reason" not in shown(decided.data, set()) and shown(decided.data, FREE_TEXT)["reason"]


def test_an_adjustment_says_that_it_was_asked_and_decided_never_what_it_is():
    asked = AdjustmentEntry(
        adjustment_id="adj-1", description="Large print: sight loss", requested_at=T0, recorded_by="c"
    )
    before = Before()
    [requested] = events_of(P, before, [AdjustmentSaved(party_id=P, adjustment=asked)])
    agreed = asked.model_copy(update={"status": AdjustmentStatus.AGREED, "reason": "Agreed: sight loss"})
    [decided] = events_of(P, before, [AdjustmentSaved(party_id=P, adjustment=agreed)])
    assert (requested.type, decided.type) == (EventType.ADJUSTMENT_REQUESTED, EventType.ADJUSTMENT_DECIDED)
    for change in (requested, decided):
        assert "sight loss" not in str(change.data)


def test_an_event_id_is_the_change_s_own():
    assert event_id(P, EventType.RESTRICTION_END_MOVED, "r-1", "2027") == event_id(
        P, EventType.RESTRICTION_END_MOVED, "r-1", "2027"
    )
    ids = {
        event_id(P, EventType.RESTRICTION_END_MOVED, "r-1", "2027"),
        event_id(P, EventType.RESTRICTION_END_MOVED, "r-1", "2028"),
        event_id("p-2", EventType.RESTRICTION_END_MOVED, "r-1", "2027"),
        event_id(P, EventType.RESTRICTION_IN_FORCE, "r-1", "2027"),
    }
    assert len(ids) == 4
