"""R4a, without Temporal: a call or meeting ended after an ask, and the ground rules that
future calls or meetings start by agreeing. Not a restriction: no warning, approval or
letter, and no part in R12's dates; six calendar months from when they were agreed, held
open by a similar repeat (as R5a), superseded for good by a restriction in force, or
lifted early by a colleague. The contact gate reads them (policy.contacts)."""

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from holiday_calendar import england_and_wales
from policy import rules
from policy.contacts import ContactAnswer, GateSource, answer_contact, gate_view
from policy.effects import EndedCallSaved
from policy.letters import letters_due
from policy.messages import AskRecord, EndedCall, EndedCallRecord, GroundRulesLift, InboundContact
from policy.need_to_know import Viewer
from policy.refusals import PolicyRefusal
from policy.retention import what_is_live
from policy.state import EndedCallEntry
from policy.timeline import EntryKind, PartyFile, timeline
from policy.vocabulary import (
    Category,
    ContactChannel,
    ContactHandling,
    GroundRulesStatus,
    PartyKind,
    RestrictionStatus,
    Role,
    Stage,
    TaskStatus,
)
from tests.policy_builders import PARTY_ID, Party, incident, restriction, utc, warning

RULES = "Raised voices end the call; we talk about case CASE-1 only."
AGREED = utc(2027, 1, 20, 10)


def _with_ground_rules(party: Party, ended_at: datetime = AGREED, text: str = RULES) -> list:
    """An incident, then an ask whose call was ended, setting ground rules (one message)."""
    party.incident(incident("i1", ended_at - _hours(2)), ended_at)
    record = AskRecord(
        ask_id="a1",
        party_id=PARTY_ID,
        incident_ids=["i1"],
        asked_at=ended_at - _hours(1),
        asked_by="staff-1",
        ended_call=EndedCall(
            ended_at=ended_at, channel=ContactChannel.PHONE, why="Shouting went on.", ground_rules=text
        ),
    )
    return party.ask(record, ended_at)


def _hours(n: int) -> timedelta:
    return timedelta(hours=n)


def _call(at: datetime, channel: ContactChannel = ContactChannel.PHONE, contact_id: str = "c1") -> InboundContact:
    return InboundContact(contact_id=contact_id, party_id=PARTY_ID, received_at=at, channel=channel)


def _gate(party: Party, contact: InboundContact) -> ContactAnswer:
    return answer_contact(
        gate_view(party.state),
        contact,
        calendar=england_and_wales(2026, 2030),
        prior_contacts={},
        answered_from=GateSource.WORKFLOW,
        answered_at=contact.received_at,
    )


def _rules(party: Party) -> EndedCallEntry:
    [call] = party.state.ended_calls
    return call


def test_r4a_an_ask_with_an_ended_call_and_ground_rules_then_a_call_at_the_gate_starts_by_agreeing_them():
    party = Party()
    effects = _with_ground_rules(party)
    call = _rules(party)
    assert call.call_id == "a1" and call.ask_id == "a1" and call.categories == [Category.AGGRESSIVE_OR_ABUSIVE]
    assert call.ground_rules is not None and call.ground_rules.status == GroundRulesStatus.STANDING
    assert call.ground_rules.until == utc(2027, 7, 20, 9)  # six calendar months, 10:00 London in BST
    assert any(isinstance(e, EndedCallSaved) for e in effects)

    answer = _gate(party, _call(utc(2027, 2, 1, 10)))
    assert answer.handling == ContactHandling.RESPOND and answer.reply  # as usual
    assert answer.possible_breach is None
    [note] = answer.notes
    assert note.startswith("start the call by agreeing the ground rules") and f'"{RULES}"' in note
    assert "R4a" in answer.rules and answer.rules == sorted(answer.rules, key=lambda r: (int(r[1:].rstrip("a")), r))
    meeting = _gate(party, _call(utc(2027, 2, 1, 10), ContactChannel.IN_PERSON))
    assert meeting.notes[0].startswith("start the meeting by agreeing")
    # Letters, emails and web forms are unaffected.
    for written in (ContactChannel.EMAIL, ContactChannel.LETTER, ContactChannel.WEB_FORM):
        assert _gate(party, _call(utc(2027, 2, 1, 10), written)).notes == []
    # Before the call was ended, they did not stand.
    assert _gate(party, _call(AGREED - _hours(1))).notes == []


