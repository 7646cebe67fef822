"""The policy's rules as functions of (state, message, now).

Each `apply_*` function updates the party's state in place (the state is
the workflow's own, and copying thousands of incident briefs per message
would cost the throughput the benchmark measures) and returns the effects the
workflow must write to the party's file. Each `check_*` function reads the
state only and raises `PolicyRefusal`; update validators call them, so a
refused message writes nothing.
"""

from datetime import datetime, timedelta

from policy import ground_rules
from policy.dates import moved_end, six_months_after, written_date
from policy.effects import (
    AskSaved,
    CaseClosureSaved,
    Effect,
    EndedCallSaved,
    IncidentRecorded,
    MessageRejected,
    PartySaved,
    RestrictionSaved,
    StageChanged,
    WarningSaved,
)
from policy.messages import (
    AskRecord,
    CaseClosure,
    EndedCall,
    EndedCallRecord,
    GroundRulesLift,
    IncidentReport,
    RestrictionRequest,
    WarningIssue,
)
from policy.refusals import PolicyRefusal
from policy.replies import IncidentOutcome, PartyStatus
from policy.state import (
    LISTED_INCIDENTS,
    REJECTION_PAYLOAD_SHOWN,
    AskEntry,
    ClosedCaseEntry,
    IncidentBrief,
    PartyState,
    Rejection,
    RestrictionEntry,
    WarningEntry,
)
from policy.tasks import advance_tasks, open_task, r7_reasons, task_deadlines, withdraw_tasks
from policy.vocabulary import (
    SEVERE_MEASURES,
    Advice,
    Category,
    GroundRulesStatus,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
    Stage,
    TaskKind,
    TaskStatus,
    WarningStatus,
    in_words,
)

# Clocks of case systems drift; an incident a minute "ahead" is not an error.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=5)
# The review of a restriction opens this long before it is due to end.
REVIEW_LEAD = timedelta(days=14)
# A party stays open this long after its last message, so the ask or warning
# that usually follows an incident within days lands on the same run instead
# of starting a new one that re-reads the file.
FOLLOW_UP_PERIOD = timedelta(days=30)


# --- reading the state -----------------------------------------------------


def stage_of(state: PartyState, now: datetime) -> Stage:
    """The stage a party is at now, derived from its record."""
    in_force = [r for r in state.restrictions if r.status == RestrictionStatus.IN_FORCE]
    if any(r.grounds == RestrictionGrounds.ZERO_TOLERANCE for r in in_force):
        return Stage.ZERO_TOLERANCE
    if in_force:
        return Stage.RESTRICTED
    if any(w.status == WarningStatus.LIVE for w in state.warnings):
        return Stage.WARNED
    if any(r.recurrence_window_open_at(now) for r in state.restrictions):
        return Stage.RECURRENCE_WINDOW
    if state.asks:
        return Stage.ASKED
    return Stage.NONE


def deadlines(state: PartyState) -> list[datetime]:
    """Every future moment at which the party's state changes by itself."""
    found: list[datetime] = []
    found += [w.expires_at for w in state.warnings if w.status == WarningStatus.LIVE]
    for r in state.restrictions:
        if r.status == RestrictionStatus.IN_FORCE and r.ends_at is not None:
            found.append(r.ends_at)
        elif _window_pending(r) and r.recurrence_window_ends_at is not None:
            found.append(r.recurrence_window_ends_at)
        elif (lapses_at := _approval_lapses_at(state, r)) is not None:
            found.append(lapses_at)
        if (review_opens := _review_due(state, r)) is not None:
            found.append(review_opens)
    return found + ground_rules.deadlines(state) + task_deadlines(state)


def _window_pending(r: RestrictionEntry) -> bool:
    """An R13 window whose end the workflow has not yet passed."""
    return (
        r.status == RestrictionStatus.EXPIRED
        and r.recurrence_window_ends_at is not None
        and not r.recurrence_window_closed
    )


def next_deadline(state: PartyState, now: datetime) -> datetime | None:
    """When the workflow must next wake: the earliest deadline, or the end of
    the follow-up period after the party's last message."""
    found = deadlines(state)
    if any(d <= now for d in found):
        # Something is already due (e.g. a warning communicated long ago):
        # wake at once rather than skipping it.
        return now
    if state.last_activity_at is not None and state.last_activity_at + FOLLOW_UP_PERIOD > now:
        found.append(state.last_activity_at + FOLLOW_UP_PERIOD)
    return min(found, default=None)


def is_dormant(state: PartyState, now: datetime) -> bool:
    """Nothing live: no warning, restriction, recurrence window or open task."""
    return (
        next_deadline(state, now) is None
        and not any(r.status == RestrictionStatus.AWAITING_APPROVAL for r in state.restrictions)
        and not any(t.status == TaskStatus.OPEN for t in state.tasks)
    )


