"""The policy's rules as pure functions of (state, message, now), example by example.

Each test names the rule it checks. The timeline is in UTC; the body's time
zone is Europe/London, so summer dates carry an hour's shift in the expected
end dates (docs/policy.md "Dates").
"""

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from policy import decisions, retention, rules
from policy.dates import local_date, six_months_after, written_date
from policy.effects import (
    AskSaved,
    IncidentRecorded,
    NoticeQueued,
    PartySaved,
    StageChanged,
    TaskSaved,
)
from policy.messages import (
    AskRecord,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    WarningIssue,
)
from policy.payloads import ErasureRequest, TaskPlan
from policy.refusals import PolicyRefusal
from policy.tasks import apply_plan
from policy.vocabulary import (
    Advice,
    Category,
    Measure,
    NoticeKind,
    PartyKind,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    Stage,
    TaskKind,
    TaskOutcome,
    TaskStatus,
    WarningStatus,
)
from tests.policy_builders import (
    PARTY_ID,
    Party,
    ask,
    incident,
    party_ref,
    restriction,
    task_decision,
    utc,
    warning,
)

ABUSE = Category.AGGRESSIVE_OR_ABUSIVE
DEMANDS = Category.UNACCEPTABLE_DEMANDS
ZT = Category.ZERO_TOLERANCE
HOUR = timedelta(hours=1)

# The story most tests start from.
T_I1 = utc(2026, 1, 5, 10, 0)  # first abusive call
T_ASK = utc(2026, 1, 5, 11, 0)  # asked to stop
T_I2 = utc(2026, 1, 12, 10, 0)  # abuse again
T_W1 = utc(2026, 1, 12, 15, 0)  # warned; expires 2026-07-12 15:00 BST
W1_EXPIRES = utc(2026, 7, 12, 14, 0)
T_I3 = utc(2026, 2, 2, 9, 30)  # abuse during the warning
T_R1 = utc(2026, 2, 3, 11, 0)  # restricted; ends six months after i3
R1_ENDS = utc(2026, 8, 2, 8, 30)  # 09:30 BST on 2 August
# R5a: i3 came before the restriction, so it held the warning open too.
W1_HELD_OPEN = R1_ENDS
R1_WINDOW_ENDS = utc(2027, 2, 2, 9, 30)  # R13: six months after it ended


def asked_party(party: PartyRef | None = None) -> Party:
    p = Party(party)
    p.incident(incident("i1", T_I1, party=party), T_I1 + HOUR)
    p.ask(ask("a1", ["i1"], T_ASK), T_ASK)
    return p


def warned_party(party: PartyRef | None = None) -> Party:
    p = asked_party(party)
    p.incident(incident("i2", T_I2, party=party), T_I2 + HOUR)
    p.warn(warning("w1", ["i2"], T_W1), T_W1)
    return p


def restricted_party() -> Party:
    p = warned_party()
    p.incident(incident("i3", T_I3), T_I3 + HOUR)
    p.restrict(restriction("r1", ["i3"], T_R1), T_R1)
    return p


# The records these rules write. Tasks and notices (R15-R18, reviews) are
# asserted by kind where a rule here opens one; the rest belong to other tests.
POLICY_EFFECTS = {"party", "incident", "ask", "warning", "restriction", "stage_change"}


def core(effects) -> list:
    return [e for e in effects if e.kind in POLICY_EFFECTS]


def kinds(effects) -> list[str]:
    return [e.kind for e in core(effects)]


def tasks_of(state, kind: TaskKind) -> list:
    return [t for t in state.tasks if t.kind == kind]


def tasks_saved(effects, kind: TaskKind) -> list:
    return [e.task for e in effects if isinstance(e, TaskSaved) and e.task.kind == kind]


def settle_other_tasks(state, keep: TaskKind | None = None) -> None:
    """Managers decide every open task except `keep` (R18 support follow-ups, reviews)."""
    for t in state.tasks:
        if t.status == TaskStatus.OPEN and t.kind != keep:
            t.status = TaskStatus.DONE


# --- R2, R4, R5: ask, then warn ------------------------------------------------


def test_r4_first_incident_advises_ask():
    """R4: the first incident of a kind: ask the person to stop."""
    p = Party()
    outcome, effects = p.incident(incident("i1", T_I1), T_I1 + HOUR)
    assert outcome.advice == [Advice.ASK]
    assert outcome.duplicate is False
    assert outcome.stage == Stage.NONE
    assert outcome.restrictions_extended == {}
    assert kinds(effects) == ["incident"]
    assert isinstance(effects[0], IncidentRecorded)
    assert effects[0].received_at == T_I1 + HOUR
    assert p.state.incidents["i1"].category == ABUSE
    assert p.state.incidents["i1"].occurred_at == T_I1
    assert p.state.incident_count == 1


def test_r4_ask_is_recorded_and_moves_stage_to_asked():
    """R4: an ask is recorded with the categories of its incidents."""
    p = Party()
    p.incident(incident("i1", T_I1), T_I1 + HOUR)
    effects = p.ask(ask("a1", ["i1"], T_ASK), T_ASK)
    assert kinds(effects) == ["ask", "stage_change", "party"]
    effects = core(effects)
    assert isinstance(effects[0], AskSaved)
    assert effects[0].ask.categories == [ABUSE]
    assert effects[1] == StageChanged(
        change_id=f"{PARTY_ID}:1",
        party_id=PARTY_ID,
        from_stage=Stage.NONE,
        to_stage=Stage.ASKED,
        at=T_ASK,
        reason="ask a1",
    )
    assert p.state.stage == Stage.ASKED


def test_r5_repeat_after_ask_advises_warn():
    """R5: the behaviour carries on after the ask: warn."""
    p = asked_party()
    outcome, _ = p.incident(incident("i2", T_I2), T_I2 + HOUR)
    assert outcome.advice == [Advice.WARN]
    assert outcome.stage == Stage.ASKED


def test_r20_different_behaviour_after_ask_advises_ask_again():
    """R20: an ask about abuse does not make unreasonable demands a repeat."""
    p = asked_party()
    outcome, _ = p.incident(incident("d1", T_I2, DEMANDS), T_I2 + HOUR)
    assert outcome.advice == [Advice.ASK]


def test_r5_warning_lasts_six_calendar_months_from_communication():
    """R5: expires_at is six calendar months after communication, local wall clock."""
    p = asked_party()
    p.incident(incident("i2", T_I2), T_I2 + HOUR)
    effects = p.warn(warning("w1", ["i2"], T_W1), T_W1)
    assert kinds(effects) == ["warning", "stage_change", "party"]
    w = p.state.warning("w1")
    assert w.communicated_at == T_W1
    assert w.expires_at == W1_EXPIRES
    assert w.status == WarningStatus.LIVE
    assert w.categories == [ABUSE]
    assert p.state.stage == Stage.WARNED


def test_r5_warning_expires_on_time_and_stays_on_record():
    """R5, R3: advance_time expires the warning at its end; it stays on record as expired."""
    p = warned_party()
    assert kinds(p.advance(W1_EXPIRES - timedelta(seconds=1))) == []
    assert p.state.warning("w1").status == WarningStatus.LIVE

    effects = core(p.advance(W1_EXPIRES))
    assert kinds(effects) == ["warning", "stage_change", "party"]
    assert effects[0].warning.warning_id == "w1"
    assert effects[1].from_stage == Stage.WARNED
    assert effects[1].to_stage == Stage.ASKED
    assert len(p.state.warnings) == 1
    w = p.state.warning("w1")
    assert w.status == WarningStatus.EXPIRED
    assert w.expires_at == W1_EXPIRES
    assert p.state.stage == Stage.ASKED
    # Time passing again changes nothing.
    assert kinds(p.advance(W1_EXPIRES + timedelta(days=400))) == []


def test_r5_warning_for_party_with_no_incident_is_refused():
    """R5, R3: a warning must rest on an incident on record."""
    p = Party()
    with pytest.raises(PolicyRefusal) as refused:
        p.warn(warning("w1", ["i1"], T_W1), T_W1)
    assert refused.value.rule == "R3"
    assert "no incident on record" in str(refused.value)
    assert p.state.warnings == []


def test_r5_warning_citing_unknown_incident_is_refused():
    """R5, R3: every incident a warning cites must be on record."""
    p = asked_party()
    with pytest.raises(PolicyRefusal) as refused:
        p.warn(warning("w1", ["i1", "nope"], T_W1), T_W1)
    assert refused.value.rule == "R3"
    assert "nope" in str(refused.value)


def test_r5_second_warning_while_one_is_live_is_refused():
    """R5: a live warning already covers the behaviour."""
    p = warned_party()
    p.incident(incident("i3", T_I3), T_I3 + HOUR)
    with pytest.raises(PolicyRefusal) as refused:
        p.warn(warning("w2", ["i3"], T_I3 + HOUR), T_I3 + HOUR)
    assert refused.value.rule == "R5"
    assert [w.warning_id for w in p.state.warnings] == ["w1"]


def test_r5_new_warning_allowed_after_the_old_one_expired():
    """R5: once a warning has expired the behaviour may be warned about again."""
    p = warned_party()
    p.advance(W1_EXPIRES)
    t = W1_EXPIRES + timedelta(days=10)
    outcome, _ = p.incident(incident("i9", t), t)
    assert outcome.advice == [Advice.WARN]
    p.warn(warning("w2", ["i9"], t), t)
    assert [(w.warning_id, w.status) for w in p.state.warnings] == [
        ("w1", WarningStatus.EXPIRED),
        ("w2", WarningStatus.LIVE),
    ]
    assert p.state.stage == Stage.WARNED


def test_r5_warning_communicated_in_future_is_refused():
    """R5, R3: communicated_at more than the clock-skew allowance ahead is refused."""
    p = asked_party()
    p.incident(incident("i2", T_I2), T_I2 + HOUR)
    with pytest.raises(PolicyRefusal) as refused:
        p.warn(warning("w1", ["i2"], T_W1 + timedelta(minutes=6)), T_W1)
    assert refused.value.rule == "R3"


