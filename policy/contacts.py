"""The contact gate: how to handle an inbound contact, and by when (R8, R9, R15, R17, R19).

`answer_contact` is a pure function of what the gate reads of the party (its
`GateView`: the restrictions that have started, and its closed cases), the
contact, the bank-holiday calendar, and how many contacts the party's log
already holds in the periods a volume limit counts over. The gate service
(`services.contacts`) gathers those where IO is allowed: the view from the
party's workflow by a query, which adds nothing to its history, or from the
party's file when it has no open workflow; the calendar from the `holidays`
library; the counts from the contact log.

One answer per contact: the strongest measure decides the handling (a
stopped contact before a limited one, a limited one before a shaped reply),
every measure that says something about the contact is listed with it, and
a reply has a respond-by date in working days (R19).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, Field

from policy.dates import DEFAULT_TIMEZONE, local_date, written_date, written_day
from policy.measures import (
    PARAMETERS,
    USUAL_RESPONSE_WORKING_DAYS,
    BlockTerms,
    ChannelTerms,
    ContactLimitTerms,
    IssueTerms,
    MeasureTerms,
    NamedContactTerms,
    ResponseTimeTerms,
    StoredTerms,
    ThirdPartyTerms,
    TimeOutTerms,
)
from policy.messages import InboundContact
from policy.state import ClosedCaseEntry, EndedCallEntry, PartyState, RestrictionEntry
from policy.vocabulary import (
    BLOCKABLE_CHANNELS,
    REPLYING_HANDLINGS,
    SEVERE_MEASURES,
    SPOKEN_CHANNELS,
    WRITTEN_CHANNELS,
    Category,
    ContactChannel,
    ContactHandling,
    ContactPeriod,
    Measure,
    Weekday,
)
from policy.working_days import HolidayCalendar


class GateView(BaseModel):
    """What the contact gate reads of a party: small, so the query that returns it is quick."""

    party_id: str
    timezone: str = DEFAULT_TIMEZONE
    restrictions: list[RestrictionEntry] = Field(
        default_factory=list, description="the restrictions that have started (in force, or ended since)"
    )
    closed_cases: list[ClosedCaseEntry] = Field(default_factory=list, description="R17")
    ended_calls: list[EndedCallEntry] = Field(
        default_factory=list, description="R4a: ended calls that set ground rules for future calls or meetings"
    )


class GateSource(StrEnum):
    """Where the gate read the party from."""

    WORKFLOW = "workflow"  # the party's open workflow, by a query
    FILE = "file"  # the party's file: it has no open workflow
    # The party's file: its workflow did not answer within the gate's deadline (a worker
    # down, a long history to replay); the file may lag the workflow by its latest write.
    FILE_FALLBACK = "file_fallback"
    NONE = "none"  # neither: nothing is known of the party


class LimitPeriod(NamedTuple):
    """A local day, week or month, as the instants it starts and ends at."""

    starts_at: datetime
    ends_at: datetime


class AppliedMeasure(BaseModel):
    """A measure (or rule) behind an answer, and what it says about this contact."""

    rule: str = Field(description="R8, R9, R15 (a measure), R17 (a closed case) or R19 (the response target)")
    restriction_id: str | None = None
    measure: Measure | None = None
    terms: StoredTerms | None = Field(default=None, description="its parameters; none: see the arrangements")
    says: str


class PossibleBreach(BaseModel):
    """R12: a contact against a measure may be an attempted instance of the restricted
    behaviour. The case system decides; the gate never reports an incident itself."""

    restriction_ids: list[str]
    measures: list[Measure]
    categories: list[Category] = Field(description="the behaviour those restrictions manage (R20)")
    explanation: str


class ContactAnswer(BaseModel):
    """The gate's one answer for an inbound contact; the contact log keeps it (R3)."""

    contact: InboundContact
    handling: ContactHandling
    reply: bool = Field(description="whether the body replies (to the party, or as the handling says)")
    respond_by: date | None = Field(description="R19: the local (London) date to reply by, if there is a reply")
    explanation: str
    rules: list[str]
    measures: list[AppliedMeasure] = Field(description="every measure (or rule) that says something about it")
    arrangements: list[str] = Field(
        default_factory=list, description="R10: the contact arrangements of the restrictions in force, quoted"
    )
    notes: list[str] = Field(default_factory=list)
    route_to: str | None = Field(default=None, description="the named contact to pass it to")
    hold_until: datetime | None = Field(default=None, description="the end of the time out")
    possible_breach: PossibleBreach | None = None
    answered_from: GateSource
    answered_at: datetime
    duplicate: bool = False


