"""R4a: ground rules for future calls or meetings, agreed after an ask, and how they live.

After an ask, a colleague may end a call or meeting when the behaviour
continues, and future calls or meetings then start by agreeing ground rules.
They are not a restriction: no warning (R14), approval (R7) or letter (R10),
and no part in R12's dates. They stand six calendar months from when they were
agreed (when the call was ended), held open by a same or similar repeat as R5a
holds a warning open; a restriction coming into force supersedes them for good
(its measures govern contact); a colleague may lift them earlier. The contact
gate reads them (policy.contacts). Messages that record and lift them are
checked and applied in policy.rules.
"""

from datetime import datetime

from policy.dates import moved_end, six_months_after, written_date
from policy.effects import Effect, EndedCallSaved
from policy.messages import EndedCall
from policy.state import AskEntry, EndedCallEntry, GroundRules, PartyState, RestrictionEntry
from policy.vocabulary import Category, GroundRulesStatus, RestrictionStatus


def ended_call_entry(state: PartyState, call_id: str, ask: AskEntry, call: EndedCall, ended_by: str) -> EndedCallEntry:
    """The file's entry for a call ended after `ask`, its ground rules standing from when it ended,
    or already superseded if a restriction is in force (its measures govern calls)."""
    entry = EndedCallEntry(
        call_id=call_id,
        ask_id=ask.ask_id,
        categories=list(ask.categories),
        channel=call.channel,
        ended_at=call.ended_at,
        ended_by=ended_by,
        why=call.why,
    )
    if call.ground_rules:
        entry.ground_rules = GroundRules(
            text=call.ground_rules, agreed_at=call.ended_at, until=six_months_after(call.ended_at, state.timezone)
        )
        in_force = next((r for r in state.restrictions if r.status == RestrictionStatus.IN_FORCE), None)
        if in_force is not None:
            _supersede(entry.ground_rules, in_force)
    return entry


def hold_open(
    state: PartyState, category: Category, incident_id: str, occurred_at: datetime
) -> tuple[dict[str, datetime], list[Effect]]:
    """A same or similar repeat while ground rules stand moves their end to six calendar
    months after it, never earlier (R5a's arithmetic).

    Returns:
        The ended calls whose ground rules moved, with their new end; the effects to write.
    """
    held: dict[str, datetime] = {}
    effects: list[Effect] = []
    for call in state.ended_calls:
        rules = call.standing()
        if rules is None or not call.covers(category) or not rules.stand_at(occurred_at):
            continue
        new_end = moved_end(rules.until, occurred_at, state.timezone)
        if new_end is None:
            continue
        rules.until = new_end
        rules.held_open_by_incident_id = incident_id
        held[call.call_id] = new_end
        effects.append(EndedCallSaved(party_id=state.party.party_id, ended_call=call))
    return held, effects


def lapse(state: PartyState, now: datetime) -> list[Effect]:
    """Ground rules whose six months have passed lapse; they stay on record (R3)."""
    effects: list[Effect] = []
    for call in state.ended_calls:
        rules = call.standing()
        if rules is not None and rules.until <= now:
            rules.status = GroundRulesStatus.LAPSED
            rules.ended_at = rules.until
            rules.end_reason = "six calendar months passed with no similar repeat"
            effects.append(EndedCallSaved(party_id=state.party.party_id, ended_call=call))
    return effects


def supersede(state: PartyState, restriction: RestrictionEntry) -> list[Effect]:
    """A restriction coming into force supersedes every standing set of ground rules, for good."""
    effects: list[Effect] = []
    for call in state.ended_calls:
        rules = call.standing()
        if rules is not None:
            _supersede(rules, restriction)
            effects.append(EndedCallSaved(party_id=state.party.party_id, ended_call=call))
    return effects


def _supersede(rules: GroundRules, restriction: RestrictionEntry) -> None:
    assert restriction.starts_at is not None  # in force
    rules.status = GroundRulesStatus.SUPERSEDED
    rules.ended_at = max(rules.agreed_at, restriction.starts_at)
    rules.ended_by = restriction.restriction_id
    rules.end_reason = (
        f"restriction {restriction.restriction_id} came into force: its measures govern contact from then on"
    )


def lift(call: EndedCallEntry, lifted_by: str, lifted_at: datetime, reason: str) -> None:
    """A colleague lifts standing ground rules before they lapse."""
    assert call.ground_rules is not None
    call.ground_rules.status = GroundRulesStatus.LIFTED
    call.ground_rules.ended_at = lifted_at
    call.ground_rules.ended_by = lifted_by
    call.ground_rules.end_reason = reason


def deadlines(state: PartyState) -> list[datetime]:
    """When standing ground rules lapse: the party's workflow wakes then."""
    return [rules.until for call in state.ended_calls if (rules := call.standing()) is not None]


def no_longer_standing(call: EndedCallEntry, timezone: str) -> str:
    """Why a call's ground rules cannot be lifted, in words."""
    rules = call.ground_rules
    if rules is None:
        return f"no ground rules were set when call {call.call_id} was ended"
    on = f" on {written_date(rules.ended_at, timezone)}" if rules.ended_at else ""
    return f"the ground rules set when call {call.call_id} was ended no longer stand: {rules.status.value}{on}"