def approval_reasons(state: PartyState, measures: list[Measure]) -> list[str]:
    """R7 and R9: why a restriction needs the Ombudsman's or Executive Team's agreement."""
    reasons = r7_reasons(state.party)
    severe = sorted(m.value for m in measures if m in SEVERE_MEASURES)
    if severe:
        reasons.append(f"R9: severe measures ({', '.join(severe)})")
    return reasons


# --- time passing ----------------------------------------------------------


def advance_time(state: PartyState, now: datetime) -> list[Effect]:
    """Expire what is due (R4a, R5, R12, R13); expired entries stay on record (R3)."""
    effects: list[Effect] = ground_rules.lapse(state, now)
    pid = state.party.party_id
    for w in state.warnings:
        if w.status == WarningStatus.LIVE and w.expires_at <= now:
            w.status = WarningStatus.EXPIRED
            effects.append(WarningSaved(party_id=pid, warning=w))
    for r in state.restrictions:
        if r.status == RestrictionStatus.IN_FORCE and r.ends_at is not None and r.ends_at <= now:
            r.status = RestrictionStatus.EXPIRED
            r.ended_at = r.ends_at
            r.recurrence_window_ends_at = six_months_after(r.ends_at, state.timezone)
            effects.append(RestrictionSaved(party_id=pid, restriction=r))
    for r in state.restrictions:
        if _window_pending(r) and r.recurrence_window_ends_at is not None and r.recurrence_window_ends_at <= now:
            # The window has passed and needs no timer; its date stays on record
            # (R3), so a late report of an incident inside it still counts (R13).
            r.recurrence_window_closed = True
            effects.append(RestrictionSaved(party_id=pid, restriction=r))
    for r in state.restrictions:
        opens_at = _review_due(state, r)
        if opens_at is not None and opens_at <= now:
            effects += _open_review(state, r, now)
    effects += withdraw_what_no_longer_stands(state, now)
    effects += advance_tasks(state, now)
    return effects + stage_effects(state, now, "time passed")


def _review_due(state: PartyState, r: RestrictionEntry) -> datetime | None:
    """When the review of an in-force restriction's current end opens, if it has not yet.

    A review opened within REVIEW_LEAD of the end is that end's review. One
    opened for an earlier end is not: it was withdrawn when the end moved
    (R12), or decided before it did.
    """
    if r.status != RestrictionStatus.IN_FORCE or r.ends_at is None:
        return None
    opens_at = r.ends_at - REVIEW_LEAD
    if any(
        t.kind == TaskKind.RESTRICTION_REVIEW
        and t.subject_id == r.restriction_id
        and t.status != TaskStatus.CANCELLED
        and t.created_at >= opens_at
        for t in state.tasks
    ):
        return None
    return opens_at


def _open_review(state: PartyState, r: RestrictionEntry, now: datetime) -> list[Effect]:
    assert r.ends_at is not None
    earlier = sum(1 for t in state.tasks if t.kind == TaskKind.RESTRICTION_REVIEW and t.subject_id == r.restriction_id)
    # Task ids are unique on file: a review of a later end gets a number.
    task_id = f"review-{r.restriction_id}" + (f"-{earlier + 1}" if earlier else "")
    return open_task(
        state,
        TaskKind.RESTRICTION_REVIEW,
        task_id,
        r.restriction_id,
        now,
        f"Review restriction {r.restriction_id} before it ends on {written_date(r.ends_at, state.timezone)}: "
        "let it run, lift it early, or step up (R11)",
        [r.proposed_by],
    )


def _approval_lapses_at(state: PartyState, r: RestrictionEntry) -> datetime | None:
    """R12: when a restriction awaiting approval would, approved, end before it starts.

    Never while the restriction it is to replace is in force: approval carries
    that one's instances over (R11), so it would end after that one.
    """
    if r.status != RestrictionStatus.AWAITING_APPROVAL:
        return None
    replaced = state.restriction(r.replaces_restriction_id) if r.replaces_restriction_id else None
    if replaced is not None and replaced.status == RestrictionStatus.IN_FORCE:
        return None
    return six_months_after(r.last_instance_at, state.timezone)