def gate_view(state: PartyState) -> GateView:
    """What the gate reads of a party's state: restrictions that have started, and closed cases."""
    return GateView(
        party_id=state.party.party_id,
        timezone=state.timezone,
        restrictions=[r for r in state.restrictions if r.starts_at is not None],
        closed_cases=state.closed_cases,
        ended_calls=[c for c in state.ended_calls if c.ground_rules is not None],
    )


def limit_period(instant: datetime, per: ContactPeriod, timezone: str) -> LimitPeriod:
    """The local day, week (Monday to Sunday) or month `instant` falls in."""
    day = local_date(instant, timezone)
    if per == ContactPeriod.DAY:
        first, after = day, day + timedelta(days=1)
    elif per == ContactPeriod.WEEK:
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        after = first + relativedelta(months=1)
    zone = ZoneInfo(timezone)
    # Local midnight exists every day in London: clocks change at 01:00 and 02:00.
    return LimitPeriod(datetime.combine(first, time(), zone), datetime.combine(after, time(), zone))


def _in_force(view: GateView, contact: InboundContact) -> list[RestrictionEntry]:
    return [r for r in view.restrictions if r.in_force_at(contact.received_at)]


def limit_periods(view: GateView, contact: InboundContact) -> list[LimitPeriod]:
    """The periods whose logged contacts the gate needs counted for this contact (volume limits)."""
    periods: list[LimitPeriod] = []
    for r in _in_force(view, contact):
        terms = r.terms_of(Measure.RESTRICT_TIME_OR_VOLUME)
        if isinstance(terms, ContactLimitTerms) and terms.per is not None:
            period = limit_period(contact.received_at, terms.per, view.timezone)
            if period not in periods:
                periods.append(period)
    return periods


def calendar_years(view: GateView, contact: InboundContact) -> tuple[int, int]:
    """The years of bank holidays the answer may need: from the contact's, through the year
    after the latest time out in force ends (a reply waits for it; the longest response
    target, 60 working days, never runs past the following year)."""
    first = local_date(contact.received_at, view.timezone).year
    end = _time_out_end(_in_force(view, contact), contact)
    return first, max(first, local_date(end, view.timezone).year if end else first) + 1


@dataclass(frozen=True)
class _Verdict:
    """What one measure (or R17) says about the contact."""

    rank: int
    handling: ContactHandling | None
    says: str
    breach: bool = False


@dataclass(frozen=True)
class _Arrival:
    """The contact with what the measures look at, worked out once."""

    contact: InboundContact
    local: datetime
    counts: dict[LimitPeriod, int]
    timezone: str

    @property
    def written(self) -> bool:
        return self.contact.channel in WRITTEN_CHANNELS


# Strongest first: what stops a contact before anyone reads it, then what
# limits it, then what shapes the reply. The strongest verdict decides.
_RANK: dict[Measure, int] = {
    Measure.BLOCK_ALL_CONTACT: 0,
    Measure.STOP_DIRECT_CONTACT: 0,
    Measure.BLOCK_EMAILS_OR_REFUSE_CALLS: 1,
    Measure.RETURN_POSTED_LETTERS: 1,
    Measure.CONTACT_THROUGH_THIRD_PARTY: 2,
    Measure.SINGLE_CONTACT_CHANNEL: 3,
    Measure.RESTRICT_TIME_OR_VOLUME: 4,
    Measure.REFUSE_FURTHER_COMPLAINTS: 6,
    Measure.READ_AND_FILE_WITHOUT_REPLY: 7,
    Measure.STOP_WORK_ON_CASE: 7,
    Measure.TIME_OUT: 8,
    Measure.RESTRICT_ISSUES: 9,
    Measure.SINGLE_NAMED_CONTACT: 10,
    Measure.EXTENDED_RESPONSE_TIME: 11,
}
_CLOSED_CASE_RANK = 5
_NOTE_RANK = 99

_WEEKDAYS = list(Weekday)