def test_r15_warning_for_zero_tolerance_is_refused():
    """R15: zero-tolerance behaviour skips ask and warn."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    with pytest.raises(PolicyRefusal) as refused:
        p.warn(warning("w1", ["z1"], T_W1), T_W1)
    assert refused.value.rule == "R15"
    with pytest.raises(PolicyRefusal) as refused_ask:
        p.ask(ask("a1", ["z1"], T_ASK), T_ASK)
    assert refused_ask.value.rule == "R15"
    assert p.state.warnings == [] and p.state.asks == []


def test_r2_incident_dated_in_future_is_refused():
    """R2, R3: an incident dated beyond the clock-skew allowance is refused (rule R3)."""
    p = Party()
    now = T_I1
    with pytest.raises(PolicyRefusal) as refused:
        p.incident(incident("i1", now + timedelta(minutes=5, seconds=1)), now)
    assert refused.value.rule == "R3"
    assert "in the future" in str(refused.value)
    assert p.state.incidents == {}
    assert p.state.incident_count == 0
    # Five minutes ahead is clock drift, not an error.
    outcome, _ = p.incident(incident("i2", now + timedelta(minutes=5)), now)
    assert outcome.advice == [Advice.ASK]


def test_r2_incident_for_another_party_is_refused():
    """R2, R3: a party's file only takes that party's incidents."""
    p = Party()
    with pytest.raises(PolicyRefusal) as refused:
        p.incident(incident("i1", T_I1, party=party_ref("someone-else")), T_I1)
    assert refused.value.rule == "R3"


def test_r2_duplicate_incident_is_reported_as_duplicate_without_effects():
    """R2: an incident id seen before changes nothing and writes nothing."""
    p = warned_party()
    before = p.state.model_dump()
    outcome, effects = p.incident(incident("i2", T_I2), T_I2 + 2 * HOUR)
    assert outcome.duplicate is True
    assert outcome.incident_id == "i2"
    assert outcome.advice == []
    assert outcome.stage == Stage.WARNED
    assert effects == []
    assert p.state.model_dump() == before
    # Same id, different content: still the same incident.
    outcome, effects = p.incident(incident("i2", T_I3, DEMANDS), T_I3 + HOUR)
    assert outcome.duplicate is True and effects == []
    assert p.state.model_dump() == before


def test_r2_duplicate_commands_change_nothing():
    """R4, R5, R6: asks, warnings and restrictions are idempotent on their ids."""
    p = restricted_party()
    before = p.state.model_dump()
    assert p.ask(ask("a1", ["i1"], T_ASK), T_ASK) == []
    assert p.warn(warning("w1", ["i2"], T_W1), T_W1) == []
    assert p.restrict(restriction("r1", ["i3"], T_R1), T_R1) == []
    assert p.state.model_dump() == before


def test_r2_party_details_change_is_saved():
    """R1, R2: an incident that carries new party details updates the file."""
    p = asked_party()
    org = party_ref(kind=PartyKind.ORGANISATION)
    _, effects = p.incident(incident("i2", T_I2, party=org), T_I2 + HOUR)
    assert kinds(effects)[:2] == ["party", "incident"]
    assert isinstance(effects[0], PartySaved)
    assert p.state.party == org


# --- R6, R14: manage only after a fair warning -------------------------------


def test_r6_repeat_during_live_warning_advises_restrict():
    """R6: the same behaviour while a warning is in place: restrict."""
    p = warned_party()
    outcome, effects = p.incident(incident("i3", T_I3), T_I3 + HOUR)
    assert outcome.advice == [Advice.RESTRICT]
    assert outcome.stage == Stage.WARNED
    assert kinds(effects) == ["incident", "warning"]
    assert p.state.warning("w1").repeat_incident_ids == ["i3"]


def test_r6_restriction_allowed_with_warning_in_place():
    """R6, R12: a restriction in force from the decision, ending six months after the instance."""
    p = warned_party()
    p.incident(incident("i3", T_I3), T_I3 + HOUR)
    effects = p.restrict(restriction("r1", ["i3"], T_R1), T_R1)
    assert kinds(effects) == ["restriction", "stage_change", "party"]
    r = p.state.restriction("r1")
    assert r.grounds == RestrictionGrounds.WARNING_IN_PLACE
    assert r.status == RestrictionStatus.IN_FORCE
    assert r.starts_at == T_R1
    assert r.last_instance_at == T_I3
    assert r.ends_at == R1_ENDS
    assert r.categories == [ABUSE]
    assert r.measures == [Measure.SINGLE_NAMED_CONTACT]
    assert r.needs_approval_because == []
    assert p.state.stage == Stage.RESTRICTED
    assert tasks_of(p.state, TaskKind.RESTRICTION_APPROVAL) == []


def test_r6_restriction_allowed_after_warning_expired_for_instance_during_it():
    """R6: what counts is that the warning was live when the behaviour happened."""
    p = warned_party()
    p.incident(incident("i3", T_I3), T_I3 + HOUR)
    p.advance(W1_EXPIRES)
    decided = W1_EXPIRES + timedelta(days=2)
    p.restrict(restriction("r1", ["i3"], decided), decided)
    r = p.state.restriction("r1")
    assert r.grounds == RestrictionGrounds.WARNING_IN_PLACE
    assert r.ends_at == R1_ENDS


def test_r6_repeat_after_warning_expired_advises_warn_not_restrict():
    """R6, R5: once the warning has expired, a repeat is met with a new warning."""
    p = warned_party()
    p.advance(W1_EXPIRES)
    t = W1_EXPIRES + timedelta(days=1)
    outcome, _ = p.incident(incident("i9", t), t)
    assert outcome.advice == [Advice.WARN]
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["i9"], t), t)
    assert refused.value.rule == "R14"


def test_r14_restriction_without_warning_is_refused():
    """R14: no warning, no restriction."""
    p = asked_party()
    p.incident(incident("i2", T_I2), T_I2 + HOUR)
    before = p.state.model_dump()
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["i1", "i2"], T_W1), T_W1)
    assert refused.value.rule == "R14"
    assert "fair warning" in str(refused.value)
    assert p.state.model_dump() == before


def test_r14_restriction_for_the_warned_incident_itself_is_refused():
    """R14, R6: the incident a warning was given for is not a repeat after the warning,
    even when the warning was communicated at the very moment it happened."""
    p = asked_party()
    p.incident(incident("i2", T_I2), T_I2 + HOUR)
    # A verbal warning given during the call, recorded at the incident's own time.
    p.warn(warning("w1", ["i2"], T_I2), T_I2 + HOUR)
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["i2"], T_I2 + HOUR), T_I2 + HOUR)
    assert refused.value.rule == "R14"
    assert p.state.restrictions == []


def test_r14_restriction_for_incident_before_the_warning_is_refused():
    """R14: behaviour before the warning was communicated is not behaviour during it."""
    p = warned_party()
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["i1"], T_R1), T_R1)
    assert refused.value.rule == "R14"


def test_r20_warning_for_other_behaviour_is_no_ground_to_restrict():
    """R20, R14: a warning about abuse does not ground a restriction for demands."""
    p = warned_party()
    outcome, _ = p.incident(incident("d1", T_I3, DEMANDS), T_I3 + HOUR)
    assert outcome.advice == [Advice.ASK]
    assert p.state.warning("w1").repeat_incident_ids == []
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["d1"], T_R1), T_R1)
    assert refused.value.rule == "R14"


def test_r14_restriction_decided_in_future_is_refused():
    """R14, R3: decided_at beyond the clock-skew allowance is refused."""
    p = warned_party()
    p.incident(incident("i3", T_I3), T_I3 + HOUR)
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["i3"], T_R1 + timedelta(minutes=6)), T_R1)
    assert refused.value.rule == "R3"
    assert p.state.restrictions == []


# --- R12: restriction length -------------------------------------------------


def test_r12_three_repeats_each_move_the_end_date_exactly():
    """R12: each repeat during the restriction moves the end to six months after it."""
    p = restricted_party()
    expected = [
        (utc(2026, 3, 10, 12, 0), utc(2026, 9, 10, 11, 0)),  # 12:00 GMT -> 12:00 BST
        (utc(2026, 5, 20, 18, 45), utc(2026, 11, 20, 19, 45)),  # 19:45 BST -> 19:45 GMT
        # 00:30 BST on 1 September (31 August in UTC) -> 00:30 GMT on 1 March.
        (utc(2026, 8, 31, 23, 30), utc(2027, 3, 1, 0, 30)),
    ]
    for n, (occurred, new_end) in enumerate(expected, start=4):
        now = occurred + HOUR
        p.advance(now)
        outcome, effects = p.incident(incident(f"i{n}", occurred), now)
        assert outcome.restrictions_extended == {"r1": new_end}
        assert outcome.advice == [Advice.RESTRICTION_EXTENDED, Advice.CONSIDER_STEPPING_UP]
        assert outcome.stage == Stage.RESTRICTED
        assert "restriction" in kinds(effects)
        r = p.state.restriction("r1")
        assert r.status == RestrictionStatus.IN_FORCE
        assert r.last_instance_at == occurred
        assert r.ends_at == new_end
    # The warning expired along the way; the restriction alone holds the stage.
    assert p.state.warning("w1").status == WarningStatus.EXPIRED
    assert p.state.stage == Stage.RESTRICTED


def test_r12_late_report_of_an_old_instance_never_shortens():
    """R12: the end date never moves backwards when an older instance arrives late."""
    p = restricted_party()
    p.incident(incident("i4", utc(2026, 5, 20, 18, 45)), utc(2026, 5, 21, 9, 0))
    r = p.state.restriction("r1")
    assert r.ends_at == utc(2026, 11, 20, 19, 45)
    outcome, effects = p.incident(incident("i5", utc(2026, 3, 1, 9, 0)), utc(2026, 5, 22, 9, 0))
    assert outcome.restrictions_extended == {}
    assert outcome.advice == []
    assert kinds(effects) == ["incident"]
    assert r.last_instance_at == utc(2026, 5, 20, 18, 45)
    assert r.ends_at == utc(2026, 11, 20, 19, 45)


def test_r12_instance_in_repeated_autumn_hour_never_moves_end_backwards():
    """R12, Dates: 01:10 GMT comes after 01:30 BST on 25 October, but its six months
    fall earlier on the wall clock; the end date keeps the later one."""
    p = restricted_party()
    first = utc(2026, 10, 25, 0, 30)  # 01:30 BST
    later = utc(2026, 10, 25, 1, 10)  # 01:10 GMT, forty minutes later
    p.incident(incident("i4", utc(2026, 7, 1, 9, 0)), utc(2026, 7, 1, 10, 0))
    p.incident(incident("i5", first), first + HOUR)
    r = p.state.restriction("r1")
    assert r.ends_at == utc(2027, 4, 25, 0, 30)
    outcome, _ = p.incident(incident("i6", later), later + HOUR)
    assert outcome.restrictions_extended == {}
    assert r.last_instance_at == later
    assert r.ends_at == utc(2027, 4, 25, 0, 30)


def test_r20_other_behaviour_during_restriction_does_not_extend_it():
    """R20, R12: only the same or similar behaviour moves the end date."""
    p = restricted_party()
    outcome, _ = p.incident(incident("d1", utc(2026, 3, 10, 12, 0), DEMANDS), utc(2026, 3, 10, 13, 0))
    assert outcome.restrictions_extended == {}
    assert outcome.advice == [Advice.ASK]
    assert p.state.restriction("r1").ends_at == R1_ENDS


def test_r12_restriction_expires_and_stays_on_record():
    """R12, R3: at its end the restriction expires, keeps its dates, and opens R13's window."""
    p = restricted_party()
    p.advance(W1_EXPIRES)
    assert kinds(p.advance(R1_ENDS - timedelta(seconds=1))) == []
    effects = core(p.advance(R1_ENDS))
    # The warning i3 held open ends with the restriction (R5a).
    assert kinds(effects) == ["warning", "restriction", "stage_change", "party"]
    r = p.state.restriction("r1")
    assert r.status == RestrictionStatus.EXPIRED
    assert r.ended_at == R1_ENDS
    assert r.ends_at == R1_ENDS
    assert r.recurrence_window_ends_at == R1_WINDOW_ENDS
    assert effects[2].from_stage == Stage.RESTRICTED
    assert effects[2].to_stage == Stage.RECURRENCE_WINDOW
    assert len(p.state.restrictions) == 1