def withdraw_what_no_longer_stands(state: PartyState, now: datetime) -> list[Effect]:
    """No open task may ask for a decision on what has ended: a review of a
    restriction no longer in force; an approval of a restriction whose six
    months ran out undecided (R12), or whose restriction to replace ended (R11).
    Such a restriction is withdrawn with its approval; it stays on record (R3)."""
    effects: list[Effect] = []
    pid = state.party.party_id
    under_review = {
        t.subject_id for t in state.tasks if t.kind == TaskKind.RESTRICTION_REVIEW and t.status == TaskStatus.OPEN
    }
    for r in state.restrictions:
        if r.status == RestrictionStatus.AWAITING_APPROVAL:
            why = _why_approval_no_longer_stands(state, r, now)
            if why is None:
                continue
            r.status = RestrictionStatus.WITHDRAWN
            r.ended_at = now
            effects.append(RestrictionSaved(party_id=pid, restriction=r))
            effects += withdraw_tasks(state, TaskKind.RESTRICTION_APPROVAL, r.restriction_id, now, why)
        elif r.status != RestrictionStatus.IN_FORCE and r.restriction_id in under_review:
            why = _why_review_no_longer_stands(state, r)
            effects += withdraw_tasks(state, TaskKind.RESTRICTION_REVIEW, r.restriction_id, now, why)
    return effects


def _why_approval_no_longer_stands(state: PartyState, r: RestrictionEntry, now: datetime) -> str | None:
    replaced = state.restriction(r.replaces_restriction_id) if r.replaces_restriction_id else None
    if replaced is not None and replaced.status != RestrictionStatus.IN_FORCE:
        return (
            f"R11: restriction {replaced.restriction_id} {_how_it_ended(state, replaced)}, "
            f"so restriction {r.restriction_id} has nothing left to replace"
        )
    lapses_at = _approval_lapses_at(state, r)
    if lapses_at is not None and lapses_at <= now:
        tz = state.timezone
        return (
            f"R12: restriction {r.restriction_id} was not decided by {written_date(lapses_at, tz)}, six months "
            f"after its last instance ({written_date(r.last_instance_at, tz)}), so it would end before it started"
        )
    return None


def _why_review_no_longer_stands(state: PartyState, r: RestrictionEntry) -> str:
    if r.status == RestrictionStatus.SUPERSEDED:
        return (
            f"R11: restriction {r.restriction_id} {_how_it_ended(state, r)}; "
            "the new restriction is reviewed before its own end"
        )
    return f"restriction {r.restriction_id} {_how_it_ended(state, r)}: there is nothing left to review"


def _how_it_ended(state: PartyState, r: RestrictionEntry) -> str:
    on = f" on {written_date(r.ended_at, state.timezone)}" if r.ended_at else ""
    if r.status == RestrictionStatus.SUPERSEDED:
        by = next(
            (
                f" by restriction {x.restriction_id}"
                for x in state.restrictions
                if x.replaces_restriction_id == r.restriction_id and x.starts_at is not None
            ),
            "",
        )
        return f"was replaced{by}{on}"
    if r.status == RestrictionStatus.EXPIRED:
        return f"ended{on}"
    return f"is {r.status.value.replace('_', ' ')}{on}"


# --- incidents -------------------------------------------------------------


def check_incident(state: PartyState, report: IncidentReport, now: datetime) -> None:
    if report.party.party_id != state.party.party_id:
        raise PolicyRefusal(
            "R3", f"incident {report.incident_id} is for party {report.party.party_id}, not {state.party.party_id}"
        )
    if report.incident_id in state.incidents:
        return
    if report.occurred_at > now + CLOCK_SKEW_ALLOWANCE:
        raise PolicyRefusal(
            "R3",
            f"incident {report.incident_id} is dated {report.occurred_at.isoformat()}, "
            f"which is in the future (now {now.isoformat()})",
        )