def _stopped(measure: Measure, a: _Arrival) -> _Verdict | None:
    """R15 stops direct contact (a third party may still write); R9 blocks all contact."""
    if measure == Measure.STOP_DIRECT_CONTACT and a.contact.via_third_party is not None:
        return None
    if measure == Measure.STOP_DIRECT_CONTACT:
        what = "direct contact is stopped (R15)"
    else:
        what = "all contact is blocked (R9)"
    if a.contact.channel == ContactChannel.LETTER:
        return _Verdict(0, ContactHandling.RETURN_LETTER, f"{what}: return the letter", breach=True)
    return _Verdict(0, ContactHandling.REFUSE_OR_BLOCK, f"{what}: refuse the call or block the message", breach=True)


def _blocked(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, BlockTerms)
    if a.contact.channel not in terms.channels:
        return None
    what = "calls are refused" if a.contact.channel == ContactChannel.PHONE else "emails are blocked"
    return _Verdict(1, ContactHandling.REFUSE_OR_BLOCK, f"{what}: refuse the call or block the email", breach=True)


def _posted_letter(measure: Measure, a: _Arrival) -> _Verdict | None:
    if a.contact.channel != ContactChannel.LETTER:
        return None
    return _Verdict(1, ContactHandling.RETURN_LETTER, "posted letters are returned: return the letter", breach=True)


def _third_party(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, ThirdPartyTerms)
    if a.contact.via_third_party == terms.third_party:
        return None
    return _Verdict(
        2,
        ContactHandling.ONLY_THROUGH_THIRD_PARTY,
        f"contact is only through {terms.third_party}: reply through them, not to the party directly",
        breach=True,
    )


def _channel(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, ChannelTerms)
    if a.contact.channel in terms.channels:
        return None
    allowed = " or ".join(c.value for c in terms.channels)
    return _Verdict(
        3,
        ContactHandling.REPLY_WITH_ARRANGEMENTS,
        f"contact is by {allowed} only: do not take it up on {a.contact.channel.value}; reply with the arrangements",
        breach=True,
    )


def _time_or_volume(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, ContactLimitTerms)
    if terms.windows and not any(
        _WEEKDAYS[a.local.weekday()] in w.days and w.starts <= a.local.time() < w.ends for w in terms.windows
    ):
        return _Verdict(
            4,
            ContactHandling.OUTSIDE_CONTACT_TIMES,
            f"contact is allowed only {_windows(terms)}: this one is outside those times; do not take it up",
            breach=True,
        )
    if terms.max_contacts is not None and terms.per is not None:
        period = limit_period(a.contact.received_at, terms.per, a.timezone)
        earlier = a.counts.get(period, 0)
        if earlier >= terms.max_contacts:
            return _Verdict(
                4,
                ContactHandling.OVER_VOLUME_LIMIT,
                f"contact is limited to {terms.max_contacts} per {terms.per.value}, and {earlier} are already "
                f"logged in the {terms.per.value} from {written_date(period.starts_at, a.timezone)}: "
                "log it without taking it up",
                breach=True,
            )
    return None


def _windows(terms: ContactLimitTerms) -> str:
    return "; ".join(
        f"{', '.join(d.value for d in w.days)} {w.starts.strftime('%H:%M')}-{w.ends.strftime('%H:%M')}"
        for w in terms.windows
    )


def _refused_complaints(measure: Measure, a: _Arrival) -> _Verdict | None:
    if not a.contact.raises_new_complaint:
        return None
    return _Verdict(6, ContactHandling.DECLINE_NEW_COMPLAINT, "further complaints are refused (R9): decline it")


def _read_and_file(measure: Measure, a: _Arrival) -> _Verdict | None:
    """R8: correspondence is read and filed without reply, unless it raises a new complaint."""
    if not a.written or a.contact.raises_new_complaint:
        return None
    return _Verdict(7, ContactHandling.READ_AND_FILE, "correspondence is read and put on file without a reply")


def _work_stopped(measure: Measure, a: _Arrival) -> _Verdict | None:
    if a.contact.raises_new_complaint:
        return None
    return _Verdict(7, ContactHandling.READ_AND_FILE, "work on the case has stopped (R9): read it and put it on file")