def test_r12_restriction_based_on_old_instance_is_already_due():
    """R12: a restriction ends six months after the last instance, even if decided late."""
    p = warned_party()
    p.incident(incident("i3", T_I3), T_I3 + HOUR)
    decided = utc(2026, 9, 1, 10, 0)
    p.advance(decided)
    p.restrict(restriction("r1", ["i3"], decided), decided)
    r = p.state.restriction("r1")
    assert r.ends_at == R1_ENDS
    # The workflow must wake at once to expire it.
    assert rules.next_deadline(p.state, decided) == decided
    p.advance(decided)
    assert r.status == RestrictionStatus.EXPIRED
    assert r.ended_at == R1_ENDS


# --- R13: recurrence after a restriction -------------------------------------


def expired_restriction_party() -> Party:
    p = restricted_party()
    p.advance(W1_EXPIRES)
    p.advance(R1_ENDS)
    return p


def test_r13_recurrence_within_six_months_restricts_without_warning():
    """R13: the same behaviour within six months after a restriction ended."""
    p = expired_restriction_party()
    occurred = utc(2026, 10, 1, 10, 0)
    outcome, _ = p.incident(incident("i9", occurred), occurred + HOUR)
    assert outcome.advice == [Advice.RESTRICT_WITHOUT_WARNING]
    assert outcome.stage == Stage.RECURRENCE_WINDOW
    decided = utc(2026, 10, 2, 9, 0)
    p.restrict(restriction("r2", ["i9"], decided), decided)
    r2 = p.state.restriction("r2")
    assert r2.grounds == RestrictionGrounds.RECURRENCE
    assert r2.status == RestrictionStatus.IN_FORCE
    assert r2.starts_at == decided
    assert r2.ends_at == utc(2027, 4, 1, 10, 0)
    assert p.state.stage == Stage.RESTRICTED
    assert p.state.warnings[0].status == WarningStatus.EXPIRED
    assert len(p.state.warnings) == 1


def test_r13_last_moment_of_window_still_counts():
    """R13: the window is six months after the end, exclusive of its last instant."""
    p = expired_restriction_party()
    occurred = R1_WINDOW_ENDS - timedelta(seconds=1)
    outcome, _ = p.incident(incident("i9", occurred), occurred)
    assert outcome.advice == [Advice.RESTRICT_WITHOUT_WARNING]
    p.restrict(restriction("r2", ["i9"], occurred), occurred)
    assert p.state.restriction("r2").grounds == RestrictionGrounds.RECURRENCE


def test_r13_after_window_closes_restriction_is_refused_again():
    """R13, R14: after the window closes, a repeat needs a new warning first."""
    p = expired_restriction_party()
    effects = core(p.advance(R1_WINDOW_ENDS))
    assert kinds(effects) == ["restriction", "stage_change", "party"]
    assert effects[1].to_stage == Stage.ASKED
    r1 = p.state.restriction("r1")
    assert r1.status == RestrictionStatus.EXPIRED
    assert r1.ended_at == R1_ENDS
    occurred = R1_WINDOW_ENDS + timedelta(days=1)
    outcome, _ = p.incident(incident("i9", occurred), occurred)
    assert outcome.advice == [Advice.WARN]
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r2", ["i9"], occurred), occurred)
    assert refused.value.rule == "R14"


def test_r13_incident_inside_window_reported_after_it_closed_still_counts():
    """R13, R3: a passed window keeps its date on record, so a late report of an
    incident inside it still allows a restriction without a new warning."""
    p = expired_restriction_party()
    p.advance(R1_WINDOW_ENDS + timedelta(days=2))
    r1 = p.state.restriction("r1")
    assert r1.recurrence_window_closed and r1.recurrence_window_ends_at == R1_WINDOW_ENDS
    occurred = R1_WINDOW_ENDS - timedelta(days=1)
    reported = R1_WINDOW_ENDS + timedelta(days=2)
    outcome, _ = p.incident(incident("i9", occurred), reported)
    assert outcome.advice == [Advice.RESTRICT_WITHOUT_WARNING]
    p.restrict(restriction("r2", ["i9"], reported), reported)
    assert p.state.restriction("r2").grounds == RestrictionGrounds.RECURRENCE


def test_r20_other_behaviour_in_recurrence_window_is_not_a_recurrence():
    """R20, R13: only the same or similar behaviour may be restricted without warning."""
    p = expired_restriction_party()
    occurred = utc(2026, 10, 1, 10, 0)
    outcome, _ = p.incident(incident("d1", occurred, DEMANDS), occurred)
    assert outcome.advice == [Advice.ASK]
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r2", ["d1"], occurred), occurred)
    assert refused.value.rule == "R14"


# --- R5a: repeats hold a warning open -----------------------------------------

# docs/policy.md's example: warned 2027-01-20, a similar repeat 2027-07-10, no restriction.
T_EX_WARNED = utc(2027, 1, 20, 10, 0)  # 10:00 GMT
EX_EXPIRES = utc(2027, 7, 20, 9, 0)  # six months on: 10:00 BST on 20 July
T_EX_REPEAT = utc(2027, 7, 10, 9, 0)  # 10:00 BST
EX_HELD_OPEN = utc(2028, 1, 10, 10, 0)  # six months after the repeat: 10:00 GMT on 10 January
T_EX_FURTHER = utc(2027, 11, 1, 10, 0)  # past the warning's own six months
EX_FURTHER_HELD_OPEN = utc(2028, 5, 1, 9, 0)  # 10:00 BST on 1 May


def example_warned_party() -> Party:
    p = Party()
    p.incident(incident("e1", utc(2027, 1, 11, 10, 0)), utc(2027, 1, 11, 11, 0))
    p.ask(ask("ea", ["e1"], utc(2027, 1, 11, 12, 0)), utc(2027, 1, 11, 12, 0))
    p.incident(incident("e2", utc(2027, 1, 19, 10, 0)), utc(2027, 1, 19, 11, 0))
    p.warn(warning("ew", ["e2"], T_EX_WARNED), T_EX_WARNED)
    return p


def test_r5a_similar_repeat_holds_the_warning_open_six_months_after_it():
    """R5a: a similar repeat on 2027-07-10 keeps the 2027-01-20 warning live until
    2028-01-10; the record and the status say which repeat moved it."""
    p = example_warned_party()
    assert p.state.warning("ew").expires_at == EX_EXPIRES
    outcome, effects = p.incident(incident("e3", T_EX_REPEAT), T_EX_REPEAT + HOUR)
    assert outcome.advice == [Advice.RESTRICT]
    assert outcome.warnings_extended == {"ew": EX_HELD_OPEN}
    assert outcome.restrictions_extended == {}
    assert kinds(effects) == ["incident", "warning"]
    [saved] = [e.warning for e in core(effects) if e.kind == "warning"]
    assert (saved.expires_at, saved.extended_by_incident_id) == (EX_HELD_OPEN, "e3")
    w = p.state.warning("ew")
    assert w.communicated_at == T_EX_WARNED
    assert w.repeat_incident_ids == ["e3"]
    assert local_date(w.expires_at) == date(2028, 1, 10)
    assert rules.deadlines(p.state) == [EX_HELD_OPEN]
    [shown] = rules.status_of(p.state, T_EX_REPEAT + HOUR).warnings
    assert (shown.expires_at, shown.extended_by_incident_id) == (EX_HELD_OPEN, "e3")


def test_r5a_held_open_warning_stays_live_past_its_six_months_then_expires():
    """R5a, R5, R3: the six months from communication pass with the warning live; it
    expires at the moved date and stays on record with it."""
    p = example_warned_party()
    p.incident(incident("e3", T_EX_REPEAT), T_EX_REPEAT + HOUR)
    assert kinds(p.advance(EX_EXPIRES)) == []
    assert p.state.warning("ew").status == WarningStatus.LIVE
    assert p.state.stage == Stage.WARNED
    assert kinds(p.advance(EX_HELD_OPEN - timedelta(seconds=1))) == []
    effects = core(p.advance(EX_HELD_OPEN))
    assert kinds(effects) == ["warning", "stage_change", "party"]
    w = p.state.warning("ew")
    assert (w.status, w.expires_at, w.extended_by_incident_id) == (WarningStatus.EXPIRED, EX_HELD_OPEN, "e3")
    assert p.state.stage == Stage.ASKED


def test_r5a_r6_further_repeat_while_held_open_grounds_a_restriction():
    """R5a, R6: a repeat on 2027-11-01, after the warning's own six months but while
    the July repeat holds it open, happened while a warning was in place."""
    p = example_warned_party()
    p.incident(incident("e3", T_EX_REPEAT), T_EX_REPEAT + HOUR)
    p.advance(EX_EXPIRES)
    outcome, _ = p.incident(incident("e4", T_EX_FURTHER), T_EX_FURTHER + HOUR)
    assert outcome.advice == [Advice.RESTRICT]
    assert outcome.warnings_extended == {"ew": EX_FURTHER_HELD_OPEN}
    assert p.state.warning("ew").extended_by_incident_id == "e4"
    assert rules.restriction_grounds(p.state, ["e4"]) == RestrictionGrounds.WARNING_IN_PLACE
    decided = T_EX_FURTHER + timedelta(days=1)
    p.restrict(restriction("r1", ["e4"], decided), decided)
    r = p.state.restriction("r1")
    assert (r.grounds, r.status) == (RestrictionGrounds.WARNING_IN_PLACE, RestrictionStatus.IN_FORCE)
    assert r.ends_at == EX_FURTHER_HELD_OPEN
    assert p.state.stage == Stage.RESTRICTED