def test_r4a_none_of_this_needs_or_moves_a_restriction():
    party = Party()
    effects = _with_ground_rules(party)
    state = party.state
    assert state.stage == Stage.ASKED and state.warnings == [] and state.restrictions == []
    assert not any(t.status == TaskStatus.OPEN and t.kind != "colleague_support" for t in state.tasks)
    assert letters_due(state, effects) == []  # no restriction letter (R10)
    # The party stays awake for them, and retention sees them live (R3).
    assert rules.next_deadline(state, AGREED + _hours(24 * 40)) == _rules(party).ground_rules.until
    assert "1 set(s) of ground rules standing (R4a)" in what_is_live(state, AGREED)

    # With a restriction in force, ground rules recorded later are superseded at once and move no date (R12).
    party.incident(incident("i2", utc(2027, 2, 1)), utc(2027, 2, 1))
    party.warn(warning("w1", ["i2"], utc(2027, 2, 2)), utc(2027, 2, 2))
    party.incident(incident("i3", utc(2027, 3, 1)), utc(2027, 3, 1))
    party.restrict(restriction("r1", ["i3"], utc(2027, 3, 2)), utc(2027, 3, 2))
    [r] = state.restrictions
    ends = r.ends_at
    late = EndedCallRecord(
        call_id="call-2",
        party_id=PARTY_ID,
        ask_id="a1",
        ended_at=utc(2027, 3, 3),
        channel=ContactChannel.IN_PERSON,
        why="It went on.",
        ground_rules="Be civil.",
        ended_by="staff-4",
    )
    rules.check_ended_call(state, late, utc(2027, 3, 3))
    rules.apply_ended_call(state, late, utc(2027, 3, 3))
    new = state.ended_call("call-2")
    assert new is not None and new.ground_rules is not None
    assert new.ground_rules.status == GroundRulesStatus.SUPERSEDED and new.ground_rules.ended_by == "r1"
    assert r.ends_at == ends and r.status == RestrictionStatus.IN_FORCE


def test_r4a_r5a_a_similar_repeat_holds_them_open_and_six_months_after_the_last_instance_they_lapse():
    party = Party()
    _with_ground_rules(party)
    # Other behaviour does not hold them open (R20).
    other = incident("i2", utc(2027, 6, 1), Category.UNACCEPTABLE_DEMANDS)
    outcome, _ = party.incident(other, utc(2027, 6, 1))
    assert outcome.ground_rules_held_open == {}
    outcome, effects = party.incident(incident("i3", utc(2027, 7, 10, 9)), utc(2027, 7, 10, 9))
    # R5a's example: 10:00 London on the day of the repeat, six calendar months on.
    held_until = utc(2028, 1, 10, 10)
    assert outcome.ground_rules_held_open == {"a1": held_until}
    assert any(isinstance(e, EndedCallSaved) for e in effects)
    rules_now = _rules(party).ground_rules
    assert rules_now is not None and rules_now.held_open_by_incident_id == "i3"

    party.advance(utc(2027, 12, 1))
    assert rules_now.status == GroundRulesStatus.STANDING
    assert _gate(party, _call(held_until - _hours(1))).notes != []
    party.advance(held_until)
    assert rules_now.status == GroundRulesStatus.LAPSED and rules_now.ended_at == held_until
    assert _gate(party, _call(held_until)).notes == []
    assert not any("ground rules" in live for live in what_is_live(party.state, utc(2028, 3, 1)))
    # A repeat after they lapsed does not bring them back.
    party.incident(incident("i4", utc(2028, 2, 1)), utc(2028, 2, 1))
    assert rules_now.status == GroundRulesStatus.LAPSED


def test_r4a_a_restriction_in_force_supersedes_them_and_they_do_not_return_when_it_ends():
    party = Party()
    _with_ground_rules(party)
    party.incident(incident("i2", utc(2027, 2, 1)), utc(2027, 2, 1))
    party.warn(warning("w1", ["i2"], utc(2027, 2, 2)), utc(2027, 2, 2))
    party.incident(incident("i3", utc(2027, 3, 1)), utc(2027, 3, 1))
    party.restrict(restriction("r1", ["i3"], utc(2027, 3, 2)), utc(2027, 3, 2))
    rules_now = _rules(party).ground_rules
    assert rules_now is not None and rules_now.status == GroundRulesStatus.SUPERSEDED
    assert rules_now.ended_at == utc(2027, 3, 2) and "restriction r1" in (rules_now.end_reason or "")
    assert _gate(party, _call(utc(2027, 3, 1, 12))).notes != []  # before the restriction began
    assert not any("ground rules set when call" in n for n in _gate(party, _call(utc(2027, 3, 5))).notes)

    [r] = party.state.restrictions
    assert r.ends_at is not None
    party.advance(r.ends_at)
    assert r.status == RestrictionStatus.EXPIRED and rules_now.status == GroundRulesStatus.SUPERSEDED
    assert _gate(party, _call(r.ends_at + _hours(1))).notes == []


def test_r4a_r15_a_zero_tolerance_stop_supersedes_them_too():
    party = Party()
    _with_ground_rules(party)
    party.incident(incident("z1", utc(2027, 2, 1), Category.ZERO_TOLERANCE), utc(2027, 2, 1))
    assert _rules(party).ground_rules.status == GroundRulesStatus.SUPERSEDED