def apply_incident(state: PartyState, report: IncidentReport, now: datetime) -> tuple[IncidentOutcome, list[Effect]]:
    """R2, R5a, R6, R12, R13, R15: record an incident and say what may follow."""
    if report.incident_id in state.incidents:
        return _incident_outcome(state, report.incident_id, now, duplicate=True, advice=[]), []
    pid = state.party.party_id
    effects: list[Effect] = []
    if report.party != state.party:
        state.party = report.party
        effects.append(PartySaved(party=state.party, stage=state.stage, at=now))
    colleague = report.experienced_by or report.reported_by
    state.incidents[report.incident_id] = IncidentBrief(
        category=report.category, occurred_at=report.occurred_at, colleague=colleague
    )
    state.incident_count += 1
    state.last_activity_at = now
    effects.append(IncidentRecorded(report=report, received_at=now))

    advice: list[Advice] = []
    extended: dict[str, datetime] = {}
    held_open: dict[str, datetime] = {}
    # R12: every restriction for the same or similar behaviour, zero tolerance included.
    for r in state.restrictions:
        if not r.covers(report.category):
            continue
        if r.status == RestrictionStatus.AWAITING_APPROVAL:
            r.last_instance_at = max(r.last_instance_at, report.occurred_at)
            effects.append(RestrictionSaved(party_id=pid, restriction=r))
        elif r.status == RestrictionStatus.IN_FORCE:
            old_end = r.ends_at
            if _extend(state, r, report.occurred_at):
                assert r.ends_at is not None  # _extend has just set it
                extended[r.restriction_id] = r.ends_at
                effects.append(RestrictionSaved(party_id=pid, restriction=r))
                effects += _withdraw_review_of_moved_end(state, r, old_end, report.incident_id, now)
    # R4a: before a zero-tolerance stop supersedes them, as any restriction in force would.
    ground_rules_held, held_effects = ground_rules.hold_open(
        state, report.category, report.incident_id, report.occurred_at
    )
    effects += held_effects
    if report.category == Category.ZERO_TOLERANCE:
        advice.append(Advice.ZERO_TOLERANCE_APPLIED)
        effects += _apply_zero_tolerance(state, report, now, extended)
    elif any(r.status == RestrictionStatus.IN_FORCE and r.covers(report.category) for r in state.restrictions):
        # R5a: a warning replaced by a restriction is not held open; R12 moves the restriction instead.
        advice += [Advice.RESTRICTION_EXTENDED, Advice.CONSIDER_STEPPING_UP] if extended else []
    else:
        warned = [w for w in state.warnings if w.covers(report.category) and w.was_live_at(report.occurred_at)]
        for w in warned:
            w.repeat_incident_ids = [*w.repeat_incident_ids[1 - LISTED_INCIDENTS :], report.incident_id]
            # A late report of a repeat does not revive a warning that has already
            # expired (statuses only move forward); it still grounds R6 below.
            if w.status == WarningStatus.LIVE and _hold_open(state, w, report):
                held_open[w.warning_id] = w.expires_at
            effects.append(WarningSaved(party_id=pid, warning=w))
        if any(
            r.covers(report.category) and r.recurrence_window_open_at(report.occurred_at) for r in state.restrictions
        ):
            advice.append(Advice.RESTRICT_WITHOUT_WARNING)
        elif warned:
            advice.append(Advice.RESTRICT)
        elif any(a.covers(report.category) for a in state.asks) or any(
            w.covers(report.category) for w in state.warnings
        ):
            advice.append(Advice.WARN)
        else:
            advice.append(Advice.ASK)
    effects += _colleague_support(state, report, colleague, now)
    effects += stage_effects(state, now, f"incident {report.incident_id}")
    outcome = _incident_outcome(
        state,
        report.incident_id,
        now,
        duplicate=False,
        advice=advice,
        extended=extended,
        held_open=held_open,
        ground_rules_held=ground_rules_held,
    )
    return outcome, effects


def _colleague_support(state: PartyState, report: IncidentReport, colleague: str, now: datetime) -> list[Effect]:
    """R18: the manager follows up with the colleague; one open follow-up per colleague."""
    for t in state.tasks:
        if t.kind == TaskKind.COLLEAGUE_SUPPORT and t.status == TaskStatus.OPEN and t.subject_id == colleague:
            return []
    return open_task(
        state,
        TaskKind.COLLEAGUE_SUPPORT,
        f"support-{report.incident_id}",
        colleague,
        now,
        f"R18: discuss support with colleague {colleague} after incident {report.incident_id}",
        [colleague],
    )


def _zero_tolerance_reasons(behaviour_code: str) -> str:
    """R15's reasons, as the party reads them in the stop's letter (R10)."""
    if behaviour_code == "other":
        return "Behaviour we do not tolerate at all was reported to us."
    return f"Behaviour we do not tolerate at all ({in_words(behaviour_code)}) was reported to us."