def test_r5a_without_a_repeat_the_warning_still_expires_at_six_months():
    """R5, R5a, R14: no repeat, no move: the November incident calls for a new warning."""
    p = example_warned_party()
    p.advance(EX_EXPIRES)
    w = p.state.warning("ew")
    assert (w.status, w.expires_at, w.extended_by_incident_id) == (WarningStatus.EXPIRED, EX_EXPIRES, None)
    outcome, _ = p.incident(incident("e4", T_EX_FURTHER), T_EX_FURTHER + HOUR)
    assert outcome.advice == [Advice.WARN]
    assert outcome.warnings_extended == {}
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r1", ["e4"], T_EX_FURTHER + HOUR), T_EX_FURTHER + HOUR)
    assert refused.value.rule == "R14"


def test_r5a_late_report_of_an_older_repeat_never_moves_the_expiry_earlier():
    """R5a: the expiry is six months after the latest repeat, whatever order they arrive in."""
    p = example_warned_party()
    p.incident(incident("e3", T_EX_REPEAT), T_EX_REPEAT + HOUR)
    outcome, effects = p.incident(incident("e0", utc(2027, 3, 1, 10, 0)), T_EX_REPEAT + 2 * HOUR)
    assert outcome.advice == [Advice.RESTRICT]
    assert outcome.warnings_extended == {}
    assert kinds(effects) == ["incident", "warning"]  # the repeat is on record all the same
    w = p.state.warning("ew")
    assert (w.expires_at, w.extended_by_incident_id) == (EX_HELD_OPEN, "e3")
    assert w.repeat_incident_ids == ["e3", "e0"]


def test_r5a_late_report_does_not_revive_an_expired_warning():
    """R5a, R3, R6: a repeat during the warning reported after it expired is on record
    and grounds a restriction, but the expired warning stays expired."""
    p = example_warned_party()
    p.advance(EX_EXPIRES)
    reported = EX_EXPIRES + timedelta(days=3)
    outcome, _ = p.incident(incident("e3", T_EX_REPEAT), reported)
    assert outcome.advice == [Advice.RESTRICT]
    assert outcome.warnings_extended == {}
    w = p.state.warning("ew")
    assert (w.status, w.expires_at, w.extended_by_incident_id) == (WarningStatus.EXPIRED, EX_EXPIRES, None)
    assert w.repeat_incident_ids == ["e3"]
    assert p.state.stage == Stage.ASKED
    assert rules.restriction_grounds(p.state, ["e3"]) == RestrictionGrounds.WARNING_IN_PLACE


def test_r20_r5a_other_behaviour_does_not_hold_a_warning_open():
    """R20, R5a: only the same or similar behaviour moves a warning's expiry."""
    p = example_warned_party()
    outcome, _ = p.incident(incident("d1", T_EX_REPEAT, DEMANDS), T_EX_REPEAT + HOUR)
    assert outcome.warnings_extended == {}
    w = p.state.warning("ew")
    assert (w.expires_at, w.extended_by_incident_id) == (EX_EXPIRES, None)


def test_r5a_r12_repeat_during_a_restriction_moves_the_restriction_not_the_warning():
    """R5a, R12: a warning replaced by a restriction ends as before: a repeat while the
    restriction is in force moves the restriction's end, not the warning's expiry."""
    p = restricted_party()
    w = p.state.warning("w1")
    # i3 came before r1 existed, so it held the warning open like any repeat.
    assert (w.expires_at, w.extended_by_incident_id) == (W1_HELD_OPEN, "i3")
    later = utc(2026, 5, 20, 18, 45)
    outcome, effects = p.incident(incident("i4", later), later + HOUR)
    assert outcome.restrictions_extended == {"r1": utc(2026, 11, 20, 19, 45)}
    assert outcome.warnings_extended == {}
    assert "warning" not in kinds(effects)
    assert (w.expires_at, w.extended_by_incident_id, w.repeat_incident_ids) == (W1_HELD_OPEN, "i3", ["i3"])


def test_r5a_r7_repeat_while_a_restriction_awaits_approval_holds_the_warning_open():
    """R5a, R7: a restriction awaiting approval is not in force yet, so the warning
    is what manages the behaviour and a repeat holds it open."""
    org = party_ref(kind=PartyKind.ORGANISATION)
    p = warned_party(org)
    p.incident(incident("i3", T_I3, party=org), T_I3 + HOUR)
    p.restrict(restriction("r1", ["i3"], T_R1), T_R1)
    pending = utc(2026, 2, 20, 16, 0)
    outcome, _ = p.incident(incident("i4", pending, party=org), pending + HOUR)
    assert outcome.warnings_extended == {"w1": utc(2026, 8, 20, 15, 0)}
    assert p.state.warning("w1").extended_by_incident_id == "i4"
    assert p.state.restriction("r1").last_instance_at == pending


def test_r5a_r13_repeat_in_a_recurrence_window_holds_a_new_warning_open():
    """R5a, R13: a warning given instead of a restriction in the recurrence window is
    held open by a repeat like any other; restricting without warning stays open too."""
    p = expired_restriction_party()
    t_i9 = utc(2026, 9, 1, 10, 0)
    p.incident(incident("i9", t_i9), t_i9 + HOUR)
    t_w2 = utc(2026, 9, 2, 10, 0)
    p.warn(warning("w2", ["i9"], t_w2), t_w2)
    t_i10 = utc(2026, 12, 1, 10, 0)
    outcome, _ = p.incident(incident("i10", t_i10), t_i10 + HOUR)
    assert outcome.advice == [Advice.RESTRICT_WITHOUT_WARNING]
    assert outcome.warnings_extended == {"w2": utc(2027, 6, 1, 9, 0)}
    assert p.state.warning("w2").repeat_incident_ids == ["i10"]


@pytest.mark.parametrize(
    ("repeat", "held_open"),
    [
        # 11:00 BST on 31 August -> the last day of February, 11:00 GMT.
        (utc(2027, 8, 31, 10, 0), utc(2028, 2, 29, 11, 0)),
        # 00:30 BST on 1 September (31 August in UTC) -> 00:30 GMT on 1 March.
        (utc(2027, 8, 31, 23, 30), utc(2028, 3, 1, 0, 30)),
    ],
    ids=["month-end", "london-date"],
)
def test_r5a_dates_held_open_expiry_is_six_calendar_months_in_london(repeat, held_open):
    """R5a, Dates: R12's arithmetic: six calendar months on the London calendar."""
    p = Party()
    p.incident(incident("e1", utc(2027, 3, 15, 9, 0)), utc(2027, 3, 15, 9, 30))
    p.warn(warning("ew", ["e1"], utc(2027, 3, 15, 10, 0)), utc(2027, 3, 15, 10, 0))
    outcome, _ = p.incident(incident("e2", repeat), repeat + HOUR)
    assert outcome.warnings_extended == {"ew": held_open}
    assert held_open == six_months_after(repeat)


# --- R15: zero tolerance -----------------------------------------------------


def test_r15_zero_tolerance_from_first_contact_stops_direct_contact():
    """R15: one threat of harm: restriction in force at once, no ask or warning, manager review."""
    p = Party()
    now = T_I1 + HOUR
    outcome, effects = p.incident(incident("z1", T_I1, ZT), now)
    assert outcome.advice == [Advice.ZERO_TOLERANCE_APPLIED]
    assert outcome.stage == Stage.ZERO_TOLERANCE
    assert kinds(effects) == ["incident", "restriction", "stage_change", "party"]
    assert p.state.stage == Stage.ZERO_TOLERANCE
    assert p.state.asks == [] and p.state.warnings == []
    [r] = p.state.restrictions
    assert r.restriction_id == "zt-z1"
    assert r.grounds == RestrictionGrounds.ZERO_TOLERANCE
    assert r.status == RestrictionStatus.IN_FORCE
    assert r.measures == [Measure.STOP_DIRECT_CONTACT]
    assert r.categories == [ZT]
    assert r.starts_at == now
    assert r.last_instance_at == T_I1
    assert r.ends_at == utc(2026, 7, 5, 9, 0)
    [task] = tasks_of(p.state, TaskKind.ZERO_TOLERANCE_REVIEW)
    assert task.status == TaskStatus.OPEN
    assert task.subject_id == "z1"
    assert tasks_saved(effects, TaskKind.ZERO_TOLERANCE_REVIEW) == [task]
    assert outcome.next_deadline is not None


def test_r15_second_zero_tolerance_incident_extends_and_opens_another_review():
    """R15, R12: a further instance extends the same restriction and is reviewed too."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    later = utc(2026, 3, 31, 22, 30)  # 23:30 BST
    outcome, _ = p.incident(incident("z2", later, ZT), later + HOUR)
    assert outcome.restrictions_extended == {"zt-z1": utc(2026, 9, 30, 22, 30)}
    [r] = p.state.restrictions
    assert r.incident_ids == ["z1", "z2"]
    assert r.ends_at == utc(2026, 9, 30, 22, 30)
    reviews = tasks_of(p.state, TaskKind.ZERO_TOLERANCE_REVIEW)
    assert [t.subject_id for t in reviews] == ["z1", "z2"]
    assert all(t.status == TaskStatus.OPEN for t in reviews)


def test_r15_zero_tolerance_ends_stage_even_while_warned():
    """R15: zero tolerance overrides any earlier stage."""
    p = warned_party()
    outcome, _ = p.incident(incident("z1", T_I3, ZT), T_I3 + HOUR)
    assert outcome.stage == Stage.ZERO_TOLERANCE
    assert p.state.restriction("zt-z1").status == RestrictionStatus.IN_FORCE


def test_r15_restriction_request_for_zero_tolerance_needs_no_warning():
    """R15, R14: zero tolerance is a ground in itself."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    p.restrict(restriction("r1", ["z1"], T_ASK, [Measure.WITHHOLD_CONTACT_DETAILS]), T_ASK)
    r = p.state.restriction("r1")
    assert r.grounds == RestrictionGrounds.ZERO_TOLERANCE
    assert r.status == RestrictionStatus.IN_FORCE
    assert r.ends_at == utc(2026, 7, 5, 9, 0)


