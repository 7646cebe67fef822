"""Property tests: random histories through the rules, invariants after every step.

A state machine plays a party's life the way the workflow does: incidents
(some reported late, some dated ahead of the clock), asks, warnings and
restriction requests, each checked (`check_*`) before it is applied; approvals;
zero-tolerance reviews decided by someone in a random role; and time passing
(`advance_time`). Refused commands must be refused for a
reason the policy gives, and must change nothing. A small independent model
of the record tracks what the rules should have done.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from policy import decisions, rules
from policy.dates import six_months_after, written_date
from policy.messages import TaskDecision
from policy.refusals import PolicyRefusal
from policy.rules import CLOCK_SKEW_ALLOWANCE, REVIEW_LEAD
from policy.state import RestrictionEntry
from policy.vocabulary import (
    SEVERE_MEASURES,
    Advice,
    Category,
    Measure,
    PartyKind,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    Stage,
    TaskKind,
    TaskOutcome,
    TaskStatus,
    WarningStatus,
    is_same_or_similar,
)
from tests.policy_builders import (
    Party,
    ask,
    incident,
    party_ref,
    restriction,
    utc,
    warning,
)

LONDON = ZoneInfo("Europe/London")
START = utc(2026, 1, 5, 9, 0)

# Few categories, so that repeats of the same behaviour are common (R20);
# zero tolerance rarer, or it would dominate every history.
CATEGORIES = st.sampled_from(
    [
        Category.AGGRESSIVE_OR_ABUSIVE,
        Category.AGGRESSIVE_OR_ABUSIVE,
        Category.UNACCEPTABLE_DEMANDS,
        Category.UNACCEPTABLE_DEMANDS,
        Category.UNACCEPTABLE_CONTACT_LEVELS,
        Category.ZERO_TOLERANCE,
    ]
)
MINUTES = st.integers(min_value=1, max_value=24 * 60).map(lambda m: timedelta(minutes=m))
DAYS = st.integers(min_value=1, max_value=60).map(lambda d: timedelta(days=d))
MONTHS = st.integers(min_value=150, max_value=420).map(lambda d: timedelta(days=d))
STEPS = st.one_of(MINUTES, DAYS, MONTHS)
# How long before `now` an incident happened; negative is "ahead of our clock".
LAGS = st.one_of(
    st.just(timedelta(0)),
    st.integers(min_value=0, max_value=3 * 24 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(min_value=0, max_value=400).map(lambda d: timedelta(days=d, minutes=17)),
    st.integers(min_value=-10, max_value=-1).map(lambda m: timedelta(minutes=m)),
)
MEASURE_SETS = st.lists(
    st.sampled_from(
        [Measure.SINGLE_NAMED_CONTACT, Measure.SINGLE_CONTACT_CHANNEL, Measure.TIME_OUT, Measure.BLOCK_ALL_CONTACT]
    ),
    min_size=1,
    max_size=2,
    unique=True,
)
PARTIES = st.sampled_from(
    [
        (PartyKind.INDIVIDUAL, False),
        (PartyKind.INDIVIDUAL, False),
        (PartyKind.INDIVIDUAL, False),
        (PartyKind.INDIVIDUAL, True),
        (PartyKind.ORGANISATION, False),
    ]
)
STARTED = {RestrictionStatus.IN_FORCE, RestrictionStatus.EXPIRED, RestrictionStatus.SUPERSEDED}
# R7's approvers and alternates, written out rather than read from policy.tasks.
R7_APPROVERS = [Role.OMBUDSMAN, Role.EXECUTIVE_TEAM]
R7_ALTERNATES = [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE]
WARNING_MOVES = {
    WarningStatus.LIVE: {WarningStatus.LIVE, WarningStatus.EXPIRED},
    WarningStatus.EXPIRED: {WarningStatus.EXPIRED},
}
RESTRICTION_MOVES = {
    RestrictionStatus.AWAITING_APPROVAL: {RestrictionStatus.AWAITING_APPROVAL, RestrictionStatus.WITHDRAWN, *STARTED},
    RestrictionStatus.WITHDRAWN: {RestrictionStatus.WITHDRAWN},
    RestrictionStatus.IN_FORCE: STARTED,
    RestrictionStatus.EXPIRED: {RestrictionStatus.EXPIRED},
    RestrictionStatus.SUPERSEDED: {RestrictionStatus.SUPERSEDED},
    RestrictionStatus.REJECTED: {RestrictionStatus.REJECTED},
}


def _is_clock_change_day(day) -> bool:
    start = datetime(day.year, day.month, day.day, tzinfo=LONDON)
    end = start + timedelta(days=1)
    return start.utcoffset() != end.utcoffset()


def near_clock_change(instant: datetime) -> bool:
    """Instants whose six months are not in order with their neighbours' (Dates):
    the small hours of a clock-change day, or of a day six months before one.
    Wall-clock arithmetic cannot be monotonic there; test_policy_rules covers it."""
    local = instant.astimezone(LONDON)
    if local.hour > 2:
        return False
    return _is_clock_change_day(local.date()) or _is_clock_change_day(local.date() + relativedelta(months=6))


class PartyLife(RuleBasedStateMachine):
    """One party's file under random messages and time passing."""

    @initialize(who=PARTIES)
    def start(self, who):
        kind, professional = who
        self.party = Party(party_ref(kind=kind, professional_capacity=professional))
        self.now = START
        self.reports = {}
        self.counter = 0
        # Model: the last instance each restriction must count (R12), the
        # grounds found for each restriction independently of the rules (R14),
        # and each warning's expiry with the repeats that held it open (R5a).
        self.expected_last: dict[str, datetime] = {}
        self.justified: dict[str, set[RestrictionGrounds]] = {}
        self.expected_expiry: dict[str, datetime] = {}
        self.held_open_by: dict[str, list[str]] = {}
        self.seen = self._snapshot()

    @property
    def state(self):
        return self.party.state

    def _next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def _snapshot(self):
        s = self.state
        return {
            "incidents": set(s.incidents),
            "asks": {a.ask_id for a in s.asks},
            "warnings": {w.warning_id: (w.status, w.expires_at) for w in s.warnings},
            "restrictions": {r.restriction_id: (r.status, r.ended_at) for r in s.restrictions},
            "tasks": {t.task_id for t in s.tasks},
            "counts": (s.incident_count, len(s.asks), len(s.warnings), len(s.restrictions), len(s.tasks)),
        }

    # --- an independent reading of R6, R11, R13, R15 -------------------------

    def _model_grounds(self, incident_ids: list[str]) -> set[RestrictionGrounds]:
        """Every ground the record gives for restricting on these incidents."""
        found: set[RestrictionGrounds] = set()
        for iid in incident_ids:
            b = self.state.incidents[iid]
            if b.category == Category.ZERO_TOLERANCE:
                found.add(RestrictionGrounds.ZERO_TOLERANCE)
            for w in self.state.warnings:
                if (
                    any(is_same_or_similar(b.category, c) for c in w.categories)
                    and iid not in w.incident_ids
                    and w.communicated_at <= b.occurred_at < w.expires_at
                ):
                    found.add(RestrictionGrounds.WARNING_IN_PLACE)
            for r in self.state.restrictions:
                if not any(is_same_or_similar(b.category, c) for c in r.categories):
                    continue
                if r.status == RestrictionStatus.IN_FORCE:
                    found.add(RestrictionGrounds.STEPPING_UP)
                if (
                    r.status == RestrictionStatus.EXPIRED
                    and r.ended_at is not None
                    and r.ended_at <= b.occurred_at < six_months_after(r.ended_at)
                ):
                    found.add(RestrictionGrounds.RECURRENCE)
        return found

    def _expect_unchanged(self, before):
        assert self.state.model_dump() == before, "a refused or repeated message changed the state"

    # --- rules -------------------------------------------------------------

    @rule(step=STEPS)
    def time_passes(self, step):
        self.now += step
        self.party.advance(self.now)
        s = self.state
        # Nothing live past its end once the clock has been applied (R5, R12, R13).
        assert all(w.expires_at > self.now for w in s.warnings if w.status == WarningStatus.LIVE)
        for r in s.restrictions:
            if r.status == RestrictionStatus.IN_FORCE:
                assert r.ends_at > self.now
            if r.status == RestrictionStatus.EXPIRED and r.recurrence_window_ends_at is not None:
                # R13: a passed window is marked closed; its date stays on record (R3).
                assert r.recurrence_window_closed == (r.recurrence_window_ends_at <= self.now)
            if r.status == RestrictionStatus.AWAITING_APPROVAL:
                # R12, R11: still worth deciding: approved now, it would not end before it starts.
                last = self.expected_last[r.restriction_id]
                old = self.state.restriction(r.replaces_restriction_id) if r.replaces_restriction_id else None
                if old is not None and old.status == RestrictionStatus.IN_FORCE:
                    last = max(last, self.expected_last[old.restriction_id])
                assert six_months_after(last) > self.now, r.restriction_id
        nxt = rules.next_deadline(s, self.now)
        assert nxt is None or nxt > self.now

    @rule(category=CATEGORIES, lag=LAGS)
    def incident_reported(self, category, lag):
        occurred = self.now - lag
        assume(not near_clock_change(occurred))
        iid = self._next_id("i")
        report = incident(iid, occurred, category, party=self.state.party)
        before = self.state.model_dump()
        if occurred > self.now + CLOCK_SKEW_ALLOWANCE:
            try:
                self.party.incident(report, self.now)
            except PolicyRefusal as refused:
                assert refused.rule == "R3"
                self._expect_unchanged(before)
                return
            raise AssertionError(f"incident dated {occurred} accepted at {self.now}")

        counted = [
            r.restriction_id
            for r in self.state.restrictions
            if r.covers(category) and r.status in (RestrictionStatus.IN_FORCE, RestrictionStatus.AWAITING_APPROVAL)
        ]
        # R5a: a repeat while a warning is live holds it open, unless a similar
        # restriction in force has replaced the warning.
        restricted = any(r.covers(category) and r.status == RestrictionStatus.IN_FORCE for r in self.state.restrictions)
        holding = [
            w.warning_id
            for w in self.state.warnings
            if not restricted
            and category != Category.ZERO_TOLERANCE
            and w.covers(category)
            and self.expected_expiry[w.warning_id] > self.now
            and w.communicated_at <= occurred < self.expected_expiry[w.warning_id]
        ]
        outcome, effects = self.party.incident(report, self.now)
        self.reports[iid] = report
        assert outcome.duplicate is False
        assert effects, "a new incident is always written"
        for rid in counted:
            self.expected_last[rid] = max(self.expected_last[rid], occurred)
        for wid in holding:
            self.held_open_by[wid].append(iid)
            if six_months_after(occurred) > self.expected_expiry[wid]:
                self.expected_expiry[wid] = six_months_after(occurred)
                assert outcome.warnings_extended.get(wid) == self.expected_expiry[wid], wid
        assert set(outcome.warnings_extended) <= set(holding)
        if category == Category.ZERO_TOLERANCE:
            assert outcome.advice == [Advice.ZERO_TOLERANCE_APPLIED]
            new_zt = self.state.restriction(f"zt-{iid}")
            if new_zt is not None:
                self.expected_last[new_zt.restriction_id] = occurred
                self.justified[new_zt.restriction_id] = {RestrictionGrounds.ZERO_TOLERANCE}
            assert any(
                t.kind == TaskKind.ZERO_TOLERANCE_REVIEW and t.subject_id == iid and t.status == TaskStatus.OPEN
                for t in self.state.tasks
            )
            assert self.state.stage == Stage.ZERO_TOLERANCE
        else:
            self._advice_agrees_with_grounds(iid, outcome.advice)

        # (4) The same incident again changes nothing and writes nothing.
        after = self.state.model_dump()
        again, again_effects = self.party.incident(report, self.now)
        assert again.duplicate is True
        assert again_effects == []
        self._expect_unchanged(after)

    def _advice_agrees_with_grounds(self, iid: str, advice: list[Advice]) -> None:
        """R4-R6, R12, R13: what the rules advise is what a restriction request would meet."""
        model = self._model_grounds([iid])
        try:
            rules.restriction_grounds(self.state, [iid])
            refused = None
        except PolicyRefusal as refusal:
            refused = refusal
        if advice in ([Advice.ASK], [Advice.WARN]):
            assert refused is not None and refused.rule == "R14", advice
            assert not model & {RestrictionGrounds.WARNING_IN_PLACE, RestrictionGrounds.STEPPING_UP}, model
            return
        assert refused is None, (advice, refused)
        if advice == [Advice.RESTRICT]:
            assert RestrictionGrounds.WARNING_IN_PLACE in model
        elif advice == [Advice.RESTRICT_WITHOUT_WARNING]:
            assert RestrictionGrounds.RECURRENCE in model
        else:
            # During a similar restriction: extended, or not when the instance is older.
            assert advice in ([Advice.RESTRICTION_EXTENDED, Advice.CONSIDER_STEPPING_UP], []), advice
            assert RestrictionGrounds.STEPPING_UP in model

    @precondition(lambda self: self.reports)
    @rule(data=st.data())
    def duplicate_incident(self, data):
        iid = data.draw(st.sampled_from(sorted(self.reports)))
        before = self.state.model_dump()
        outcome, effects = self.party.incident(self.reports[iid], self.now + timedelta(minutes=1))
        assert outcome.duplicate is True and effects == []
        self._expect_unchanged(before)

    def _draw_incidents(self, data) -> list[str]:
        return data.draw(st.lists(st.sampled_from(sorted(self.reports)), min_size=1, max_size=2, unique=True))

    @precondition(lambda self: self.reports)
    @rule(data=st.data())
    def ask_made(self, data):
        ids = self._draw_incidents(data)
        before = self.state.model_dump()
        try:
            self.party.ask(ask(self._next_id("a"), ids, self.now), self.now)
        except PolicyRefusal as refused:
            assert refused.rule == "R15"
            assert all(self.state.incidents[i].category == Category.ZERO_TOLERANCE for i in ids)
            self._expect_unchanged(before)

    @precondition(lambda self: self.reports)
    @rule(data=st.data(), backdate=st.integers(min_value=0, max_value=3 * 24 * 60))
    def warning_given(self, data, backdate):
        ids = self._draw_incidents(data)
        communicated = self.now - timedelta(minutes=backdate)
        wid = self._next_id("w")
        before = self.state.model_dump()
        categories = {self.state.incidents[i].category for i in ids}
        try:
            self.party.warn(warning(wid, ids, communicated), self.now)
        except PolicyRefusal as refused:
            if refused.rule == "R15":
                assert Category.ZERO_TOLERANCE in categories
            else:
                assert refused.rule == "R5"
                assert any(
                    w.status == WarningStatus.LIVE and categories <= set(w.categories) for w in self.state.warnings
                )
            self._expect_unchanged(before)
            return
        assert Category.ZERO_TOLERANCE not in categories
        w = self.state.warning(wid)
        assert w.status == WarningStatus.LIVE
        assert w.expires_at == six_months_after(communicated)
        assert w.extended_by_incident_id is None
        self.expected_expiry[wid] = w.expires_at
        self.held_open_by[wid] = []

    @precondition(lambda self: self.reports)
    @rule(data=st.data(), measures=MEASURE_SETS, replace=st.booleans())
    def restriction_requested(self, data, measures, replace):
        ids = self._draw_incidents(data)
        replaces = None
        if replace and self.state.restrictions:
            replaces = data.draw(st.sampled_from([r.restriction_id for r in self.state.restrictions]))
        rid = self._next_id("r")
        model = self._model_grounds(ids)
        old = self.state.restriction(replaces) if replaces else None
        old_in_force = old is not None and old.status == RestrictionStatus.IN_FORCE
        before = self.state.model_dump()
        try:
            self.party.restrict(restriction(rid, ids, self.now, measures, replaces), self.now)
        except PolicyRefusal as refused:
            if refused.rule == "R14":
                # R6, R11, R15: a warning live at the time, a similar restriction in
                # force or zero tolerance is always enough.
                assert not model & {
                    RestrictionGrounds.WARNING_IN_PLACE,
                    RestrictionGrounds.STEPPING_UP,
                    RestrictionGrounds.ZERO_TOLERANCE,
                }, model
            else:
                assert refused.rule == "R11"
                assert not old_in_force
            self._expect_unchanged(before)
            return

        # (1) R14: allowed only on a ground the record shows, and named correctly.
        entry = self.state.restriction(rid)
        assert model, f"restriction {rid} allowed with no ground on record"
        assert entry.grounds in model, (entry.grounds, model)
        self.justified[rid] = model
        assert replaces is None or old_in_force

        # R7, R9: approval when the party or the measures require it.
        needs_approval = (
            self.state.party.kind == PartyKind.ORGANISATION
            or self.state.party.professional_capacity
            or bool(set(measures) & SEVERE_MEASURES)
        )
        self.expected_last[rid] = max(self.state.incidents[i].occurred_at for i in ids)
        if needs_approval:
            assert entry.status == RestrictionStatus.AWAITING_APPROVAL
            assert entry.starts_at is None and entry.ends_at is None
            assert any(
                t.kind == TaskKind.RESTRICTION_APPROVAL and t.subject_id == rid and t.status == TaskStatus.OPEN
                for t in self.state.tasks
            )
        else:
            assert entry.status == RestrictionStatus.IN_FORCE
            assert entry.starts_at == self.now
            self._started(entry, old if old_in_force else None)

    def _started(self, entry: RestrictionEntry, replaced: RestrictionEntry | None) -> None:
        if replaced is not None:
            # R11: the replacement takes over; the old one is superseded, not deleted.
            self.expected_last[entry.restriction_id] = max(
                self.expected_last[entry.restriction_id], self.expected_last[replaced.restriction_id]
            )
            assert replaced.status == RestrictionStatus.SUPERSEDED
            assert replaced.ended_at == self.now

    @precondition(lambda self: any(r.status == RestrictionStatus.AWAITING_APPROVAL for r in self.state.restrictions))
    @rule(data=st.data())
    def approval_given(self, data):
        """R7, R9: an approver agrees; the workflow puts the restriction in force."""
        pending = [r for r in self.state.restrictions if r.status == RestrictionStatus.AWAITING_APPROVAL]
        entry = data.draw(st.sampled_from(pending))
        for t in self.state.tasks:
            if t.kind == TaskKind.RESTRICTION_APPROVAL and t.subject_id == entry.restriction_id:
                t.status = TaskStatus.DONE
        old = self.state.restriction(entry.replaces_restriction_id) if entry.replaces_restriction_id else None
        old_in_force = old is not None and old.status == RestrictionStatus.IN_FORCE
        rules.put_in_force(self.state, entry, self.now)
        assert entry.starts_at == self.now
        self._started(entry, old if old_in_force else None)
        # The workflow settles the stage (and anything already due) at once.
        self.party.advance(self.now)

    @precondition(
        lambda self: any(
            t.kind == TaskKind.ZERO_TOLERANCE_REVIEW and t.status == TaskStatus.OPEN for t in self.state.tasks
        )
    )
    @rule(data=st.data(), role=st.sampled_from(list(Role)), lift=st.booleans())
    def zero_tolerance_review_decided(self, data, role, lift):
        """R15, R15a: someone in a random role decides a zero-tolerance review; only a
        manager for an individual, only R7's approvers for an organisation or a
        professional (these reviews never escalate here: nothing plans their dates)."""
        reviews = [
            t for t in self.state.tasks if t.kind == TaskKind.ZERO_TOLERANCE_REVIEW and t.status == TaskStatus.OPEN
        ]
        task = data.draw(st.sampled_from(reviews))
        r7 = self.state.party.kind == PartyKind.ORGANISATION or self.state.party.professional_capacity
        allowed = R7_APPROVERS if r7 else [Role.MANAGER]
        decision = TaskDecision(
            decision_id=self._next_id("d"),
            party_id=self.state.party.party_id,
            task_id=task.task_id,
            decided_by="reviewer-1",
            role=role,
            outcome=TaskOutcome.LIFT_STOP if lift else TaskOutcome.CONFIRM_STOP,
            reason="The party apologised and undertook not to repeat it." if lift else "",
            police_referral=not lift,
            decided_at=self.now,
        )
        before = self.state.model_dump()
        try:
            decisions.check_decision(self.state, decision, self.now)
        except PolicyRefusal as refused:
            assert role not in allowed, (role, refused)
            assert refused.rule == ("R7" if r7 else "tasks"), refused
            self._expect_unchanged(before)
            return
        assert role in allowed, role
        stop = next(
            (
                r
                for r in self.state.restrictions
                if r.grounds == RestrictionGrounds.ZERO_TOLERANCE
                and r.status == RestrictionStatus.IN_FORCE
                and task.subject_id in r.incident_ids
            ),
            None,
        )
        decisions.apply_decision(self.state, decision, self.now)
        assert task.status == TaskStatus.DONE
        if stop is not None:
            # R15: lifting ends the stop now, on record; confirming keeps it.
            assert stop.status == (RestrictionStatus.EXPIRED if lift else RestrictionStatus.IN_FORCE)

    # --- invariants ---------------------------------------------------------

    @invariant()
    def only_justified_restrictions_start(self):
        """(1) R14: nothing starts without a warning live at a basis incident, a
        recurrence window, a similar restriction in force, or zero tolerance."""
        for r in self.state.restrictions:
            if r.status in STARTED:
                assert r.starts_at is not None
                assert r.restriction_id in self.justified
                assert r.grounds in self.justified[r.restriction_id]

    @invariant()
    def in_force_restriction_ends_six_months_after_last_instance(self):
        """(2) R12: ends_at is six months after the latest counted instance."""
        for r in self.state.restrictions:
            if r.status == RestrictionStatus.IN_FORCE:
                assert r.last_instance_at == self.expected_last[r.restriction_id], r.restriction_id
                assert r.ends_at == six_months_after(r.last_instance_at), r.restriction_id
            if r.status == RestrictionStatus.AWAITING_APPROVAL:
                assert r.last_instance_at == self.expected_last[r.restriction_id], r.restriction_id

    @invariant()
    def nothing_is_removed(self):
        """(3) R3: entries are never deleted and statuses only move forward."""
        now = self._snapshot()
        old = self.seen
        assert all(a >= b for a, b in zip(now["counts"], old["counts"], strict=True)), (old["counts"], now["counts"])
        for key in ("incidents", "asks", "tasks"):
            assert old[key] <= now[key], key
        for wid, (status, expires_at) in old["warnings"].items():
            assert wid in now["warnings"]
            assert now["warnings"][wid][0] in WARNING_MOVES[status]
            # R5a: an expiry only ever moves later, and only while the warning is live.
            assert now["warnings"][wid][1] >= expires_at
            if status == WarningStatus.EXPIRED:
                assert now["warnings"][wid][1] == expires_at
        for rid, (status, ended_at) in old["restrictions"].items():
            assert rid in now["restrictions"]
            assert now["restrictions"][rid][0] in RESTRICTION_MOVES[status]
            if ended_at is not None:
                assert now["restrictions"][rid][1] == ended_at
        assert self.state.incident_count == len(self.state.incidents)
        self.seen = now

    @invariant()
    def stage_matches_what_is_live(self):
        """(5) The stored stage is the stage the record shows now."""
        s = self.state
        assert s.stage == rules.stage_of(s, self.now)
        in_force = [r for r in s.restrictions if r.status == RestrictionStatus.IN_FORCE]
        if any(r.grounds == RestrictionGrounds.ZERO_TOLERANCE for r in in_force):
            expected = Stage.ZERO_TOLERANCE
        elif in_force:
            expected = Stage.RESTRICTED
        elif any(w.status == WarningStatus.LIVE for w in s.warnings):
            expected = Stage.WARNED
        elif any(
            r.status == RestrictionStatus.EXPIRED and r.ended_at <= self.now < six_months_after(r.ended_at)
            for r in s.restrictions
        ):
            expected = Stage.RECURRENCE_WINDOW
        elif s.asks:
            expected = Stage.ASKED
        else:
            expected = Stage.NONE
        assert s.stage == expected
        if rules.is_dormant(s, self.now):
            assert expected in (Stage.NONE, Stage.ASKED)
            assert not any(r.status == RestrictionStatus.AWAITING_APPROVAL for r in s.restrictions)
            assert not any(t.status == TaskStatus.OPEN for t in s.tasks)

    @invariant()
    def no_open_task_asks_what_no_longer_stands(self):
        """R12, R11: an open review is of a restriction in force, about its current
        end, and one at most; an open approval is of a restriction awaiting it."""
        reviewed = []
        for t in self.state.tasks:
            if t.status != TaskStatus.OPEN:
                continue
            r = self.state.restriction(t.subject_id)
            if t.kind == TaskKind.RESTRICTION_REVIEW:
                assert r.status == RestrictionStatus.IN_FORCE, t.task_id
                assert t.created_at >= r.ends_at - REVIEW_LEAD, t.task_id
                assert f"ends on {written_date(r.ends_at)}:" in t.summary, t.summary
                reviewed.append(r.restriction_id)
            elif t.kind == TaskKind.RESTRICTION_APPROVAL:
                assert r.status == RestrictionStatus.AWAITING_APPROVAL, t.task_id
        assert len(reviewed) == len(set(reviewed)), reviewed

    @invariant()
    def warnings_last_six_months_after_communication_or_the_latest_repeat(self):
        """R5, R5a: a warning ends six calendar months after it was communicated or,
        if later, after the latest similar incident while it was live; never earlier.
        It says which repeat moved it, and it is live until then."""
        for w in self.state.warnings:
            assert w.expires_at == self.expected_expiry[w.warning_id], w.warning_id
            own = six_months_after(w.communicated_at)
            assert w.expires_at >= own
            for iid in self.held_open_by[w.warning_id]:
                assert w.expires_at >= six_months_after(self.state.incidents[iid].occurred_at), (w.warning_id, iid)
            if w.extended_by_incident_id is None:
                assert w.expires_at == own
            else:
                moved_by = self.state.incidents[w.extended_by_incident_id]
                assert w.extended_by_incident_id in self.held_open_by[w.warning_id]
                assert w.covers(moved_by.category)
                assert w.expires_at == six_months_after(moved_by.occurred_at) > own
            assert (w.status == WarningStatus.LIVE) == (w.expires_at > self.now), w.warning_id

    @invariant()
    def zero_tolerance_reviews_go_to_the_right_deciders(self):
        """R15, R15a: a manager reviews an individual's stop; the Ombudsman or the
        Executive Team review an organisation's or a professional's; R7's
        alternates join either on escalation."""
        r7 = self.state.party.kind == PartyKind.ORGANISATION or self.state.party.professional_capacity
        for t in self.state.tasks:
            if t.kind == TaskKind.ZERO_TOLERANCE_REVIEW:
                assert t.candidate_roles == (R7_APPROVERS if r7 else [Role.MANAGER]), t.task_id
                assert t.escalation_roles == R7_ALTERNATES, t.task_id


PartyLife.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
TestR3R5R5aR12R14R15R15aInvariantsOverRandomHistories = PartyLife.TestCase