def _apply_zero_tolerance(
    state: PartyState, report: IncidentReport, now: datetime, extended: dict[str, datetime]
) -> list[Effect]:
    """R15: stop direct contact at once, whoever the party is, and open its review with
    the police referral pending: a manager's, or R7's approvers' for an organisation
    or a professional (R15a)."""
    pid = state.party.party_id
    effects: list[Effect] = []
    # Wording only: who may decide is TASK_RULES', from the same r7_reasons.
    r7 = r7_reasons(state.party)
    if r7:
        rule, reviewer, why = "R15a", "the Ombudsman or the Executive Team", f" ({'; '.join(r7)})"
    else:
        rule, reviewer, why = "R15", "a manager", ""
    live = next(
        (
            r
            for r in state.restrictions
            if r.status == RestrictionStatus.IN_FORCE and r.grounds == RestrictionGrounds.ZERO_TOLERANCE
        ),
        None,
    )
    if live is not None:
        # apply_incident has already moved its end date (R12).
        live.incident_ids = [*live.incident_ids[1 - LISTED_INCIDENTS :], report.incident_id]
        if live.restriction_id not in extended:
            effects.append(RestrictionSaved(party_id=pid, restriction=live))
    else:
        restriction = RestrictionEntry(
            restriction_id=f"zt-{report.incident_id}",
            categories=[Category.ZERO_TOLERANCE],
            incident_ids=[report.incident_id],
            measures=[Measure.STOP_DIRECT_CONTACT],
            grounds=RestrictionGrounds.ZERO_TOLERANCE,
            status=RestrictionStatus.IN_FORCE,
            proposed_by=report.reported_by,
            reasons=_zero_tolerance_reasons(report.behaviour_code),
            contact_arrangements=f"Direct contact stopped pending review by {reviewer}.",
            decided_at=now,
            last_instance_at=report.occurred_at,
            starts_at=now,
            ends_at=six_months_after(report.occurred_at, state.timezone),
        )
        state.restrictions.append(restriction)
        effects.append(RestrictionSaved(party_id=pid, restriction=restriction))
        effects += ground_rules.supersede(state, restriction)
    effects += open_task(
        state,
        TaskKind.ZERO_TOLERANCE_REVIEW,
        f"zt-review-{report.incident_id}",
        report.incident_id,
        now,
        f"{rule}: review by {reviewer} of a zero-tolerance incident{why}; police referral decision pending",
        [report.reported_by, report.experienced_by],
    )
    return effects


def _extend(state: PartyState, r: RestrictionEntry, occurred_at: datetime) -> bool:
    """R12: the end moves to six months after the latest instance; never earlier."""
    r.last_instance_at = max(r.last_instance_at, occurred_at)
    new_end = moved_end(r.ends_at, r.last_instance_at, state.timezone)
    if new_end is None:
        return False
    r.ends_at = new_end
    return True


def _hold_open(state: PartyState, w: WarningEntry, report: IncidentReport) -> bool:
    """R5a: a repeat while the warning is live moves its expiry to six months after
    the repeat; never earlier."""
    new_end = moved_end(w.expires_at, report.occurred_at, state.timezone)
    if new_end is None:
        return False
    w.expires_at = new_end
    w.extended_by_incident_id = report.incident_id
    return True


def _withdraw_review_of_moved_end(
    state: PartyState, r: RestrictionEntry, old_end: datetime | None, incident_id: str, now: datetime
) -> list[Effect]:
    """R12: an open review asks about an end that is no longer the end; the
    usual rule plans the review of the new one (`_review_due`)."""
    assert r.ends_at is not None  # _extend has just moved it
    tz = state.timezone
    moved = f"from {written_date(old_end, tz)} " if old_end else ""
    return withdraw_tasks(
        state,
        TaskKind.RESTRICTION_REVIEW,
        r.restriction_id,
        now,
        f"R12: incident {incident_id} moved the end of restriction {r.restriction_id} "
        f"{moved}to {written_date(r.ends_at, tz)}; it is reviewed again before the new end",
        incident_id,
    )


def _incident_outcome(
    state: PartyState,
    incident_id: str,
    now: datetime,
    *,
    duplicate: bool,
    advice: list[Advice],
    extended: dict[str, datetime] | None = None,
    held_open: dict[str, datetime] | None = None,
    ground_rules_held: dict[str, datetime] | None = None,
) -> IncidentOutcome:
    return IncidentOutcome(
        incident_id=incident_id,
        duplicate=duplicate,
        stage=state.stage,
        advice=advice,
        restrictions_extended=extended or {},
        warnings_extended=held_open or {},
        ground_rules_held_open=ground_rules_held or {},
        next_deadline=next_deadline(state, now),
    )


# --- ask, warn, restrict ---------------------------------------------------


def _basis(state: PartyState, incident_ids: list[str], what: str) -> list[IncidentBrief]:
    if not state.incidents:
        raise PolicyRefusal(
            "R3", f"party {state.party.party_id} has no incident on record; report the incident before a {what}"
        )
    unknown = [i for i in incident_ids if i not in state.incidents]
    if unknown:
        raise PolicyRefusal("R3", f"unknown incident(s) for party {state.party.party_id}: {', '.join(unknown)}")
    return [state.incidents[i] for i in incident_ids]


def not_in_future(at: datetime, now: datetime, field: str) -> None:
    if at > now + CLOCK_SKEW_ALLOWANCE:
        raise PolicyRefusal("R3", f"{field} {at.isoformat()} is in the future (now {now.isoformat()})")


def check_ask(state: PartyState, ask: AskRecord, now: datetime) -> None:
    if state.ask(ask.ask_id) is not None:
        return
    basis = _basis(state, ask.incident_ids, "ask")
    not_in_future(ask.asked_at, now, "asked_at")
    if all(b.category == Category.ZERO_TOLERANCE for b in basis):
        raise PolicyRefusal("R15", "zero-tolerance behaviour skips ask and warn")
    if ask.ended_call is not None:
        _check_call_ended(state, ask.ask_id, ask.ended_call.ended_at, now)