def test_r15_r12_zero_tolerance_instance_extends_every_restriction_covering_it():
    """R15, R12: a further zero-tolerance instance moves the end of each restriction in
    force for that behaviour, not only the automatic one."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    p.restrict(restriction("r1", ["z1"], T_ASK, [Measure.WITHHOLD_CONTACT_DETAILS]), T_ASK)
    later = utc(2026, 2, 4, 10, 0)
    outcome, _ = p.incident(incident("z2", later, ZT), later + HOUR)
    assert outcome.restrictions_extended == {
        "zt-z1": utc(2026, 8, 4, 9, 0),
        "r1": utc(2026, 8, 4, 9, 0),
    }
    for rid in ("zt-z1", "r1"):
        r = p.state.restriction(rid)
        assert r.last_instance_at == later
        assert r.ends_at == utc(2026, 8, 4, 9, 0)


# --- R15a: zero tolerance and R7 ---------------------------------------------


@pytest.mark.parametrize(
    "party",
    [
        party_ref(kind=PartyKind.ORGANISATION),
        party_ref(professional_capacity=True),
        party_ref(kind=PartyKind.ORGANISATION, professional_capacity=True),
    ],
    ids=["organisation", "professional", "both"],
)
def test_r15a_stop_is_immediate_and_its_review_goes_to_r7_approvers(party):
    """R15a: the stop takes effect at once for an organisation or a professional too;
    its review is for the Ombudsman or the Executive Team, R7's alternates on escalation."""
    p = Party(party)
    now = T_I1 + HOUR
    outcome, effects = p.incident(incident("z1", T_I1, ZT, party=party), now)
    assert outcome.stage == Stage.ZERO_TOLERANCE
    [r] = p.state.restrictions
    assert (r.status, r.starts_at, r.measures) == (RestrictionStatus.IN_FORCE, now, [Measure.STOP_DIRECT_CONTACT])
    assert r.contact_arrangements == "Direct contact stopped pending review by the Ombudsman or the Executive Team."
    [review] = tasks_of(p.state, TaskKind.ZERO_TOLERANCE_REVIEW)
    assert review.candidate_roles == [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]
    assert review.escalation_roles == [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE]
    assert review.summary == (
        "R15a: review by the Ombudsman or the Executive Team of a zero-tolerance incident "
        f"({'; '.join(rules.approval_reasons(p.state, []))}); police referral decision pending"
    )
    [opened] = [e for e in effects if isinstance(e, NoticeQueued) and e.task_id == review.task_id]
    assert opened.roles == [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]


def test_r15a_an_individuals_zero_tolerance_review_stays_with_a_manager():
    """R15, R15a: for an individual not acting professionally, a manager reviews."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    [review] = tasks_of(p.state, TaskKind.ZERO_TOLERANCE_REVIEW)
    assert review.candidate_roles == [Role.MANAGER]
    assert review.escalation_roles == [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE]
    assert review.summary == "R15: review by a manager of a zero-tolerance incident; police referral decision pending"
    assert p.state.restriction("zt-z1").contact_arrangements == "Direct contact stopped pending review by a manager."


def test_r15a_r1_the_profile_sent_with_the_incident_decides_who_reviews_it():
    """R15a, R1: the latest profile wins; a review already open keeps its deciders,
    as an approval task keeps the reasons it was opened for."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    professional = party_ref(professional_capacity=True)
    later = utc(2026, 2, 4, 10, 0)
    p.incident(incident("z2", later, ZT, party=professional), later + HOUR)
    reviews = tasks_of(p.state, TaskKind.ZERO_TOLERANCE_REVIEW)
    assert [(t.subject_id, t.candidate_roles) for t in reviews] == [
        ("z1", [Role.MANAGER]),
        ("z2", [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]),
    ]


# --- R7, R9: escalated approval ---------------------------------------------


@pytest.mark.parametrize(
    ("party", "measures", "because"),
    [
        (
            party_ref(kind=PartyKind.ORGANISATION),
            [Measure.SINGLE_NAMED_CONTACT],
            ["R7: the party is an organisation"],
        ),
        (
            party_ref(professional_capacity=True),
            [Measure.SINGLE_NAMED_CONTACT],
            ["R7: the party acts in a professional capacity"],
        ),
        (
            party_ref(),
            [Measure.SINGLE_NAMED_CONTACT, Measure.STOP_WORK_ON_CASE, Measure.BLOCK_ALL_CONTACT],
            ["R9: severe measures (block_all_contact, stop_work_on_case)"],
        ),
        (
            party_ref(kind=PartyKind.ORGANISATION, professional_capacity=True),
            [Measure.REFUSE_FURTHER_COMPLAINTS],
            [
                "R7: the party is an organisation",
                "R7: the party acts in a professional capacity",
                "R9: severe measures (refuse_further_complaints)",
            ],
        ),
    ],
    ids=["R7-organisation", "R7-professional", "R9-severe", "R7-R9-all"],
)
def test_r7_r9_restriction_awaits_approval_and_is_not_in_force(party, measures, because):
    """R7, R9: the restriction is held for approval with an approval task; nothing starts."""
    p = warned_party(party)
    p.incident(incident("i3", T_I3, party=party), T_I3 + HOUR)
    effects = p.restrict(restriction("r1", ["i3"], T_R1, measures), T_R1)
    assert kinds(effects) == ["restriction"]
    r = p.state.restriction("r1")
    assert r.status == RestrictionStatus.AWAITING_APPROVAL
    assert r.needs_approval_because == because
    assert r.starts_at is None and r.ends_at is None
    assert r.grounds == RestrictionGrounds.WARNING_IN_PLACE
    [task] = tasks_of(p.state, TaskKind.RESTRICTION_APPROVAL)
    assert tasks_saved(effects, TaskKind.RESTRICTION_APPROVAL) == [task]
    assert task.subject_id == "r1"
    assert task.status == TaskStatus.OPEN
    assert task.summary == "; ".join(because)
    assert p.state.stage == Stage.WARNED
    assert rules.stage_of(p.state, T_R1) == Stage.WARNED


def test_r7_approval_starts_restriction_from_the_latest_instance():
    """R7, R12: instances while approval is pending count when it starts."""
    org = party_ref(kind=PartyKind.ORGANISATION)
    p = warned_party(org)
    p.incident(incident("i3", T_I3, party=org), T_I3 + HOUR)
    p.restrict(restriction("r1", ["i3"], T_R1), T_R1)
    pending_instance = utc(2026, 2, 20, 16, 0)
    outcome, _ = p.incident(incident("i4", pending_instance, party=org), pending_instance + HOUR)
    assert outcome.advice == [Advice.RESTRICT]
    r = p.state.restriction("r1")
    assert r is not None
    assert r.last_instance_at == pending_instance
    assert r.ends_at is None
    approved = utc(2026, 2, 25, 9, 0)
    effects = rules.put_in_force(p.state, r, approved)
    assert kinds(effects) == ["restriction"]
    assert r.status == RestrictionStatus.IN_FORCE
    assert r.starts_at == approved
    assert r.ends_at == utc(2026, 8, 20, 15, 0)


# --- R11: stepping up --------------------------------------------------------


def test_r11_stepping_up_supersedes_the_old_restriction():
    """R11: a stronger restriction replaces one that has not worked."""
    p = restricted_party()
    repeat = utc(2026, 3, 10, 12, 0)
    p.incident(incident("i4", repeat), repeat + HOUR)
    decided = utc(2026, 3, 11, 9, 0)
    effects = p.restrict(
        restriction("r2", ["i4"], decided, [Measure.SINGLE_CONTACT_CHANNEL, Measure.RESTRICT_TIME_OR_VOLUME], "r1"),
        decided,
    )
    assert kinds(effects) == ["restriction", "restriction"]
    r1, r2 = p.state.restriction("r1"), p.state.restriction("r2")
    assert r2.grounds == RestrictionGrounds.STEPPING_UP
    assert r2.status == RestrictionStatus.IN_FORCE
    assert r2.replaces_restriction_id == "r1"
    assert r2.starts_at == decided
    assert r2.ends_at == utc(2026, 9, 10, 11, 0)
    assert r1.status == RestrictionStatus.SUPERSEDED
    assert r1.ended_at == decided
    assert len(p.state.restrictions) == 2
    assert p.state.stage == Stage.RESTRICTED
    # Only the new restriction is extended from now on.
    later = utc(2026, 4, 1, 9, 0)
    outcome, _ = p.incident(incident("i5", later), later)
    assert outcome.restrictions_extended == {"r2": utc(2026, 10, 1, 9, 0)}
    assert r1.ends_at == utc(2026, 9, 10, 11, 0)


def test_r11_stepping_up_never_ends_sooner_than_the_restriction_it_replaces():
    """R11, R12: replacing a restriction carries its last instance over, so citing an
    older incident cannot shorten the time the behaviour is managed."""
    p = restricted_party()
    repeat = utc(2026, 3, 10, 12, 0)
    p.incident(incident("i4", repeat), repeat + HOUR)
    decided = utc(2026, 3, 11, 9, 0)
    p.restrict(restriction("r2", ["i3"], decided, [Measure.SINGLE_CONTACT_CHANNEL], "r1"), decided)
    r2 = p.state.restriction("r2")
    assert r2.grounds == RestrictionGrounds.STEPPING_UP
    assert r2.last_instance_at == repeat
    assert r2.ends_at == utc(2026, 9, 10, 11, 0)


def test_r11_stepping_up_without_replacing_joins_the_old_one():
    """R11: a stronger restriction may join the one in force."""
    p = restricted_party()
    decided = utc(2026, 3, 11, 9, 0)
    p.restrict(restriction("r2", ["i3"], decided, [Measure.TIME_OUT]), decided)
    assert p.state.restriction("r1").status == RestrictionStatus.IN_FORCE
    assert p.state.restriction("r2").status == RestrictionStatus.IN_FORCE
    assert p.state.restriction("r2").grounds == RestrictionGrounds.STEPPING_UP
    later = utc(2026, 4, 1, 9, 0)
    outcome, _ = p.incident(incident("i5", later), later)
    assert outcome.restrictions_extended == {"r1": utc(2026, 10, 1, 9, 0), "r2": utc(2026, 10, 1, 9, 0)}