def test_r4a_lifted_by_a_colleague_they_are_gone():
    party = Party()
    _with_ground_rules(party)
    lift = GroundRulesLift(
        party_id=PARTY_ID, call_id="a1", lifted_at=utc(2027, 3, 1), lifted_by="staff-9", reason="Calls are calm now."
    )
    rules.check_ground_rules_lift(party.state, lift, utc(2027, 3, 1))
    assert rules.apply_ground_rules_lift(party.state, lift, utc(2027, 3, 1))
    gone = _rules(party).ground_rules
    assert gone is not None and gone.status == GroundRulesStatus.LIFTED and gone.ended_by == "staff-9"
    assert _gate(party, _call(utc(2027, 3, 2))).notes == []
    assert not any("ground rules" in live for live in what_is_live(party.state, utc(2027, 4, 2)))
    # The same lift again changes nothing; lifting what no longer stands, or what is not there, is refused.
    rules.check_ground_rules_lift(party.state, lift, utc(2027, 3, 2))
    assert rules.apply_ground_rules_lift(party.state, lift, utc(2027, 3, 2)) == []
    with pytest.raises(PolicyRefusal, match="R4a: no ended call nope"):
        rules.check_ground_rules_lift(party.state, lift.model_copy(update={"call_id": "nope"}), utc(2027, 3, 2))
    lapsed = Party()
    _with_ground_rules(lapsed)
    lapsed.advance(utc(2027, 8, 1))
    with pytest.raises(PolicyRefusal, match="no longer stand: lapsed on 20 July 2027"):
        rules.check_ground_rules_lift(lapsed.state, lift, utc(2027, 8, 1))


def test_r4a_an_ended_call_follows_an_ask_on_file_and_is_not_in_the_future():
    party = Party()
    party.incident(incident("i1", utc(2027, 1, 1)), utc(2027, 1, 1))
    record = EndedCallRecord(
        call_id="call-1",
        party_id=PARTY_ID,
        ask_id="a1",
        ended_at=utc(2027, 1, 2),
        channel=ContactChannel.PHONE,
        why="Insults went on.",
        ended_by="staff-1",
    )
    with pytest.raises(PolicyRefusal, match="R4a: ask a1 is not on party party-1's file"):
        rules.check_ended_call(party.state, record, utc(2027, 1, 3))
    party.ask(AskRecord(ask_id="a1", party_id=PARTY_ID, incident_ids=["i1"], asked_at=utc(2027, 1, 2, 12),
                        asked_by="staff-1"), utc(2027, 1, 3))  # fmt: skip
    with pytest.raises(PolicyRefusal, match="R4a: a call or meeting is ended after the request to stop"):
        rules.check_ended_call(party.state, record, utc(2027, 1, 3))
    later = record.model_copy(update={"ended_at": utc(2027, 1, 4)})
    with pytest.raises(PolicyRefusal, match="R3: ended_at"):
        rules.check_ended_call(party.state, later, utc(2027, 1, 3))
    with pytest.raises(PolicyRefusal, match="R4a: call_id a1 is an ask's id"):
        rules.check_ended_call(party.state, later.model_copy(update={"call_id": "a1"}), utc(2027, 1, 5))
    rules.check_ended_call(party.state, later, utc(2027, 1, 5))
    rules.apply_ended_call(party.state, later, utc(2027, 1, 5))
    call = party.state.ended_call("call-1")
    assert call is not None and call.ground_rules is None  # ended, no ground rules set
    assert rules.apply_ended_call(party.state, later, utc(2027, 1, 6)) == []  # once
    assert not any("ground rules" in live for live in what_is_live(party.state, utc(2027, 3, 1)))


def test_r4a_bad_input_is_refused_naming_the_field():
    ended = {"ended_at": "2027-01-02T10:00:00+00:00", "channel": "email", "why": "x"}
    with pytest.raises(ValidationError) as err:
        EndedCall.model_validate(ended)
    assert err.value.errors()[0]["loc"] == ("channel",)
    with pytest.raises(ValidationError, match="ground_rules"):
        EndedCall.model_validate(ended | {"channel": "phone", "ground_rules": "x" * 4001})
    with pytest.raises(ValidationError, match="ground_rules"):
        EndedCall.model_validate(ended | {"channel": "phone", "ground_rules": "   "})
    with pytest.raises(ValidationError, match=r"ended_call\.ended_at: a call is ended after the request"):
        AskRecord.model_validate(
            {
                "ask_id": "a1",
                "party_id": PARTY_ID,
                "incident_ids": ["i1"],
                "asked_at": "2027-01-03T10:00:00+00:00",
                "asked_by": "s",
                "ended_call": ended | {"channel": "phone"},
            }
        )


def test_r4a_the_timeline_shows_the_ended_call_and_its_ground_rules():
    party = Party()
    _with_ground_rules(party)
    party.advance(utc(2027, 8, 1))
    file = PartyFile(
        party_id=PARTY_ID, kind=PartyKind.INDIVIDUAL, stage=party.state.stage, ended_calls=party.state.ended_calls
    )
    entries = timeline(file, "Europe/London", Viewer(staff_id="m", roles=frozenset({Role.MANAGER})))
    ended, lapsed = entries
    assert ended.kind == EntryKind.ENDED_CALL and ended.title == "Call ended, the behaviour continued (R4a)"
    assert {f.label: f.text for f in ended.facts}["Ground rules for future calls and meetings"] == RULES
    assert lapsed.kind == EntryKind.GROUND_RULES_ENDED and lapsed.title == "Ground rules lapsed (R4a)"