def _time_out(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, TimeOutTerms)
    if a.contact.received_at >= terms.ends_at or a.contact.raises_new_complaint:
        return None
    return _Verdict(
        8,
        ContactHandling.HOLD_UNTIL_TIME_OUT_ENDS,
        f"work on the case is paused until {written_date(terms.ends_at, a.timezone)}: hold it until then",
    )


def _issues(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, IssueTerms)
    reference = a.contact.case_reference
    if a.contact.raises_new_complaint or reference in terms.issues:
        return None
    about = f"case {reference} is not one of them" if reference else "answer only what is about them"
    return _Verdict(
        9,
        ContactHandling.ANSWER_ALLOWED_ISSUES_ONLY,
        f"we correspond only on {', '.join(terms.issues)}: {about}",
        breach=reference is not None,
    )


def _named_contact(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, NamedContactTerms)
    if a.contact.to_whom == terms.named_contact:
        return None
    return _Verdict(
        10,
        ContactHandling.ROUTE_TO_NAMED_CONTACT,
        f"contact is only with {terms.named_contact}: pass it to them",
        # Writing to a general address is not contacting someone else.
        breach=a.contact.to_whom is not None,
    )


def _response_time(terms: MeasureTerms, a: _Arrival) -> _Verdict | None:
    assert isinstance(terms, ResponseTimeTerms)
    if terms.working_days is not None:
        return _Verdict(_NOTE_RANK, None, f"replies are due {terms.working_days} working days after receipt")
    return _Verdict(
        _NOTE_RANK, None, "one reply, 10 working days from the most recent contact, answers the contacts before it"
    )


# What each measure with parameters says about a contact; None: nothing.
_WITH_TERMS: dict[Measure, Callable[[MeasureTerms, _Arrival], _Verdict | None]] = {
    Measure.BLOCK_EMAILS_OR_REFUSE_CALLS: _blocked,
    Measure.CONTACT_THROUGH_THIRD_PARTY: _third_party,
    Measure.SINGLE_CONTACT_CHANNEL: _channel,
    Measure.RESTRICT_TIME_OR_VOLUME: _time_or_volume,
    Measure.TIME_OUT: _time_out,
    Measure.RESTRICT_ISSUES: _issues,
    Measure.SINGLE_NAMED_CONTACT: _named_contact,
    Measure.EXTENDED_RESPONSE_TIME: _response_time,
}
assert set(_WITH_TERMS) == set(PARAMETERS)

_WITHOUT_TERMS: dict[Measure, Callable[[Measure, _Arrival], _Verdict | None]] = {
    Measure.STOP_DIRECT_CONTACT: _stopped,
    Measure.BLOCK_ALL_CONTACT: _stopped,
    Measure.RETURN_POSTED_LETTERS: _posted_letter,
    Measure.REFUSE_FURTHER_COMPLAINTS: _refused_complaints,
    Measure.READ_AND_FILE_WITHOUT_REPLY: _read_and_file,
    Measure.STOP_WORK_ON_CASE: _work_stopped,
}

# Measures that shape how a contact is dealt with, but not whether or when: a note.
_NOTES: dict[Measure, tuple[Callable[[_Arrival], bool], str]] = {
    Measure.GROUND_RULES_FOR_CALLS: (
        lambda a: not a.written,
        "start the call by agreeing the ground rules for it (R4)",
    ),
    Measure.RETURN_CORRESPONDENCE_HIGHLIGHTED: (
        lambda a: a.written,
        "if it contains unacceptable content, return it with that content highlighted; "
        "reply only if it is sent again without it",
    ),
    Measure.WITHHOLD_CONTACT_DETAILS: (
        lambda a: True,
        "do not give colleagues' direct contact details or names",
    ),
    Measure.BEHAVIOUR_CONTRACT: (lambda a: True, "the behaviour contract's conditions for contact apply"),
    Measure.MEETING_ABOUT_BEHAVIOUR: (
        lambda a: True,
        "a meeting about the party's behaviour is part of the arrangements",
    ),
}


def _measure_rule(measure: Measure) -> str:
    if measure == Measure.STOP_DIRECT_CONTACT:
        return "R15"
    return "R9" if measure in SEVERE_MEASURES else "R8"