@pytest.mark.parametrize("replaces", ["no-such-restriction", "r1"])
def test_r11_replacing_a_restriction_not_in_force_is_refused(replaces):
    """R11: only a restriction in force can be replaced."""
    p = expired_restriction_party()
    occurred = utc(2026, 10, 1, 10, 0)
    p.incident(incident("i9", occurred), occurred)
    with pytest.raises(PolicyRefusal) as refused:
        p.restrict(restriction("r2", ["i9"], occurred, replaces=replaces), occurred)
    assert refused.value.rule == "R11"
    assert len(p.state.restrictions) == 1


def test_r11_stepping_up_needing_approval_supersedes_only_when_approved():
    """R11, R9: a severe replacement waits for approval; the old one stays in force until then."""
    p = restricted_party()
    decided = utc(2026, 3, 11, 9, 0)
    p.restrict(restriction("r2", ["i3"], decided, [Measure.BLOCK_ALL_CONTACT], "r1"), decided)
    r1, r2 = p.state.restriction("r1"), p.state.restriction("r2")
    assert r2 is not None
    assert r2.status == RestrictionStatus.AWAITING_APPROVAL
    assert r1.status == RestrictionStatus.IN_FORCE
    approved = utc(2026, 3, 13, 9, 0)
    rules.put_in_force(p.state, r2, approved)
    assert r1.status == RestrictionStatus.SUPERSEDED
    assert r1.ended_at == approved
    assert r2.ends_at == R1_ENDS


# --- reading the state: stage, deadlines, dormancy ---------------------------


def test_r3_stage_of_follows_the_record():
    """R3: the stage is derived from what is live on the record."""
    p = Party()
    assert rules.stage_of(p.state, T_I1) == Stage.NONE
    p = asked_party()
    assert rules.stage_of(p.state, T_I2) == Stage.ASKED
    p = warned_party()
    assert rules.stage_of(p.state, T_I3) == Stage.WARNED
    p = restricted_party()
    assert rules.stage_of(p.state, T_R1) == Stage.RESTRICTED
    p = expired_restriction_party()
    assert rules.stage_of(p.state, R1_ENDS) == Stage.RECURRENCE_WINDOW
    assert rules.stage_of(p.state, R1_WINDOW_ENDS) == Stage.ASKED


def run_timers(p: Party, start, until) -> list:
    """Wake at each next_deadline up to `until`, as the workflow's timer does."""
    wakes, now = [], start
    while (due := rules.next_deadline(p.state, now)) is not None and due <= until:
        assert due >= now, "next_deadline went back in time"
        now = due
        wakes.append(now)
        p.advance(now)
        assert rules.next_deadline(p.state, now) != now, f"woke at {now} and nothing was done"
    return wakes


def test_r12_timers_wake_exactly_at_warning_restriction_and_window_ends():
    """R5, R12, R13: the workflow's timer wakes at each end, and each end takes effect then."""
    p = restricted_party()
    wakes = run_timers(p, T_R1, R1_WINDOW_ENDS + timedelta(days=400))
    assert {W1_HELD_OPEN, R1_ENDS, R1_WINDOW_ENDS} <= set(wakes)
    assert W1_EXPIRES not in wakes  # R5a: i3 held the warning open
    assert p.state.warning("w1").status == WarningStatus.EXPIRED
    r1 = p.state.restriction("r1")
    assert r1.status == RestrictionStatus.EXPIRED
    assert r1.ended_at == R1_ENDS
    assert p.state.stage == Stage.ASKED
    assert rules.deadlines(p.state) == []


def test_r12_restriction_end_and_window_end_are_deadlines():
    """R12, R13: an in-force restriction's end, then its window's end, are on the timer."""
    p = restricted_party()
    assert {W1_HELD_OPEN, R1_ENDS} <= set(rules.deadlines(p.state))
    p.advance(R1_ENDS)
    assert R1_ENDS not in rules.deadlines(p.state)
    assert R1_WINDOW_ENDS in rules.deadlines(p.state)
    assert rules.next_deadline(p.state, R1_ENDS + timedelta(days=40)) == R1_WINDOW_ENDS
    p.advance(R1_WINDOW_ENDS)
    assert rules.next_deadline(p.state, R1_WINDOW_ENDS + timedelta(days=40)) is None


def test_r5_next_deadline_is_the_warning_expiry():
    """R5: with only a warning live, its expiry is when the party next changes by itself."""
    p = warned_party()
    assert rules.next_deadline(p.state, T_W1 + timedelta(days=40)) == W1_EXPIRES
    p.advance(W1_EXPIRES)
    assert rules.next_deadline(p.state, W1_EXPIRES + timedelta(days=40)) is None


def test_r5_next_deadline_is_now_when_something_is_overdue():
    """R5: a deadline already passed means wake at once, not skip it."""
    p = warned_party()
    overdue = W1_EXPIRES + timedelta(days=3)
    assert rules.next_deadline(p.state, overdue) == overdue


def test_r3_is_dormant_only_when_nothing_is_live():
    """R3: dormant means no live warning, restriction, recurrence window or open task."""
    quiet = timedelta(days=60)
    p = asked_party()
    settle_other_tasks(p.state)
    assert rules.is_dormant(p.state, T_ASK + quiet) is True

    p = warned_party()
    settle_other_tasks(p.state)
    assert rules.is_dormant(p.state, T_W1 + quiet) is False
    p.advance(W1_EXPIRES)
    assert rules.is_dormant(p.state, W1_EXPIRES + quiet) is True

    p = expired_restriction_party()
    settle_other_tasks(p.state)
    assert rules.is_dormant(p.state, R1_ENDS + quiet) is False  # R13 window open
    p.advance(R1_WINDOW_ENDS)
    assert rules.is_dormant(p.state, R1_WINDOW_ENDS + quiet) is True


def test_r3_what_is_live_says_what_and_agrees_with_is_dormant():
    """R3: retention and erasure hold a party exactly when the workflow would not end it,
    and say why in words without personal data."""
    quiet = timedelta(days=60)
    p = warned_party()
    assert retention.what_is_live(p.state, T_W1 + quiet)[0].startswith("1 open task(s): colleague_support")
    settle_other_tasks(p.state)
    assert retention.what_is_live(p.state, T_W1 + quiet) == ["1 live warning(s)"]
    p.advance(W1_EXPIRES)
    assert retention.what_is_live(p.state, W1_EXPIRES + quiet) == []

    p = expired_restriction_party()
    settle_other_tasks(p.state)
    assert retention.what_is_live(p.state, R1_ENDS + quiet) == ["a recurrence window is open (R13)"]
    for party, now in ((asked_party(), T_ASK), (warned_party(), T_W1), (expired_restriction_party(), R1_ENDS)):
        for later in (now, now + quiet, now + timedelta(days=400)):
            assert (retention.what_is_live(party.state, later) == []) == rules.is_dormant(party.state, later)


def test_r3_retention_counts_calendar_years_back_in_the_bodys_time_zone():
    """R3: the retention period is whole calendar years before now, on the London calendar."""
    assert retention.retention_cutoff(utc(2028, 2, 29, 12), 1, "Europe/London") == utc(2027, 2, 28, 12)
    # 1 July 09:00 BST is 08:00 UTC, in 2029 and in 2023 alike.
    assert retention.retention_cutoff(utc(2029, 7, 1, 8), 6, "Europe/London") == utc(2023, 7, 1, 8)
    # 1 January 10:00 GMT; six years earlier it was GMT too.
    assert retention.retention_cutoff(utc(2030, 1, 1, 10), 6, "Europe/London") == utc(2024, 1, 1, 10)
    with pytest.raises(ValueError, match="at least one year"):
        retention.retention_cutoff(utc(2030, 1, 1), 0, "Europe/London")


def test_r3_only_a_senior_role_may_force_an_erasure():
    """R3: a forced erasure names a role, and only the Ombudsman or the Executive Team may force."""
    base = {"party_id": "P-1", "requested_by": "s-1", "reason": "SAR-1", "erasure_id": "ubp-erasure-1"}
    assert not ErasureRequest.model_validate(base).force
    for role in (Role.OMBUDSMAN, Role.EXECUTIVE_TEAM):
        assert ErasureRequest.model_validate({**base, "role": role, "force": True}).force
    for not_senior in (None, Role.MANAGER, Role.HEAD_OF_OMBUDSMAN_ASSURANCE):
        with pytest.raises(ValidationError, match="only someone acting as executive_team or ombudsman may force"):
            ErasureRequest.model_validate({**base, "role": not_senior, "force": True})
    with pytest.raises(ValidationError, match="reason"):
        ErasureRequest.model_validate({**base, "reason": ""})


def test_r15_open_review_task_keeps_party_awake():
    """R15: an open zero-tolerance review keeps the party live after the restriction ends."""
    p = Party()
    p.incident(incident("z1", T_I1, ZT), T_I1 + HOUR)
    end = p.state.restriction("zt-z1").ends_at
    assert end is not None
    p.advance(end)
    p.advance(six_months_after(end))
    settle_other_tasks(p.state, keep=TaskKind.ZERO_TOLERANCE_REVIEW)
    later = six_months_after(end) + timedelta(days=60)
    assert rules.next_deadline(p.state, later) is None
    assert rules.is_dormant(p.state, later) is False
    settle_other_tasks(p.state)
    assert rules.is_dormant(p.state, later) is True


def test_r7_pending_approval_keeps_party_awake():
    """R7, R12: a restriction awaiting approval keeps the party live; its one timer
    is when, approved, it would end before it started."""
    org = party_ref(kind=PartyKind.ORGANISATION)
    p = warned_party(org)
    p.incident(incident("i3", T_I3, party=org), T_I3 + HOUR)
    p.restrict(restriction("r1", ["i3"], T_R1), T_R1)
    p.advance(W1_EXPIRES)
    settle_other_tasks(p.state)  # even if the approval task were closed by mistake
    later = W1_EXPIRES + timedelta(days=10)
    assert rules.next_deadline(p.state, later) == R1_ENDS  # six months after i3
    assert rules.is_dormant(p.state, later) is False


# --- a task's subject changes under it: withdrawn, never left open -----------

REVIEW = TaskKind.RESTRICTION_REVIEW
REVIEW_OPENS = R1_ENDS - rules.REVIEW_LEAD  # 19 July 2026


def open_reviews(state) -> list:
    return [t for t in tasks_of(state, REVIEW) if t.status == TaskStatus.OPEN]


def notices_for(effects, task_id: str) -> list[NoticeQueued]:
    return [e for e in effects if isinstance(e, NoticeQueued) and e.task_id == task_id]