def apply_ask(state: PartyState, ask: AskRecord, now: datetime) -> list[Effect]:
    """R4: the ask is recorded; it makes a repeat a reason to warn."""
    if state.ask(ask.ask_id) is not None:
        return []
    entry = AskEntry(
        ask_id=ask.ask_id,
        categories=_categories(state, ask.incident_ids),
        incident_ids=list(ask.incident_ids),
        asked_at=ask.asked_at,
        asked_by=ask.asked_by,
        adjustment_discussed=ask.adjustment_discussed,
        notes=ask.notes,
    )
    state.asks.append(entry)
    state.last_activity_at = now
    effects: list[Effect] = [AskSaved(party_id=state.party.party_id, ask=entry)]
    if ask.ended_call is not None:
        # On file under the ask's id: one ended call per ask message.
        effects += _record_ended_call(state, ask.ask_id, entry, ask.ended_call, ask.asked_by)
    return effects + stage_effects(state, now, f"ask {ask.ask_id}")


# --- ended calls and ground rules (R4a) ---------------------------------------------


def _check_call_ended(state: PartyState, ask_id: str, ended_at: datetime, now: datetime) -> None:
    ask = state.ask(ask_id)
    if ask is not None and ended_at < ask.asked_at:
        raise PolicyRefusal(
            "R4a",
            f"a call or meeting is ended after the request to stop: ended_at {ended_at.isoformat()} "
            f"is before ask {ask_id} ({ask.asked_at.isoformat()})",
        )
    not_in_future(ended_at, now, "ended_at")


def check_ended_call(state: PartyState, record: EndedCallRecord, now: datetime) -> None:
    if state.ended_call(record.call_id) is not None:
        return
    if state.ask(record.call_id) is not None:
        # A call recorded with its ask is on file under the ask's id: another may not take it.
        raise PolicyRefusal("R4a", f"call_id {record.call_id} is an ask's id; give the ended call an id of its own")
    if state.ask(record.ask_id) is None:
        raise PolicyRefusal(
            "R4a",
            f"ask {record.ask_id} is not on party {state.party.party_id}'s file: "
            "a call or meeting is ended after a request to stop (R4); record the ask first",
        )
    _check_call_ended(state, record.ask_id, record.ended_at, now)


def apply_ended_call(state: PartyState, record: EndedCallRecord, now: datetime) -> list[Effect]:
    """R4a: a call or meeting ended after an ask, and any ground rules for future ones."""
    ask = state.ask(record.ask_id)
    if state.ended_call(record.call_id) is not None or ask is None:
        return []
    state.last_activity_at = now
    return _record_ended_call(state, record.call_id, ask, record, record.ended_by)


def _record_ended_call(state: PartyState, call_id: str, ask: AskEntry, call: EndedCall, ended_by: str) -> list[Effect]:
    entry = ground_rules.ended_call_entry(state, call_id, ask, call, ended_by)
    state.ended_calls.append(entry)
    return [EndedCallSaved(party_id=state.party.party_id, ended_call=entry)]


def check_ground_rules_lift(state: PartyState, lift: GroundRulesLift, now: datetime) -> None:
    call = state.ended_call(lift.call_id)
    if call is None:
        raise PolicyRefusal("R4a", f"no ended call {lift.call_id} on party {state.party.party_id}'s file")
    rules = call.ground_rules
    if rules is not None and rules.status == GroundRulesStatus.LIFTED:
        return  # lifted already: the same lift again changes nothing
    if call.standing() is None:
        raise PolicyRefusal("R4a", ground_rules.no_longer_standing(call, state.timezone))
    assert rules is not None
    if lift.lifted_at < rules.agreed_at:
        raise PolicyRefusal("R4a", f"lifted_at {lift.lifted_at.isoformat()} is before the ground rules were agreed")
    not_in_future(lift.lifted_at, now, "lifted_at")


def apply_ground_rules_lift(state: PartyState, lift: GroundRulesLift, now: datetime) -> list[Effect]:
    """R4a: a colleague lifts standing ground rules early; they stay on record (R3)."""
    call = state.ended_call(lift.call_id)
    if call is None or call.standing() is None:
        return []
    ground_rules.lift(call, lift.lifted_by, lift.lifted_at, lift.reason)
    state.last_activity_at = now
    return [EndedCallSaved(party_id=state.party.party_id, ended_call=call)]