def _verdict(r: RestrictionEntry, measure: Measure, a: _Arrival) -> _Verdict | None:
    if measure in _WITHOUT_TERMS:
        return _WITHOUT_TERMS[measure](measure, a)
    if measure in _NOTES:
        applies, note = _NOTES[measure]
        return _Verdict(_NOTE_RANK, None, note) if applies(a) else None
    terms = r.terms_of(measure)
    if terms is not None:
        return _WITH_TERMS[measure](terms, a)
    if measure == Measure.BLOCK_EMAILS_OR_REFUSE_CALLS and a.contact.channel not in BLOCKABLE_CHANNELS:
        return None
    # Set before measures had parameters (or without them): a person reads the arrangements.
    return _Verdict(
        _RANK[measure],
        ContactHandling.SEE_ARRANGEMENTS,
        f"{measure.value} was set without its parameters, so see the arrangements of restriction "
        f'{r.restriction_id}: "{r.contact_arrangements}"',
    )


def _closed_case(view: GateView, a: _Arrival) -> _Verdict | None:
    """R17: written contact about a case closed with notice is logged, not read or answered,
    unless it raises a new complaint (then it is handled normally)."""
    reference = a.contact.case_reference
    if reference is None or not a.written or a.contact.raises_new_complaint:
        return None
    closed = next(
        (c for c in view.closed_cases if c.case_reference == reference and c.closed_at <= a.contact.received_at),
        None,
    )
    if closed is None:
        return None
    return _Verdict(
        _CLOSED_CASE_RANK,
        ContactHandling.LOG_WITHOUT_READING,
        f"case {reference} was closed on {written_date(closed.closed_at, a.timezone)} with notice that no further "
        "reply will be made: log it without reading or answering it",
    )


def _ground_rules(view: GateView, a: _Arrival) -> list[_Verdict]:
    """R4a: a call or meeting while ground rules stand starts by agreeing them; the rest is as usual."""
    if a.contact.channel not in SPOKEN_CHANNELS:
        return []
    return [
        _Verdict(
            _NOTE_RANK,
            None,
            f"start the {'call' if a.contact.channel == ContactChannel.PHONE else 'meeting'} by agreeing the "
            f'ground rules set when call {c.call_id} was ended (R4a): "{c.ground_rules.text}"',
        )
        for c in view.ended_calls
        if c.ground_rules is not None and c.ground_rules.stand_at(a.contact.received_at)
    ]


def _rule_order(rule: str) -> tuple[int, str]:
    """R4 < R4a < R5 …: by the rule's number, then its letter."""
    digits = rule[1:].rstrip("abcdefghijklmnopqrstuvwxyz")
    return int(digits), rule