def plan(state, task, now) -> None:
    """Working-day dates as the plan_task activity would give them."""
    apply_plan(
        state,
        task.task_id,
        TaskPlan(
            reminder_at=now + timedelta(days=3),
            due_at=now + timedelta(days=9),
            escalation_due_at=now + timedelta(days=18),
            eligible_staff=["manager-1"],
            eligible_alternates=["ado-1"],
        ),
        now,
    )


def reviewed_party() -> Party:
    """r1 in force with its review open and planned; every other task decided."""
    p = restricted_party()
    p.advance(W1_EXPIRES)
    p.advance(REVIEW_OPENS)
    settle_other_tasks(p.state, keep=REVIEW)
    [review] = open_reviews(p.state)
    plan(p.state, review, REVIEW_OPENS)
    return p


def test_r12_review_summary_gives_the_end_as_a_london_date():
    """R12, Dates: the review names the day the restriction ends in London, not a UTC instant."""
    p = restricted_party()
    late_evening = utc(2026, 3, 31, 23, 30)  # 00:30 BST on 1 April
    p.incident(incident("i4", late_evening), late_evening + HOUR)
    r1 = p.state.restriction("r1")
    assert r1.ends_at == utc(2026, 9, 30, 23, 30)  # 00:30 BST on 1 October
    p.advance(r1.ends_at - rules.REVIEW_LEAD)
    [review] = open_reviews(p.state)
    assert review.summary == (
        "Review restriction r1 before it ends on 1 October 2026: let it run, lift it early, or step up (R11)"
    )


def test_r12_repeat_in_the_review_period_withdraws_the_review_and_plans_one_before_the_new_end():
    """R12: a repeat moves the end six months on; the review of the old end is withdrawn,
    with the reason and the incident, gets no reminder, escalation or overdue notice,
    and the usual rule opens a review REVIEW_LEAD before the new end."""
    p = reviewed_party()
    [review] = open_reviews(p.state)
    assert review.task_id == "review-r1"
    assert "before it ends on 2 August 2026:" in review.summary
    repeat = R1_ENDS - timedelta(days=10)  # 09:30 BST on 23 July
    now = repeat + HOUR
    outcome, effects = p.incident(incident("i4", repeat), now)
    new_end = utc(2027, 1, 23, 9, 30)  # 09:30 GMT
    assert outcome.restrictions_extended == {"r1": new_end}

    assert review.status == TaskStatus.CANCELLED
    assert review.cancelled_at == now
    assert review.cancelled_by_incident_id == "i4"
    assert review.cancellation_reason == (
        "R12: incident i4 moved the end of restriction r1 from 2 August 2026 to 23 January 2027; "
        "it is reviewed again before the new end"
    )
    assert tasks_saved(effects, REVIEW) == [review]
    [notice] = notices_for(effects, "review-r1")
    assert notice.notice == NoticeKind.WITHDRAWN
    assert notice.text == f"Withdrawn restriction_review task: {review.cancellation_reason}"
    assert open_reviews(p.state) == []
    assert rules.status_of(p.state, now).open_tasks == [t for t in p.state.tasks if t.status == TaskStatus.OPEN]
    assert review not in rules.status_of(p.state, now).open_tasks

    # Its reminder, due and escalation dates are off the agenda and pass in silence.
    assert {review.reminder_at, review.due_at, review.escalation_due_at}.isdisjoint(rules.deadlines(p.state))
    assert new_end - rules.REVIEW_LEAD in rules.deadlines(p.state)
    for at in (review.reminder_at, review.due_at, review.escalation_due_at):
        assert notices_for(p.advance(at), "review-r1") == []
    assert review.escalated_at is None and review.overdue_since is None and not review.reminded

    assert open_reviews(p.state) == []
    p.advance(new_end - rules.REVIEW_LEAD - timedelta(seconds=1))
    assert open_reviews(p.state) == []
    effects = p.advance(new_end - rules.REVIEW_LEAD)
    [again] = open_reviews(p.state)
    assert again.task_id == "review-r1-2"
    assert again.created_at == new_end - rules.REVIEW_LEAD
    assert again.summary.startswith("Review restriction r1 before it ends on 23 January 2027:")
    assert [n.notice for n in notices_for(effects, again.task_id)] == [NoticeKind.TASK_OPENED]


def test_r12_repeated_moves_leave_exactly_one_open_review():
    """R12: however often the end moves, one review is open at most, about the current end."""
    p = restricted_party()
    # A move before the review period withdraws nothing: no review is open yet.
    early = utc(2026, 3, 10, 12, 0)
    _, effects = p.incident(incident("i4", early), early + HOUR)
    assert tasks_saved(effects, REVIEW) == []
    for n in (5, 6, 7):
        end = p.state.restriction("r1").ends_at
        assert end is not None
        p.advance(end - rules.REVIEW_LEAD)
        [review] = open_reviews(p.state)
        assert f"before it ends on {written_date(end)}:" in review.summary
        repeat = end - timedelta(days=5)
        p.advance(repeat)
        p.incident(incident(f"i{n}", repeat), repeat + HOUR)
        assert open_reviews(p.state) == []
        assert review.status == TaskStatus.CANCELLED and review.cancelled_by_incident_id == f"i{n}"
    end = p.state.restriction("r1").ends_at
    assert end is not None
    p.advance(end - rules.REVIEW_LEAD)
    reviews = tasks_of(p.state, REVIEW)
    assert [t.task_id for t in reviews] == ["review-r1", "review-r1-2", "review-r1-3", "review-r1-4"]
    assert [t.status for t in reviews] == [TaskStatus.CANCELLED] * 3 + [TaskStatus.OPEN]
    assert [t.task_id for t in open_reviews(p.state)] == ["review-r1-4"]


def test_r12_a_review_decided_before_the_end_moved_is_opened_again_for_the_new_end():
    """R12: letting a restriction run to an end that has since moved is no review of the new end."""
    p = reviewed_party()
    [review] = open_reviews(p.state)
    review.status = TaskStatus.DONE  # let it run
    repeat = R1_ENDS - timedelta(days=3)
    p.advance(repeat)
    outcome, _ = p.incident(incident("i4", repeat), repeat + HOUR)
    assert review.status == TaskStatus.DONE and review.cancellation_reason is None
    new_end = outcome.restrictions_extended["r1"]
    p.advance(new_end - rules.REVIEW_LEAD)
    [again] = open_reviews(p.state)
    assert again.task_id == "review-r1-2" and written_date(new_end) in again.summary


def test_r11_stepping_up_withdraws_the_review_of_the_restriction_it_replaces():
    """R11: the stronger restriction takes over the old one's end; the old one's review is
    withdrawn and the new one is reviewed before its own end."""
    p = reviewed_party()
    decided = REVIEW_OPENS + timedelta(days=1)
    p.restrict(restriction("r2", ["i3"], decided, [Measure.SINGLE_CONTACT_CHANNEL], "r1"), decided)
    [review] = tasks_of(p.state, REVIEW)
    assert review.status == TaskStatus.CANCELLED
    assert review.cancelled_at == decided and review.cancelled_by_incident_id is None
    assert review.cancellation_reason == (
        "R11: restriction r1 was replaced by restriction r2 on 20 July 2026; "
        "the new restriction is reviewed before its own end"
    )
    r2 = p.state.restriction("r2")
    assert r2.ends_at == R1_ENDS  # carried over from r1
    p.advance(decided)
    [new] = open_reviews(p.state)
    assert (new.task_id, new.subject_id) == ("review-r2", "r2")


def test_r11_approval_of_a_replacement_is_withdrawn_when_another_replaces_first():
    """R11, R9: a stronger restriction awaiting approval is withdrawn with its approval
    once the restriction it was to replace has been replaced by another."""
    p = restricted_party()
    proposed = utc(2026, 3, 11, 9, 0)
    p.restrict(restriction("r2", ["i3"], proposed, [Measure.BLOCK_ALL_CONTACT], "r1"), proposed)
    [approval] = tasks_of(p.state, TaskKind.RESTRICTION_APPROVAL)
    decided = utc(2026, 3, 12, 9, 0)
    effects = p.restrict(restriction("r3", ["i3"], decided, [Measure.SINGLE_CONTACT_CHANNEL], "r1"), decided)
    r2 = p.state.restriction("r2")
    assert r2.status == RestrictionStatus.WITHDRAWN and r2.ended_at == decided and r2.starts_at is None
    assert p.state.restriction("r3").status == RestrictionStatus.IN_FORCE
    assert approval.status == TaskStatus.CANCELLED and approval.cancelled_at == decided
    assert approval.cancellation_reason == (
        "R11: restriction r1 was replaced by restriction r3 on 12 March 2026, "
        "so restriction r2 has nothing left to replace"
    )
    assert [n.notice for n in notices_for(effects, approval.task_id)] == [NoticeKind.WITHDRAWN]
    assert approval not in rules.status_of(p.state, decided).open_tasks


def test_r11_approval_of_a_replacement_is_withdrawn_when_its_restriction_expires():
    """R11, R12: the restriction to replace ran its course undecided: nothing is left to replace."""
    p = restricted_party()
    proposed = utc(2026, 3, 11, 9, 0)
    p.restrict(restriction("r2", ["i3"], proposed, [Measure.BLOCK_ALL_CONTACT], "r1"), proposed)
    p.advance(W1_EXPIRES)
    p.advance(R1_ENDS)
    assert p.state.restriction("r2").status == RestrictionStatus.WITHDRAWN
    [approval] = tasks_of(p.state, TaskKind.RESTRICTION_APPROVAL)
    assert approval.status == TaskStatus.CANCELLED
    assert approval.cancellation_reason == (
        "R11: restriction r1 ended on 2 August 2026, so restriction r2 has nothing left to replace"
    )
    assert p.state.stage == Stage.RECURRENCE_WINDOW


def test_r11_lifting_early_withdraws_the_approval_of_a_replacement():
    """R11: a restriction lifted early leaves nothing for a stronger one awaiting approval to replace."""
    p = reviewed_party()
    proposed = REVIEW_OPENS + HOUR
    p.restrict(restriction("r2", ["i3"], proposed, [Measure.BLOCK_ALL_CONTACT], "r1"), proposed)
    lifted = REVIEW_OPENS + timedelta(days=2)
    lift = task_decision("review-r1", "manager-1", Role.MANAGER, TaskOutcome.LIFT_EARLY, lifted, reason="Civil now.")
    decisions.check_decision(p.state, lift, lifted)
    decisions.apply_decision(p.state, lift, lifted)
    assert p.state.restriction("r1").status == RestrictionStatus.EXPIRED
    assert p.state.restriction("r2").status == RestrictionStatus.WITHDRAWN
    [approval] = tasks_of(p.state, TaskKind.RESTRICTION_APPROVAL)
    assert approval.status == TaskStatus.CANCELLED
    assert approval.cancellation_reason == (
        "R11: restriction r1 ended on 21 July 2026, so restriction r2 has nothing left to replace"
    )
    assert [t for t in p.state.tasks if t.status == TaskStatus.OPEN] == []
    # R5a: i3, the repeat that grounded r1, holds w1 open until six months after it.
    assert p.state.warning("w1").status == WarningStatus.LIVE
    assert p.state.stage == Stage.WARNED


