"""The contact gate's answers, without Temporal (R8, R9, R12, R15, R17, R19).

`policy.contacts.answer_contact` is pure: these tests give it a party's gate
view, a contact, the real England and Wales bank holidays and the counts a
volume limit needs, and check the one answer. Bank holidays used (gov.uk):
Christmas 2026 Fri 25 Dec, Boxing Day substitute Mon 28 Dec, New Year's Day
Fri 1 Jan 2027; Easter 2027 Good Friday 26 Mar, Easter Monday 29 Mar. Summer
time 2027 starts Sun 28 Mar at 01:00 UTC.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from holiday_calendar import england_and_wales
from policy import rules
from policy.contacts import (
    ContactAnswer,
    GateSource,
    GateView,
    answer_contact,
    calendar_years,
    gate_view,
    limit_period,
    limit_periods,
)
from policy.messages import CaseClosure, InboundContact, RestrictionRequest
from policy.state import RestrictionEntry
from policy.vocabulary import (
    REPLYING_HANDLINGS,
    Category,
    ContactChannel,
    ContactHandling,
    ContactPeriod,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
)
from policy.working_days import is_working_day
from tests.policy_builders import PARTY_ID, Party, incident, restriction, utc, warning

LONDON = ZoneInfo("Europe/London")
DECIDED = utc(2026, 5, 1, 9)
ARRANGEMENTS = "Write to your caseworker, staff-7, by email only."


def london(y: int, m: int, d: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=LONDON)


def in_force(*measures: Any, restriction_id: str = "r1", starts_at: datetime = DECIDED) -> RestrictionEntry:
    """A restriction in force from `starts_at`, its measures validated as a request's are. It ends two
    years later: these tests look at the gate, not at when a restriction ends (R12)."""
    request = RestrictionRequest(
        restriction_id=restriction_id,
        party_id=PARTY_ID,
        incident_ids=["i1"],
        measures=list(measures),
        proposed_by="staff-3",
        reasons="Abuse continued while a warning was in place.",
        contact_arrangements=ARRANGEMENTS,
        decided_at=starts_at,
    )
    return RestrictionEntry(
        restriction_id=restriction_id,
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=["i1"],
        measures=request.measure_names,
        terms=request.terms,
        grounds=RestrictionGrounds.WARNING_IN_PLACE,
        status=RestrictionStatus.IN_FORCE,
        proposed_by="staff-3",
        reasons=request.reasons,
        contact_arrangements=request.contact_arrangements,
        decided_at=starts_at,
        last_instance_at=starts_at,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(days=730),
    )


def view(*restrictions: RestrictionEntry, closed: Sequence[CaseClosure] = ()) -> GateView:
    state = Party().state
    state.restrictions = list(restrictions)
    for closure in closed:
        rules.apply_case_closure(state, closure, closure.closed_at)
    return gate_view(state)


def contact(received_at: datetime, channel: ContactChannel = ContactChannel.EMAIL, **fields: Any) -> InboundContact:
    return InboundContact(
        contact_id=fields.pop("contact_id", "c-1"),
        party_id=fields.pop("party_id", PARTY_ID),
        received_at=received_at,
        channel=channel,
        **fields,
    )


def answer(gate: GateView, arrived: InboundContact, prior: dict | None = None) -> ContactAnswer:
    return answer_contact(
        gate,
        arrived,
        calendar=england_and_wales(*calendar_years(gate, arrived)),
        prior_contacts=prior or {},
        answered_from=GateSource.WORKFLOW,
        answered_at=arrived.received_at,
    )


# --- R19: respond-by dates in working days ---------------------------------------------------


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        pytest.param(london(2026, 12, 23), date(2027, 1, 11), id="Wed 23 Dec 2026: over Christmas and New Year"),
        pytest.param(london(2026, 12, 24, 16), date(2027, 1, 12), id="Christmas Eve: Tue 12 Jan"),
        pytest.param(london(2026, 12, 25), date(2027, 1, 12), id="Christmas Day: counted from the day, Tue 12 Jan"),
        pytest.param(london(2027, 3, 25), date(2027, 4, 12), id="Thu 25 Mar 2027: over Easter, Mon 12 Apr"),
        pytest.param(london(2027, 3, 26), date(2027, 4, 12), id="Good Friday: Mon 12 Apr"),
        pytest.param(london(2026, 6, 13), date(2026, 6, 26), id="Saturday: Fri 26 Jun"),
        pytest.param(
            datetime(2026, 6, 10, 23, 30, tzinfo=UTC), date(2026, 6, 25), id="23:30 UTC is Thursday in London"
        ),
    ],
)
def test_r19_nothing_live_respond_within_the_usual_10_working_days(received, expected):
    """R19: with no restriction a party still gets the usual 10 working days, on London dates."""
    got = answer(view(), contact(received))
    assert got.handling == ContactHandling.RESPOND and got.reply
    assert got.respond_by == expected
    assert got.rules == ["R19"]
    assert got.possible_breach is None and got.measures[-1].rule == "R19"


def test_r19_r8_extended_response_time_in_working_days_across_christmas():
    """R8, R19: the extended response time replaces the usual 10 working days."""
    gate = view(in_force({"measure": "extended_response_time", "working_days": 20}))
    got = answer(gate, contact(london(2026, 12, 23)))
    # Thu 24 Dec, then Tue 29 Dec onwards, skipping New Year's Day: the 20th is Mon 25 Jan.
    assert got.handling == ContactHandling.RESPOND and got.respond_by == date(2027, 1, 25)
    assert got.rules == ["R8", "R19"]
    assert "extended response time of restriction r1" in got.measures[-1].says


def test_r19_r8_ten_working_days_from_the_most_recent_contact():
    """R8: "10 working days from the most recent contact": this one, and one reply answers those before."""
    gate = view(in_force({"measure": "extended_response_time", "from_latest_contact": True}))
    got = answer(gate, contact(london(2027, 3, 25)))
    assert got.respond_by == date(2027, 4, 12)
    assert "one reply 10 working days from the most recent contact" in got.measures[-1].says


def test_r19_the_longest_extended_response_time_in_force_applies():
    gate = view(
        in_force({"measure": "extended_response_time", "working_days": 15}),
        in_force({"measure": "extended_response_time", "working_days": 30}, restriction_id="r2"),
    )
    got = answer(gate, contact(london(2026, 6, 1)))
    assert got.respond_by == date(2026, 7, 13)


# --- R8: each measure's answer ----------------------------------------------------------------


def test_r8_single_named_contact_routes_to_the_named_colleague():
    gate = view(in_force({"measure": "single_named_contact", "named_contact": "staff-7"}))
    to_them = answer(gate, contact(london(2026, 6, 1), to_whom="staff-7"))
    assert to_them.handling == ContactHandling.RESPOND and to_them.possible_breach is None

    general = answer(gate, contact(london(2026, 6, 1)))
    assert general.handling == ContactHandling.ROUTE_TO_NAMED_CONTACT and general.route_to == "staff-7"
    assert general.reply and general.respond_by == date(2026, 6, 15)
    assert general.possible_breach is None  # a general address is not another colleague

    elsewhere = answer(gate, contact(london(2026, 6, 1), to_whom="staff-9"))
    assert elsewhere.handling == ContactHandling.ROUTE_TO_NAMED_CONTACT
    assert elsewhere.possible_breach.measures == [Measure.SINGLE_NAMED_CONTACT]
    assert "R12" in elsewhere.rules


def test_r8_single_contact_channel_accepts_only_the_allowed_channel():
    gate = view(in_force({"measure": "single_contact_channel", "channels": ["email"]}))
    assert answer(gate, contact(london(2026, 6, 1))).handling == ContactHandling.RESPOND
    call = answer(gate, contact(london(2026, 6, 1), ContactChannel.PHONE))
    assert call.handling == ContactHandling.REPLY_WITH_ARRANGEMENTS
    assert call.reply and call.respond_by == date(2026, 6, 15)
    assert call.arrangements == [ARRANGEMENTS]
    assert call.possible_breach.restriction_ids == ["r1"]
    assert call.possible_breach.categories == [Category.AGGRESSIVE_OR_ABUSIVE]
    assert "attempted instance" in call.possible_breach.explanation
    assert "reports nothing by itself" in call.possible_breach.explanation


def test_r8_read_and_file_without_reply_unless_a_new_complaint():
    gate = view(in_force("read_and_file_without_reply"))
    filed = answer(gate, contact(london(2026, 6, 1)))
    assert filed.handling == ContactHandling.READ_AND_FILE
    assert not filed.reply and filed.respond_by is None and filed.rules == ["R8"]
    complaint = answer(gate, contact(london(2026, 6, 1), raises_new_complaint=True))
    assert complaint.handling == ContactHandling.RESPOND and complaint.respond_by == date(2026, 6, 15)


def test_r8_return_posted_letters():
    gate = view(in_force("return_posted_letters"))
    letter = answer(gate, contact(london(2026, 6, 1), ContactChannel.LETTER))
    assert letter.handling == ContactHandling.RETURN_LETTER and letter.respond_by is None
    assert letter.possible_breach is not None
    assert answer(gate, contact(london(2026, 6, 1))).handling == ContactHandling.RESPOND


def test_r8_block_emails_or_refuse_calls():
    gate = view(in_force({"measure": "block_emails_or_refuse_calls", "channels": ["phone"]}))
    call = answer(gate, contact(london(2026, 6, 1), ContactChannel.PHONE))
    assert call.handling == ContactHandling.REFUSE_OR_BLOCK and not call.reply
    assert call.possible_breach is not None
    assert answer(gate, contact(london(2026, 6, 1))).handling == ContactHandling.RESPOND


def test_r8_contact_only_through_the_third_party():
    gate = view(in_force({"measure": "contact_through_third_party", "third_party": "advocate-3"}))
    through = answer(gate, contact(london(2026, 6, 1), via_third_party="advocate-3"))
    assert through.handling == ContactHandling.RESPOND
    direct = answer(gate, contact(london(2026, 6, 1)))
    assert direct.handling == ContactHandling.ONLY_THROUGH_THIRD_PARTY and direct.reply
    assert "advocate-3" in direct.explanation and direct.possible_breach is not None


def test_r8_restrict_issues_answers_only_the_allowed_issues():
    gate = view(in_force({"measure": "restrict_issues", "issues": ["CASE-1", "CASE-2"]}))
    assert answer(gate, contact(london(2026, 6, 1), case_reference="CASE-2")).handling == ContactHandling.RESPOND
    other = answer(gate, contact(london(2026, 6, 1), case_reference="CASE-9"))
    assert other.handling == ContactHandling.ANSWER_ALLOWED_ISSUES_ONLY and other.reply
    assert other.possible_breach is not None
    unknown = answer(gate, contact(london(2026, 6, 1)))
    assert unknown.handling == ContactHandling.ANSWER_ALLOWED_ISSUES_ONLY and unknown.possible_breach is None
    complaint = answer(gate, contact(london(2026, 6, 1), case_reference="CASE-9", raises_new_complaint=True))
    assert complaint.handling == ContactHandling.RESPOND


def test_r8_time_out_holds_the_contact_until_it_ends():
    """R8 time out: work on the case is paused; the reply is due 10 working days after it ends."""
    ends = london(2026, 12, 23, 17)
    gate = view(in_force({"measure": "time_out", "ends_at": ends.isoformat()}))
    held = answer(gate, contact(london(2026, 12, 1)))
    assert held.handling == ContactHandling.HOLD_UNTIL_TIME_OUT_ENDS
    assert held.hold_until == ends.astimezone(UTC)
    assert held.respond_by == date(2027, 1, 11)  # 10 working days after Wed 23 Dec, over Christmas
    assert "23 December 2026" in held.explanation and held.possible_breach is None
    after = answer(gate, contact(london(2026, 12, 23, 18)))
    assert after.handling == ContactHandling.RESPOND and after.hold_until is None
    complaint = answer(gate, contact(london(2026, 12, 1), raises_new_complaint=True))
    assert complaint.handling == ContactHandling.RESPOND


def test_r8_a_time_out_ending_next_year_gets_that_years_calendar():
    ends = london(2027, 3, 24, 17)
    gate = view(in_force({"measure": "time_out", "ends_at": ends.isoformat()}))
    arrived = contact(london(2026, 12, 1))
    assert calendar_years(gate, arrived) == (2026, 2028)
    assert answer(gate, arrived).respond_by == date(2027, 4, 9)  # over Easter 2027


def test_r8_volume_limit_counts_the_contacts_logged_in_the_period():
    gate = view(in_force({"measure": "restrict_time_or_volume", "max_contacts": 2, "per": "week"}))
    arrived = contact(london(2026, 6, 3))  # a Wednesday
    [week] = limit_periods(gate, arrived)
    assert week == (london(2026, 6, 1, 0), london(2026, 6, 8, 0))
    assert answer(gate, arrived, {week: 1}).handling == ContactHandling.RESPOND
    over = answer(gate, arrived, {week: 2})
    assert over.handling == ContactHandling.OVER_VOLUME_LIMIT and not over.reply and over.respond_by is None
    assert "2 per week" in over.explanation and over.possible_breach is not None


def test_r8_volume_limit_across_a_period_boundary_in_london_time():
    """R8: a week is Monday to Sunday in London. Sun 28 Mar 2027 22:30 UTC is 23:30 BST on
    Sunday; 23:30 UTC is 00:30 BST on Monday, a new week, though both are Sunday in UTC."""
    gate = view(in_force({"measure": "restrict_time_or_volume", "max_contacts": 1, "per": "week"}))
    sunday = contact(datetime(2027, 3, 28, 22, 30, tzinfo=UTC), contact_id="c-sun")
    monday = contact(datetime(2027, 3, 28, 23, 30, tzinfo=UTC), contact_id="c-mon")
    [old_week] = limit_periods(gate, sunday)
    [new_week] = limit_periods(gate, monday)
    assert old_week.ends_at == new_week.starts_at == datetime(2027, 3, 28, 23, 0, tzinfo=UTC)
    # The log as the gate service counts it: contacts received in each period.
    log = [datetime(2027, 3, 24, 9, tzinfo=UTC), sunday.received_at]

    def counted(period, arrived):
        return {period: sum(1 for at in log if period.starts_at <= at < period.ends_at and at != arrived.received_at)}

    assert answer(gate, sunday, counted(old_week, sunday)).handling == ContactHandling.OVER_VOLUME_LIMIT
    assert answer(gate, monday, counted(new_week, monday)).handling == ContactHandling.RESPOND


@pytest.mark.parametrize(
    ("per", "at", "starts", "ends"),
    [
        (ContactPeriod.DAY, london(2027, 3, 28, 12), london(2027, 3, 28, 0), london(2027, 3, 29, 0)),
        (ContactPeriod.WEEK, london(2026, 10, 25, 12), london(2026, 10, 19, 0), london(2026, 10, 26, 0)),
        (ContactPeriod.MONTH, london(2027, 2, 14), london(2027, 2, 1, 0), london(2027, 3, 1, 0)),
        (ContactPeriod.MONTH, london(2026, 12, 31, 23), london(2026, 12, 1, 0), london(2027, 1, 1, 0)),
    ],
    ids=["day-of-the-clocks-change", "week-ending-on-the-clocks-change", "february", "december"],
)
def test_r8_limit_periods_are_local_days_weeks_and_months(per, at, starts, ends):
    assert limit_period(at, per, "Europe/London") == (starts, ends)


def test_r8_contact_outside_the_allowed_times():
    window = {"days": ["monday", "thursday"], "starts": "10:00", "ends": "12:00"}
    gate = view(in_force({"measure": "restrict_time_or_volume", "windows": [window]}))
    assert answer(gate, contact(london(2026, 6, 1, 11), ContactChannel.PHONE)).handling == ContactHandling.RESPOND
    late = answer(gate, contact(london(2026, 6, 1, 12, 5), ContactChannel.PHONE))
    assert late.handling == ContactHandling.OUTSIDE_CONTACT_TIMES and late.possible_breach is not None
    assert "monday, thursday 10:00-12:00" in late.explanation
    tuesday = answer(gate, contact(london(2026, 6, 2, 11), ContactChannel.PHONE))
    assert tuesday.handling == ContactHandling.OUTSIDE_CONTACT_TIMES


def test_r8_r4_measures_that_shape_the_reply_are_notes():
    gate = view(in_force("ground_rules_for_calls", "withhold_contact_details", "return_correspondence_highlighted"))
    call = answer(gate, contact(london(2026, 6, 1), ContactChannel.PHONE))
    assert call.handling == ContactHandling.RESPOND
    assert call.notes == [
        "start the call by agreeing the ground rules for it (R4)",
        "do not give colleagues' direct contact details or names",
    ]
    email = answer(gate, contact(london(2026, 6, 1)))
    assert any("highlighted" in n for n in email.notes) and not any("ground rules" in n for n in email.notes)


def test_r8_a_measure_without_parameters_says_see_the_arrangements_quoting_them():
    """R8: restrictions made before measures had parameters keep working."""
    gate = view(in_force("single_named_contact", "single_contact_channel"))
    got = answer(gate, contact(london(2026, 6, 1), ContactChannel.PHONE))
    assert got.handling == ContactHandling.SEE_ARRANGEMENTS and got.reply
    assert f'"{ARRANGEMENTS}"' in got.explanation and got.arrangements == [ARRANGEMENTS]
    assert got.respond_by == date(2026, 6, 15)
    assert {m.measure for m in got.measures if m.rule == "R8"} == {
        Measure.SINGLE_NAMED_CONTACT,
        Measure.SINGLE_CONTACT_CHANNEL,
    }
    assert all(m.terms is None for m in got.measures)
    assert got.possible_breach is None  # nobody can tell without the parameters


def test_r8_the_strongest_measure_decides_and_every_measure_is_listed():
    gate = view(
        in_force(
            {"measure": "single_named_contact", "named_contact": "staff-7"},
            {"measure": "block_emails_or_refuse_calls", "channels": ["email"]},
            {"measure": "extended_response_time", "working_days": 20},
        )
    )
    got = answer(gate, contact(london(2026, 6, 1), to_whom="staff-9"))
    assert got.handling == ContactHandling.REFUSE_OR_BLOCK and got.respond_by is None
    assert [m.measure for m in got.measures] == [
        Measure.SINGLE_NAMED_CONTACT,
        Measure.BLOCK_EMAILS_OR_REFUSE_CALLS,
        Measure.EXTENDED_RESPONSE_TIME,
    ]
    assert got.possible_breach.measures == [Measure.SINGLE_NAMED_CONTACT, Measure.BLOCK_EMAILS_OR_REFUSE_CALLS]


def test_r8_r12_only_restrictions_in_force_when_the_contact_arrived_count():
    ended = in_force({"measure": "single_contact_channel", "channels": ["email"]})
    ended.status = RestrictionStatus.EXPIRED
    ended.ended_at = ended.ends_at = utc(2026, 12, 1)
    gate = view(ended)
    assert answer(gate, contact(london(2026, 11, 30), ContactChannel.PHONE)).handling != ContactHandling.RESPOND
    assert answer(gate, contact(london(2026, 12, 2), ContactChannel.PHONE)).handling == ContactHandling.RESPOND
    before = answer(gate, contact(DECIDED - timedelta(minutes=1), ContactChannel.PHONE))
    assert before.handling == ContactHandling.RESPOND and before.measures[0].rule == "R19"


def test_r7_a_restriction_awaiting_approval_is_not_in_force_at_the_gate():
    waiting = in_force({"measure": "single_contact_channel", "channels": ["email"]})
    waiting.status, waiting.starts_at, waiting.ends_at = RestrictionStatus.AWAITING_APPROVAL, None, None
    state = Party().state
    state.restrictions = [waiting]
    assert gate_view(state).restrictions == []


# --- R9, R15: contact stopped -----------------------------------------------------------------


def test_r15_zero_tolerance_stops_direct_contact_at_the_gate():
    p = Party()
    p.incident(incident("z1", utc(2026, 6, 1, 9), Category.ZERO_TOLERANCE), utc(2026, 6, 1, 10))
    gate = gate_view(p.state)
    email = answer(gate, contact(london(2026, 6, 2)))
    assert email.handling == ContactHandling.REFUSE_OR_BLOCK and email.rules == ["R12", "R15"]
    assert email.possible_breach.categories == [Category.ZERO_TOLERANCE]
    letter = answer(gate, contact(london(2026, 6, 2), ContactChannel.LETTER))
    assert letter.handling == ContactHandling.RETURN_LETTER
    advocate = answer(gate, contact(london(2026, 6, 2), via_third_party="advocate-1"))
    assert advocate.handling == ContactHandling.RESPOND  # only direct contact is stopped


def test_r9_block_all_contact_stop_work_and_refuse_further_complaints():
    blocked = view(in_force("block_all_contact"))
    through = answer(blocked, contact(london(2026, 6, 1), via_third_party="advocate-1"))
    assert through.handling == ContactHandling.REFUSE_OR_BLOCK and "R9" in through.rules
    stopped = view(in_force("stop_work_on_case", "refuse_further_complaints"))
    assert answer(stopped, contact(london(2026, 6, 1), ContactChannel.PHONE)).handling == ContactHandling.READ_AND_FILE
    complaint = answer(stopped, contact(london(2026, 6, 1), raises_new_complaint=True))
    assert complaint.handling == ContactHandling.DECLINE_NEW_COMPLAINT and complaint.reply


# --- R17: closed cases ------------------------------------------------------------------------


def _closure(case: str = "CASE-1", at: datetime = DECIDED) -> CaseClosure:
    return CaseClosure(party_id=PARTY_ID, case_reference=case, closed_at=at, closed_by="staff-2")


def test_r17_written_contact_about_a_closed_case_is_logged_unread():
    gate = view(closed=[_closure()])
    got = answer(gate, contact(london(2026, 12, 1), case_reference="CASE-1"))
    assert got.handling == ContactHandling.LOG_WITHOUT_READING
    assert not got.reply and got.respond_by is None and got.rules == ["R17"]
    assert "closed on 1 May 2026" in got.explanation and got.possible_breach is None


def test_r17_a_new_complaint_about_a_closed_case_is_handled_normally():
    gate = view(closed=[_closure()])
    got = answer(gate, contact(london(2026, 12, 1), case_reference="CASE-1", raises_new_complaint=True))
    assert got.handling == ContactHandling.RESPOND and got.respond_by == date(2026, 12, 15)


@pytest.mark.parametrize(
    "arrived",
    [
        contact(london(2026, 12, 1), ContactChannel.PHONE, case_reference="CASE-1"),
        contact(london(2026, 12, 1), case_reference="CASE-2"),
        contact(london(2026, 12, 1)),
        contact(DECIDED - timedelta(days=1), case_reference="CASE-1"),
    ],
    ids=["a-call-is-not-written", "another-case", "no-case-given", "before-the-notice"],
)
def test_r17_applies_only_to_written_contact_about_the_case_after_the_notice(arrived):
    assert answer(view(closed=[_closure()]), arrived).handling == ContactHandling.RESPOND


def test_r17_r8_read_and_file_and_a_closed_case_both_mean_no_reply():
    gate = view(in_force("read_and_file_without_reply"), closed=[_closure()])
    got = answer(gate, contact(london(2026, 12, 1), case_reference="CASE-1"))
    assert got.handling == ContactHandling.LOG_WITHOUT_READING  # not even read
    assert got.rules == ["R8", "R17"]


def test_r17_closing_a_case_is_recorded_once():
    state = Party().state
    first = rules.apply_case_closure(state, _closure(), DECIDED)
    again = rules.apply_case_closure(state, _closure(at=DECIDED + timedelta(days=1)), DECIDED)
    assert len(first) == 1 and again == [] and [c.closed_at for c in state.closed_cases] == [DECIDED]


def test_r3_r17_a_closure_dated_in_the_future_is_refused():
    with pytest.raises(rules.PolicyRefusal, match="R3: closed_at"):
        rules.check_case_closure(Party().state, _closure(at=DECIDED + timedelta(days=1)), DECIDED)


# --- bad input --------------------------------------------------------------------------------


def test_gate_refuses_a_contact_for_another_party():
    with pytest.raises(ValueError, match="is for party p-other, not party-1"):
        answer(view(), contact(london(2026, 6, 1), party_id="p-other"))


@pytest.mark.parametrize(
    ("change", "where", "says"),
    [
        ({"channel": "pigeon"}, ("channel",), "Input should be"),
        ({"received_at": "2026-06-01T10:00:00"}, ("received_at",), "time zone offset"),
        ({"received_at": "1780000000"}, ("received_at",), "ISO 8601"),
        ({"received_at": "0001-01-01T00:00:00+00:01"}, ("received_at",), "years 1900 to 2999"),
        ({"party_id": "has space"}, ("party_id",), "pattern"),
        ({"colour": "red"}, ("colour",), "Extra inputs"),
    ],
    ids=["unknown-channel", "naive-datetime", "unix-time", "year-1", "bad-party-id", "unknown-field"],
)
def test_r3_a_malformed_contact_is_refused_naming_the_field(change, where, says):
    good = contact(london(2026, 6, 1)).model_dump(mode="json")
    with pytest.raises(ValidationError) as error:
        InboundContact.model_validate(good | change)
    [problem] = error.value.errors()
    assert problem["loc"] == where and says in problem["msg"]


# --- R8: measures' parameters, validated at the edge ------------------------------------------


def _request(*measures: Any) -> RestrictionRequest:
    return RestrictionRequest.model_validate(
        restriction("r1", ["i1"], DECIDED).model_dump() | {"measures": list(measures)}
    )


@pytest.mark.parametrize(
    ("measures", "loc", "says"),
    [
        ([{"measure": "single_named_contact"}], ("measures", 0, "single_named_contact", "named_contact"), "required"),
        ([{"measure": "single_contact_channel", "channels": []}], None, "at least 1"),
        ([{"measure": "single_contact_channel", "channels": ["pigeon"]}], None, "Input should be"),
        ([{"measure": "block_emails_or_refuse_calls", "channels": ["letter"]}], None, "not letter"),
        ([{"measure": "extended_response_time", "working_days": 10}], None, "greater than 10"),
        ([{"measure": "extended_response_time"}], None, "either working_days"),
        (
            [{"measure": "extended_response_time", "working_days": 20, "from_latest_contact": True}],
            None,
            "not both",
        ),
        ([{"measure": "restrict_time_or_volume", "max_contacts": 3}], None, "per: give the period"),
        ([{"measure": "restrict_time_or_volume"}], None, "give max_contacts and per"),
        (
            [
                {
                    "measure": "restrict_time_or_volume",
                    "windows": [{"days": ["monday"], "starts": "12:00", "ends": "10:00"}],
                }
            ],
            None,
            "ends (10:00:00) must be after starts",
        ),
        ([{"measure": "time_out", "ends_at": "2026-04-01T00:00:00+00:00"}], (), "measures[0].ends_at"),
        ([{"measure": "time_out", "ends_at": "2027-01-01T00:00:00"}], None, "time zone offset"),
        ([{"measure": "time_out", "ends_at": "2027-05-02T00:00:00+00:00"}], (), "at most a year after decided_at"),
        (
            [{"measure": "contact_through_third_party"}],
            ("measures", 0, "contact_through_third_party", "third_party"),
            "required",
        ),
        ([{"measure": "restrict_issues", "issues": ["A", "A"]}], None, "issues must not repeat"),
        ([{"measure": "banish"}], ("measures", 0), "a measure is its name"),
        (["time_out", {"measure": "time_out", "ends_at": "2027-01-01T00:00:00+00:00"}], None, "must not repeat"),
        (
            [
                {"measure": "single_contact_channel", "channels": ["email", "phone"]},
                {"measure": "block_emails_or_refuse_calls", "channels": ["phone"]},
            ],
            None,
            "measures[0].channels: phone cannot be both",
        ),
        (
            [{"measure": "single_contact_channel", "channels": ["letter"]}, "return_posted_letters"],
            None,
            "letter cannot be the one channel",
        ),
        (
            ["block_all_contact", {"measure": "single_named_contact", "named_contact": "staff-7"}],
            None,
            "block_all_contact blocks every contact, so single_named_contact",
        ),
    ],
)
def test_r8_missing_or_contradictory_parameters_are_refused_naming_the_field(measures, loc, says):
    with pytest.raises(ValidationError) as error:
        _request(*measures)
    problem = error.value.errors()[0]
    assert says in problem["msg"], problem
    if loc is not None:
        assert problem["loc"][: len(loc)] == loc


def test_r8_measures_by_name_still_load_and_parameters_are_kept_on_the_restriction():
    """R8: a request naming measures only (every restriction before parameters) is still valid."""
    assert _request("single_named_contact", "time_out").terms == []
    p = Party()
    p.incident(incident("i1", utc(2026, 6, 1)), utc(2026, 6, 1, 1))
    p.warn(warning("w1", ["i1"], utc(2026, 6, 2)), utc(2026, 6, 2, 1))
    p.incident(incident("i2", utc(2026, 6, 5)), utc(2026, 6, 5, 1))
    request = RestrictionRequest.model_validate(
        restriction("r1", ["i2"], utc(2026, 6, 6)).model_dump()
        | {"measures": [{"measure": "single_contact_channel", "channels": ["email"]}, "meeting_about_behaviour"]}
    )
    p.restrict(request, utc(2026, 6, 6, 1))
    [entry] = p.state.restrictions
    assert entry.measures == [Measure.SINGLE_CONTACT_CHANNEL, Measure.MEETING_ABOUT_BEHAVIOUR]
    assert entry.terms_of(Measure.SINGLE_CONTACT_CHANNEL).channels == [ContactChannel.EMAIL]
    assert RestrictionEntry.model_validate(entry.model_dump(mode="json")) == entry
    got = answer(gate_view(p.state), contact(london(2026, 6, 8), ContactChannel.LETTER))
    assert got.handling == ContactHandling.REPLY_WITH_ARRANGEMENTS


# --- properties -------------------------------------------------------------------------------

_MEASURES: list[str | dict[str, Any]] = [
    "read_and_file_without_reply",
    "return_posted_letters",
    "ground_rules_for_calls",
    "stop_work_on_case",
    "single_named_contact",
    {"measure": "single_named_contact", "named_contact": "staff-7"},
    {"measure": "single_contact_channel", "channels": ["email", "web_form"]},
    {"measure": "block_emails_or_refuse_calls", "channels": ["phone"]},
    {"measure": "restrict_issues", "issues": ["CASE-1"]},
    {"measure": "restrict_time_or_volume", "max_contacts": 3, "per": "day"},
    {"measure": "extended_response_time", "working_days": 25},
    {"measure": "extended_response_time", "from_latest_contact": True},
    {"measure": "time_out", "ends_at": "2027-04-01T12:00:00+01:00"},
    {"measure": "contact_through_third_party", "third_party": "advocate-1"},
]


def _measure_set(indices: list[int]) -> list[Any]:
    chosen: dict[str, Any] = {}
    for i in indices:
        item = _MEASURES[i]
        chosen.setdefault(item if isinstance(item, str) else item["measure"], item)
    return list(chosen.values())


@settings(max_examples=300, deadline=None)
@given(
    indices=st.lists(st.integers(0, len(_MEASURES) - 1), max_size=5),
    received=st.datetimes(datetime(2026, 11, 3), datetime(2027, 4, 30), timezones=st.just(UTC)),
    channel=st.sampled_from(list(ContactChannel)),
    to_whom=st.sampled_from([None, "staff-7", "staff-9"]),
    case=st.sampled_from([None, "CASE-1", "CASE-2"]),
    new_complaint=st.booleans(),
    via=st.sampled_from([None, "advocate-1"]),
    earlier=st.integers(0, 5),
    closed=st.booleans(),
)
def test_r8_r17_r19_every_contact_gets_one_consistent_answer(
    indices, received, channel, to_whom, case, new_complaint, via, earlier, closed
):
    """R19: a reply always has a respond-by date, a working day at least 10 working days on;
    no reply has none. R12: a possible breach names only restrictions in force."""
    measures = _measure_set(indices)
    gate = view(*([in_force(*measures)] if measures else []), closed=[_closure()] if closed else [])
    arrived = contact(
        received,
        channel,
        to_whom=to_whom,
        case_reference=case,
        raises_new_complaint=new_complaint,
        via_third_party=via,
    )
    got = answer(gate, arrived, dict.fromkeys(limit_periods(gate, arrived), earlier))
    assert got.reply == (got.handling in REPLYING_HANDLINGS) == (got.respond_by is not None)
    if got.respond_by is not None:
        calendar = england_and_wales(*calendar_years(gate, arrived))
        assert is_working_day(got.respond_by, calendar.days)
        start = (got.hold_until or received).astimezone(LONDON).date()
        assert got.respond_by >= calendar.add_working_days(start, 10)
    if got.possible_breach is not None:
        assert got.possible_breach.restriction_ids == ["r1"] and "R12" in got.rules
    if not indices and not closed:
        assert got.handling == ContactHandling.RESPOND