def check_warning(state: PartyState, warning: WarningIssue, now: datetime) -> None:
    if state.warning(warning.warning_id) is not None:
        return
    basis = _basis(state, warning.incident_ids, "warning")
    not_in_future(warning.communicated_at, now, "communicated_at")
    if any(b.category == Category.ZERO_TOLERANCE for b in basis):
        raise PolicyRefusal("R15", "zero-tolerance behaviour skips ask and warn; it is managed at once")
    categories = _categories(state, warning.incident_ids)
    for w in state.warnings:
        if w.status == WarningStatus.LIVE and all(w.covers(c) for c in categories):
            raise PolicyRefusal(
                "R5",
                f"warning {w.warning_id} for {', '.join(categories)} is already live until {w.expires_at.isoformat()}",
            )


def apply_warning(state: PartyState, warning: WarningIssue, now: datetime) -> list[Effect]:
    """R5: a warning lasts six calendar months from when it was communicated."""
    if state.warning(warning.warning_id) is not None:
        return []
    entry = WarningEntry(
        warning_id=warning.warning_id,
        categories=_categories(state, warning.incident_ids),
        incident_ids=list(warning.incident_ids),
        communicated_at=warning.communicated_at,
        expires_at=six_months_after(warning.communicated_at, state.timezone),
        issued_by=warning.issued_by,
        method=warning.method,
        reasons=warning.reasons,
    )
    state.warnings.append(entry)
    state.last_activity_at = now
    return [
        WarningSaved(party_id=state.party.party_id, warning=entry),
        *stage_effects(state, now, f"warning {warning.warning_id}"),
    ]


def restriction_grounds(state: PartyState, incident_ids: list[str]) -> RestrictionGrounds:
    """R14: a restriction needs a warning in place, a recurrence window, a similar
    restriction to step up from, or zero tolerance; otherwise it is refused."""
    basis = _basis(state, incident_ids, "restriction")
    if any(b.category == Category.ZERO_TOLERANCE for b in basis):
        return RestrictionGrounds.ZERO_TOLERANCE
    for incident_id, b in zip(incident_ids, basis, strict=True):
        similar = [r for r in state.restrictions if r.covers(b.category)]
        if any(r.recurrence_window_open_at(b.occurred_at) for r in similar):
            return RestrictionGrounds.RECURRENCE
        if any(r.status == RestrictionStatus.IN_FORCE for r in similar):
            return RestrictionGrounds.STEPPING_UP
        # The incident a warning was given for is not a repeat after it, even when
        # the warning is dated at (or, within clock skew, before) that incident.
        if any(
            w.was_live_at(b.occurred_at) and incident_id not in w.incident_ids and w.covers(b.category)
            for w in state.warnings
        ):
            return RestrictionGrounds.WARNING_IN_PLACE
    raise PolicyRefusal(
        "R14",
        "a restriction only follows a fair warning: none of incidents "
        f"{', '.join(incident_ids)} happened while a warning for the same or similar behaviour was in place, "
        "within six months after a similar restriction ended, during a similar restriction, "
        "or was zero-tolerance behaviour",
    )


def check_restriction(state: PartyState, request: RestrictionRequest, now: datetime) -> None:
    if state.restriction(request.restriction_id) is not None:
        return
    restriction_grounds(state, request.incident_ids)
    not_in_future(request.decided_at, now, "decided_at")
    if request.replaces_restriction_id is not None:
        old = state.restriction(request.replaces_restriction_id)
        if old is None or old.status != RestrictionStatus.IN_FORCE:
            raise PolicyRefusal(
                "R11", f"restriction {request.replaces_restriction_id} is not in force, so it cannot be replaced"
            )


def apply_restriction(state: PartyState, request: RestrictionRequest, now: datetime) -> list[Effect]:
    """R6-R12: apply measures now, or hold them for approval under R7/R9."""
    if state.restriction(request.restriction_id) is not None:
        return []
    pid = state.party.party_id
    needs_approval = approval_reasons(state, request.measure_names)
    last_instance = max(state.incidents[i].occurred_at for i in request.incident_ids)
    entry = RestrictionEntry(
        restriction_id=request.restriction_id,
        categories=_categories(state, request.incident_ids),
        incident_ids=list(request.incident_ids),
        measures=request.measure_names,
        terms=request.terms,
        grounds=restriction_grounds(state, request.incident_ids),
        status=RestrictionStatus.AWAITING_APPROVAL if needs_approval else RestrictionStatus.IN_FORCE,
        proposed_by=request.proposed_by,
        reasons=request.reasons,
        contact_arrangements=request.contact_arrangements,
        decided_at=request.decided_at,
        last_instance_at=last_instance,
        needs_approval_because=needs_approval,
        replaces_restriction_id=request.replaces_restriction_id,
    )
    state.restrictions.append(entry)
    state.last_activity_at = now
    effects: list[Effect] = []
    if needs_approval:
        # Four eyes: never the proposer or a colleague who experienced the behaviour.
        excluded = [request.proposed_by, *(state.incidents[i].colleague for i in request.incident_ids)]
        effects.append(RestrictionSaved(party_id=pid, restriction=entry))
        effects += open_task(
            state,
            TaskKind.RESTRICTION_APPROVAL,
            f"approve-{request.restriction_id}",
            request.restriction_id,
            now,
            "; ".join(needs_approval),
            excluded,
        )
    else:
        effects += put_in_force(state, entry, now)
    return effects + stage_effects(state, now, f"restriction {request.restriction_id}")