def test_r12_undecided_approval_lapses_six_months_after_the_last_instance():
    """R7, R12: approved after six months from its last instance, a restriction would end
    before it started; it is withdrawn with its approval then, and stays on record (R3)."""
    org = party_ref(kind=PartyKind.ORGANISATION)
    p = warned_party(org)
    p.incident(incident("i3", T_I3, party=org), T_I3 + HOUR)
    p.restrict(restriction("r1", ["i3"], T_R1), T_R1)
    # R12: an instance while approval is pending moves the lapse too.
    pending_instance = utc(2026, 2, 20, 16, 0)
    p.incident(incident("i4", pending_instance, party=org), pending_instance + HOUR)
    lapses = utc(2026, 8, 20, 15, 0)  # 16:00 BST
    assert lapses in rules.deadlines(p.state)
    p.advance(lapses - timedelta(seconds=1))
    r1 = p.state.restriction("r1")
    assert r1.status == RestrictionStatus.AWAITING_APPROVAL
    effects = p.advance(lapses)
    assert r1.status == RestrictionStatus.WITHDRAWN
    assert r1.ended_at == lapses and r1.starts_at is None and r1.ends_at is None
    assert "restriction" in kinds(effects)
    [approval] = tasks_of(p.state, TaskKind.RESTRICTION_APPROVAL)
    assert approval.status == TaskStatus.CANCELLED and approval.cancelled_at == lapses
    assert approval.cancellation_reason == (
        "R12: restriction r1 was not decided by 20 August 2026, six months after its last instance "
        "(20 February 2026), so it would end before it started"
    )
    with pytest.raises(PolicyRefusal, match="task approve-r1 was withdrawn: R12: restriction r1 was not decided"):
        decisions.check_decision(
            p.state, task_decision("approve-r1", "exec-1", Role.EXECUTIVE_TEAM, TaskOutcome.APPROVE, lapses), lapses
        )
    settle_other_tasks(p.state)
    assert rules.is_dormant(p.state, lapses + timedelta(days=60)) is True
    assert p.state.stage == Stage.ASKED


# --- messages: validation at the edge ----------------------------------------


def _incident_payload(**changes) -> dict:
    payload = {
        "incident_id": "i1",
        "party": {"party_id": PARTY_ID},
        "category": "aggressive_or_abusive",
        "behaviour_code": "verbal_abuse",
        "occurred_at": "2026-03-01T10:00:00+00:00",
        "reported_by": "staff-1",
    }
    payload.update(changes)
    return payload


def _restriction_payload(**changes) -> dict:
    payload = {
        "restriction_id": "r1",
        "party_id": PARTY_ID,
        "incident_ids": ["i1"],
        "measures": ["single_named_contact"],
        "proposed_by": "staff-1",
        "reasons": "Abuse continued after a warning.",
        "contact_arrangements": "Named caseworker only.",
        "decided_at": "2026-03-01T10:00:00+00:00",
    }
    payload.update(changes)
    return payload


def test_r2_valid_incident_payload_parses():
    """R2: a well-formed report parses with its offset kept."""
    report = IncidentReport.model_validate(_incident_payload(occurred_at="2026-07-01T10:00:00+01:00"))
    assert report.occurred_at == utc(2026, 7, 1, 9, 0)
    assert report.party.kind == PartyKind.INDIVIDUAL
    assert report.party.professional_capacity is False


@pytest.mark.parametrize("naive", ["2026-03-01T10:00:00", utc(2026, 3, 1, 10).replace(tzinfo=None)])
def test_dates_naive_datetime_is_rejected_with_clear_message(naive):
    """Dates: a time without an offset is ambiguous and rejected, saying how to fix it."""
    with pytest.raises(ValidationError) as error:
        IncidentReport.model_validate(_incident_payload(occurred_at=naive))
    [err] = error.value.errors()
    assert err["loc"] == ("occurred_at",)
    assert "must include a time zone offset, e.g. 2026-03-01T10:00:00+00:00" in err["msg"]


@pytest.mark.parametrize(
    ("model", "payload", "field"),
    [
        (AskRecord, {"ask_id": "a1", "party_id": PARTY_ID, "incident_ids": ["i1"], "asked_by": "s"}, "asked_at"),
        (
            WarningIssue,
            {"warning_id": "w1", "party_id": PARTY_ID, "incident_ids": ["i1"], "issued_by": "s", "reasons": "r"},
            "communicated_at",
        ),
        (RestrictionRequest, _restriction_payload(), "decided_at"),
    ],
)
def test_dates_naive_datetime_rejected_on_every_command(model, payload, field):
    """Dates: asks, warnings and restrictions reject naive times too."""
    with pytest.raises(ValidationError, match="must include a time zone offset"):
        model.model_validate({**payload, field: "2026-03-01T10:00:00"})
    assert getattr(model.model_validate({**payload, field: "2026-03-01T10:00:00Z"}), field) == utc(2026, 3, 1, 10)


def test_r2_behaviour_code_not_under_its_category_is_rejected():
    """R2: the behaviour code must be one of the policy's examples under the category."""
    with pytest.raises(ValidationError) as error:
        IncidentReport.model_validate(_incident_payload(category="unacceptable_demands", behaviour_code="verbal_abuse"))
    message = str(error.value)
    assert "behaviour_code 'verbal_abuse' is not under category 'unacceptable_demands'" in message
    assert "unreasonable_timescales" in message


def test_r2_other_is_allowed_under_every_category():
    """R2: the policy's examples do not cover everything; `other` is always allowed."""
    for category in Category:
        report = IncidentReport.model_validate(_incident_payload(category=category.value, behaviour_code="other"))
        assert report.category == category


def test_r2_unknown_category_is_rejected():
    """R2: every incident has one of the six categories."""
    with pytest.raises(ValidationError) as error:
        IncidentReport.model_validate(_incident_payload(category="rude"))
    assert error.value.errors()[0]["loc"] == ("category",)


def test_r6_restriction_with_no_measures_is_rejected():
    """R6, R8: a restriction is one or more measures."""
    with pytest.raises(ValidationError) as error:
        RestrictionRequest.model_validate(_restriction_payload(measures=[]))
    [err] = error.value.errors()
    assert err["loc"] == ("measures",)
    assert err["type"] == "too_short"


def test_r6_repeated_measures_are_rejected():
    """R6, R8: each measure once."""
    with pytest.raises(ValidationError, match="measures must not repeat"):
        RestrictionRequest.model_validate(
            _restriction_payload(measures=["single_named_contact", "time_out", "single_named_contact"])
        )


def test_r6_unknown_measure_is_rejected():
    """R6, R8: measures come from the policy's list."""
    with pytest.raises(ValidationError) as error:
        RestrictionRequest.model_validate(_restriction_payload(measures=["banish"]))
    # A measure is a name or an object (policy.measures): the name form is the one that failed.
    assert error.value.errors()[0]["loc"] == ("measures", 0, "name")


def test_r10_restriction_without_reasons_is_rejected():
    """R10: every restriction is explained, with its contact arrangements."""
    for field in ("reasons", "contact_arrangements"):
        with pytest.raises(ValidationError) as error:
            RestrictionRequest.model_validate(_restriction_payload(**{field: ""}))
        assert error.value.errors()[0]["loc"] == (field,)


@pytest.mark.parametrize("bad", ["", "-starts-with-dash", "has space", "a/b", "x" * 65, "ünïcode"])
def test_r1_bad_party_ids_are_rejected(bad):
    """R1: party ids are the case system's ids: letters, digits and . _ : -, at most 64."""
    with pytest.raises(ValidationError) as error:
        IncidentReport.model_validate(_incident_payload(party={"party_id": bad}))
    assert error.value.errors()[0]["loc"] == ("party", "party_id")
    assert error.value.errors()[0]["type"] == "string_pattern_mismatch"
    with pytest.raises(ValidationError) as error:
        RestrictionRequest.model_validate(_restriction_payload(party_id=bad))
    assert error.value.errors()[0]["loc"] == ("party_id",)


def test_r1_good_party_ids_are_accepted():
    """R1: the longest and most varied allowed ids pass."""
    for good in ["p", "P-1", "case:123.4_x", "a" * 64]:
        assert PartyRef(party_id=good).party_id == good


@pytest.mark.parametrize(
    ("model", "payload", "loc"),
    [
        (IncidentReport, _incident_payload(name="Jane Doe"), ("name",)),
        (IncidentReport, _incident_payload(party={"party_id": PARTY_ID, "email": "x@example.org"}), ("party", "email")),
        (RestrictionRequest, _restriction_payload(approved=True), ("approved",)),
        (
            WarningIssue,
            {
                "warning_id": "w1",
                "party_id": PARTY_ID,
                "incident_ids": ["i1"],
                "issued_by": "s",
                "reasons": "r",
                "communicated_at": "2026-03-01T10:00:00Z",
                "expires_at": "2027-01-01T00:00:00Z",
            },
            ("expires_at",),
        ),
    ],
)
def test_r3_extra_fields_are_rejected(model, payload, loc):
    """R3: unknown fields are refused, not silently dropped (no names or stray data on file)."""
    with pytest.raises(ValidationError) as error:
        model.model_validate(payload)
    [err] = error.value.errors()
    assert err["type"] == "extra_forbidden"
    assert err["loc"] == loc


def test_r4_command_needs_at_least_one_incident():
    """R4, R5, R6: an ask, warning or restriction cites at least one incident."""
    with pytest.raises(ValidationError) as error:
        RestrictionRequest.model_validate(_restriction_payload(incident_ids=[]))
    assert error.value.errors()[0]["loc"] == ("incident_ids",)


def test_r2_messages_are_frozen():
    """R2: a validated message cannot be altered afterwards."""
    report = IncidentReport.model_validate(_incident_payload())
    with pytest.raises(ValidationError):
        report.category = Category.ZERO_TOLERANCE  # type: ignore[misc]  # frozen model: the assignment must fail