def answer_contact(
    view: GateView,
    contact: InboundContact,
    *,
    calendar: HolidayCalendar,
    prior_contacts: dict[LimitPeriod, int],
    answered_from: GateSource,
    answered_at: datetime,
) -> ContactAnswer:
    """How to handle an inbound contact, and by when.

    Args:
        view: What the gate reads of the party (`gate_view`).
        contact: The contact; its `received_at` decides which restrictions were in force.
        calendar: Bank holidays covering `calendar_years(view, contact)`.
        prior_contacts: For each of `limit_periods(view, contact)`, how many other
            contacts of the party's log were received in it.
        answered_from: Where `view` was read from.
        answered_at: When the gate answers (kept on the log; it decides nothing).

    Returns:
        The answer: the handling of the strongest measure that applies, every measure
        behind it, the respond-by date (R19) if the body replies, and a possible
        attempted instance (R12) when the contact goes against a measure.

    Raises:
        ValueError: If the contact is for another party, or `calendar` is too short.
    """
    if contact.party_id != view.party_id:
        raise ValueError(f"contact {contact.contact_id} is for party {contact.party_id}, not {view.party_id}")
    tz = view.timezone
    arrival = _Arrival(contact, contact.received_at.astimezone(ZoneInfo(tz)), prior_contacts, tz)
    in_force = _in_force(view, contact)
    said: list[tuple[_Verdict, AppliedMeasure, RestrictionEntry | None]] = []
    for r in in_force:
        for measure in r.measures:
            verdict = _verdict(r, measure, arrival)
            if verdict is not None:
                applied = AppliedMeasure(
                    rule=_measure_rule(measure),
                    restriction_id=r.restriction_id,
                    measure=measure,
                    terms=r.terms_of(measure),
                    says=verdict.says,
                )
                said.append((verdict, applied, r))
    closed = _closed_case(view, arrival)
    if closed is not None:
        said.append((closed, AppliedMeasure(rule="R17", says=closed.says), None))
    said += [(v, AppliedMeasure(rule="R4a", says=v.says), None) for v in _ground_rules(view, arrival)]

    deciding = [(v, m) for v, m, _ in said if v.handling is not None]
    if deciding:
        verdict, _ = min(deciding, key=lambda vm: vm[0].rank)
        assert verdict.handling is not None
        handling, why = verdict.handling, verdict.says
    else:
        handling = ContactHandling.RESPOND
        why = "respond as usual" if in_force else "nothing in force limits this contact: respond as usual"

    hold_until = _time_out_end(in_force, contact) if handling == ContactHandling.HOLD_UNTIL_TIME_OUT_ENDS else None
    respond_by = None
    measures = [m for _, m, _ in said]
    if handling in REPLYING_HANDLINGS:
        days, target = _response_days(in_force)
        start = local_date(hold_until or contact.received_at, tz)
        respond_by = calendar.add_working_days(start, days)
        after = "the time out ends" if hold_until else "receipt"
        measures.append(
            AppliedMeasure(
                rule="R19", says=f"{target}: {days} working days after {after}, by {written_day(respond_by)}"
            )
        )
    named = next(
        (
            t.named_contact
            for r in in_force
            if isinstance(t := r.terms_of(Measure.SINGLE_NAMED_CONTACT), NamedContactTerms)
        ),
        None,
    )
    breaches = [(m, r) for v, m, r in said if v.breach and r is not None]
    return ContactAnswer(
        contact=contact,
        handling=handling,
        reply=handling in REPLYING_HANDLINGS,
        respond_by=respond_by,
        explanation=_sentence(why) + (f" Respond by {written_day(respond_by)}." if respond_by else ""),
        rules=sorted({m.rule for m in measures} | ({"R12"} if breaches else set()), key=_rule_order),
        measures=measures,
        arrangements=list(dict.fromkeys(r.contact_arrangements for r in in_force)),
        notes=[v.says for v, _, _ in said if v.handling is None],
        route_to=named if handling == ContactHandling.ROUTE_TO_NAMED_CONTACT else None,
        hold_until=hold_until,
        possible_breach=_possible_breach(breaches) if breaches else None,
        answered_from=answered_from,
        answered_at=answered_at,
    )


def _time_out_end(in_force: list[RestrictionEntry], contact: InboundContact) -> datetime | None:
    """When the latest time out in force when the contact arrived ends, if it has not ended by then."""
    ends = [
        t.ends_at
        for r in in_force
        if isinstance(t := r.terms_of(Measure.TIME_OUT), TimeOutTerms) and t.ends_at > contact.received_at
    ]
    return max(ends, default=None)


def _response_days(in_force: list[RestrictionEntry]) -> tuple[int, str]:
    """R19: the usual 10 working days, or the longest extended response time in force.
    "10 working days from the most recent contact" counts from this contact, the most recent."""
    extended = [
        (t, r.restriction_id)
        for r in in_force
        if isinstance(t := r.terms_of(Measure.EXTENDED_RESPONSE_TIME), ResponseTimeTerms)
    ]
    longest = max(((t.working_days, rid) for t, rid in extended if t.working_days), default=None)
    if longest is not None:
        return longest[0], f"the extended response time of restriction {longest[1]}"
    if extended:
        return USUAL_RESPONSE_WORKING_DAYS, (
            f"one reply 10 working days from the most recent contact (restriction {extended[0][1]}), "
            "which answers the contacts before it"
        )
    return USUAL_RESPONSE_WORKING_DAYS, "the usual response target"


def _possible_breach(breaches: list[tuple[AppliedMeasure, RestrictionEntry]]) -> PossibleBreach:
    restrictions = {r.restriction_id: r for _, r in breaches}
    measures = list(dict.fromkeys(m.measure for m, _ in breaches if m.measure is not None))
    return PossibleBreach(
        restriction_ids=list(restrictions),
        measures=measures,
        categories=sorted({c for r in restrictions.values() for c in r.categories}),
        explanation="R12: contact against "
        + ", ".join(m.value for m in measures)
        + " may be an attempted instance of the restricted behaviour; if it is, report it as an incident "
        "(the gate reports nothing by itself)",
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