def put_in_force(state: PartyState, entry: RestrictionEntry, now: datetime) -> list[Effect]:
    """Start a restriction (at once, or when its approval is given)."""
    pid = state.party.party_id
    old = state.restriction(entry.replaces_restriction_id) if entry.replaces_restriction_id else None
    if old is not None and old.status != RestrictionStatus.IN_FORCE:
        old = None
    if old is not None:
        # R11, R12: a stronger restriction takes over the behaviour the old one
        # managed, so it must not end sooner than the old one's last instance allows.
        entry.last_instance_at = max(entry.last_instance_at, old.last_instance_at)
    entry.status = RestrictionStatus.IN_FORCE
    entry.starts_at = now
    entry.ends_at = six_months_after(entry.last_instance_at, state.timezone)
    effects: list[Effect] = [RestrictionSaved(party_id=pid, restriction=entry), *ground_rules.supersede(state, entry)]
    if old is not None:
        old.status = RestrictionStatus.SUPERSEDED
        old.ended_at = now
        effects.append(RestrictionSaved(party_id=pid, restriction=old))
        # Its review, and any other proposal to replace it, asked about it in force.
        effects += withdraw_what_no_longer_stands(state, now)
    return effects


def _categories(state: PartyState, incident_ids: list[str]) -> list[Category]:
    return sorted({state.incidents[i].category for i in incident_ids})


# --- closed cases (R17) --------------------------------------------------------


def check_case_closure(state: PartyState, closure: CaseClosure, now: datetime) -> None:
    if state.closed_case(closure.case_reference) is not None:
        return
    not_in_future(closure.closed_at, now, "closed_at")


def apply_case_closure(state: PartyState, closure: CaseClosure, now: datetime) -> list[Effect]:
    """R17: record that the party was told no further reply will be made about a case.

    The contact gate reads it (policy.contacts): later written contact about the
    case is logged without being read or answered, unless it raises a new complaint.
    A case is closed once; the same case sent again changes nothing.
    """
    if state.closed_case(closure.case_reference) is not None:
        return []
    entry = ClosedCaseEntry(
        case_reference=closure.case_reference,
        closed_at=closure.closed_at,
        closed_by=closure.closed_by,
        notes=closure.notes,
        recorded_at=now,
    )
    state.closed_cases.append(entry)
    return [CaseClosureSaved(party_id=state.party.party_id, closed_case=entry)]


def stage_effects(state: PartyState, now: datetime, reason: str) -> list[Effect]:
    new_stage = stage_of(state, now)
    if new_stage == state.stage:
        return []
    old_stage, state.stage = state.stage, new_stage
    state.stage_change_count += 1
    pid = state.party.party_id
    return [
        StageChanged(
            change_id=f"{pid}:{state.stage_change_count}",
            party_id=pid,
            from_stage=old_stage,
            to_stage=new_stage,
            at=now,
            reason=reason,
        ),
        PartySaved(party=state.party, stage=new_stage, at=now),
    ]


def record_rejection(state: PartyState, rejection: Rejection, keep: int = 50) -> list[Effect]:
    """A signal the workflow could not apply: on the status (latest `keep`) and in the file."""
    state.rejections.append(rejection.model_copy(update={"payload": rejection.payload[:REJECTION_PAYLOAD_SHOWN]}))
    del state.rejections[:-keep]
    return [MessageRejected(party_id=state.party.party_id, rejection=rejection)]


def status_of(state: PartyState, now: datetime, recent: int = 10) -> PartyStatus:
    """The status query's view of a party's state."""
    return PartyStatus(
        party=state.party,
        stage=state.stage,
        next_deadline=next_deadline(state, now),
        incident_count=state.incident_count,
        recent_incident_ids=list(state.incidents)[-recent:],
        asks=state.asks,
        warnings=state.warnings,
        restrictions=state.restrictions,
        open_tasks=[t for t in state.tasks if t.status == TaskStatus.OPEN],
        adjustments=state.adjustments,
        rejections=state.rejections,
        closed_cases=state.closed_cases,
        ended_calls=state.ended_calls,
    )
