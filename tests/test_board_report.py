"""The board report (R10a) over a year of parties built through the real workflow and worker
on the time-skipping server: every figure checked against the records, suppression applied."""

import asyncio
import uuid
from collections import Counter
from datetime import datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from client.parties import PartyClient
from holiday_calendar import bank_holidays
from policy.dates import local_date
from policy.letters import LetterKind
from policy.messages import AdjustmentDecision, AdjustmentRequest, AdviceRequest, EndedCall, PartyRef, TaskDecision
from policy.report import (
    HIDDEN,
    SMALL,
    BoardCounts,
    Period,
    board_report,
    month_buckets,
    working_days_between,
)
from policy.state import RestrictionEntry
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    ContactChannel,
    PartyKind,
    RestrictionGrounds,
    Role,
    TaskKind,
    TaskOutcome,
)
from records.store import RecordStore
from reports.board import build_report
from reports.render import charts, report_csv, report_file
from tests.helpers import LONDON, ask, incident, new_party, restriction, wait_for_status, warning

STAFF = {
    "exec-1": [Role.EXECUTIVE_TEAM],
    "ado-1": [Role.ASSISTANT_DEPUTY_OMBUDSMAN],
    "manager-1": [Role.MANAGER],
    "adviser-1": [Role.SPECIALIST_ADVISER],
}
STARTED = {"in_force", "expired", "superseded"}


@pytest.fixture
def staff(store):
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id, roles)
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


async def warned_and_restricted(
    parties: PartyClient, party: PartyRef, now: datetime, category: Category, code: str
) -> str:
    """Incident, ask (its call ended, with ground rules: R4a), incident, warning, a repeat during it
    (R5a), a restriction (R6): in force for an individual, awaiting approval for an organisation (R7).
    Returns its id."""
    first, second, repeat = (incident(party, now - timedelta(days=d), category, code) for d in (3, 2, 1))
    await parties.report_incident(first)
    asked_at = now - timedelta(days=3)
    call = EndedCall(ended_at=asked_at, channel=ContactChannel.PHONE, why="It went on.", ground_rules="Calm voices.")
    await parties.record_ask(ask(party, [first.incident_id], asked_at).model_copy(update={"ended_call": call}))
    await parties.report_incident(second)
    await parties.issue_warning(warning(party, [second.incident_id], now - timedelta(days=2)))
    await parties.report_incident(repeat)
    request = restriction(party, [repeat.incident_id], now)
    await parties.apply_restriction(request)
    return request.restriction_id


async def open_task(parties: PartyClient, party: PartyRef, kind: TaskKind) -> str:
    status = await wait_for_status(
        parties, party.party_id, lambda s: any(t.kind == kind and t.planned for t in s.open_tasks)
    )
    return next(t.task_id for t in status.open_tasks if t.kind == kind)


def expected_counts(store: RecordStore, party_ids: set[str], period: Period) -> tuple[BoardCounts, list[int]]:
    """The report's counts worked out here from each party's rows, as the figures define them
    (docs/policy.md, R10a), and the working days each approval decided in the period took."""
    start, end = period.bounds("Europe/London")
    buckets = month_buckets(period, "Europe/London")

    def within(at: datetime | None) -> bool:
        return at is not None and start <= at < end

    def months(instants: list[datetime]) -> list[int]:
        return [sum(1 for at in instants if b.start <= at < b.end) for b in buckets]

    counts = BoardCounts()
    behaviours: Counter[tuple[str, str]] = Counter()
    received: list[datetime] = []
    communicated: list[datetime] = []
    started: list[datetime] = []
    kinds: Counter[str] = Counter()
    measures: Counter[str] = Counter()
    repeats: set[str] = set()
    waits: list[tuple[datetime, datetime]] = []
    holidays = bank_holidays(range(start.year, end.year + 1))
    for pid in party_ids:
        party = store.party(pid)
        if party is None:
            continue
        incidents = {i.incident_id: i for i in store.incidents(pid)}
        for i in incidents.values():
            if within(i.received_at):
                behaviours[(i.category, i.behaviour_code)] += 1
                received.append(i.received_at)
        counts.asks += sum(1 for a in store.asks(pid) if within(a.asked_at))
        calls = store.ended_calls(pid)
        counts.calls_ended += sum(1 for c in calls if within(c.ended_at))
        counts.ground_rules_agreed += sum(1 for c in calls if within(c.ground_rules_agreed_at))
        for w in store.warnings(pid):
            if within(w.communicated_at):
                communicated.append(w.communicated_at)
            repeats |= {r for r in w.data["repeat_incident_ids"] if within(incidents[r].received_at)}
        for r in store.restrictions(pid):
            entry = RestrictionEntry.model_validate(r.data)
            counts.in_force_at_end += entry.in_force_at(end)
            if r.status in STARTED and r.starts_at is not None and within(r.starts_at):
                started.append(r.starts_at)
                kinds[party.kind] += 1
                measures.update(r.measures)
                counts.zero_tolerance_stops += r.grounds == RestrictionGrounds.ZERO_TOLERANCE
        counts.ends_moved += sum(
            1 for x in store.letters(pid) if x.kind == LetterKind.END_MOVED and within(x.produced_at)
        )
        tasks = {t.task_id: t for t in store.tasks(party_id=pid)}
        for t in tasks.values():
            approval = t.kind == TaskKind.RESTRICTION_APPROVAL
            counts.approvals_requested += approval and within(t.created_at)
            escalated = t.data["escalated_at"]
            counts.approvals_escalated += (
                approval and escalated is not None and within(datetime.fromisoformat(escalated))
            )
            overdue = t.data["overdue_since"]
            counts.overdue_tasks += overdue is not None and within(datetime.fromisoformat(overdue))
        for d in store.decisions(party_id=pid):
            task = tasks[d.task_id]
            if not within(d.decided_at):
                continue
            if task.kind == TaskKind.ZERO_TOLERANCE_REVIEW:
                counts.police_referrals += d.data["police_referral"] is True
            if task.kind == TaskKind.RESTRICTION_APPROVAL and d.outcome in ("approve", "reject"):
                counts.approvals_approved += d.outcome == "approve"
                counts.approvals_rejected += d.outcome == "reject"
                waits.append((task.created_at, d.decided_at))
        for a in store.adjustments(pid):
            counts.adjustments_requested += within(a.requested_at)
            counts.adjustments_agreed += a.status == AdjustmentStatus.AGREED and within(a.decided_at)
            counts.adjustments_declined += a.status == AdjustmentStatus.DECLINED and within(a.decided_at)
    counts.incidents_by_behaviour = dict(behaviours)
    counts.incidents_by_month = months(received)
    counts.warnings = len(communicated)
    counts.warnings_by_month = months(communicated)
    counts.restrictions_by_kind = dict(kinds)
    counts.restrictions_by_measure = dict(measures)
    counts.restrictions_by_month = months(started)
    counts.warning_repeats = len(repeats)
    days = [
        working_days_between(local_date(opened), local_date(decided), holidays) for opened, decided in sorted(waits)
    ]
    return counts, days


def shown(report, table: str) -> dict[str, str]:
    t = report.table(table)
    return {r.label: r.shown for r in (*t.rows, *([t.total] if t.total else []))}


async def test_r10a_a_year_of_parties_every_figure_of_the_board_report_against_the_records(
    time_skipping_env, parties, staff, tmp_path
):
    """R10a (with R5a, R6, R7, R12, R13, R15, R16): a year of parties, the approvals decided;
    every count of the report equals the records', and counts under 5 are suppressed,
    with a secondary suppression where a total would give one away."""
    env = time_skipping_env
    local_now = (await env.get_current_time()).astimezone(LONDON)
    year_start = local_now.replace(day=1, hour=10, minute=0, second=0, microsecond=0) + relativedelta(months=1)
    await env.sleep(year_start + timedelta(days=4) - await env.get_current_time())
    now = await env.get_current_time()

    individuals = [new_party() for _ in range(6)]
    organisations = [new_party(PartyKind.ORGANISATION) for _ in range(5)]
    stops = [new_party() for _ in range(2)]
    other = new_party()
    restricted = await asyncio.gather(
        *(warned_and_restricted(parties, p, now, Category.AGGRESSIVE_OR_ABUSIVE, "verbal_abuse") for p in individuals),
        *(
            warned_and_restricted(parties, p, now, Category.UNACCEPTABLE_DEMANDS, "unreasonable_timescales")
            for p in organisations
        ),
        *(parties.report_incident(incident(p, now - timedelta(hours=2), Category.ZERO_TOLERANCE)) for p in stops),
        parties.report_incident(incident(other, now - timedelta(hours=1), Category.REFUSING_TO_COOPERATE)),
    )
    assert len(restricted) == 14

    # R15: the two stops reviewed by a manager, one referred to the police.
    for party, referral in zip(stops, (True, False), strict=True):
        review = await open_task(parties, party, TaskKind.ZERO_TOLERANCE_REVIEW)
        await parties.decide_task(
            decision(party, review, "manager-1", Role.MANAGER, TaskOutcome.CONFIRM_STOP, now, police_referral=referral)
        )
    # R16: one adjustment agreed; one declined after specialist advice.
    for n, party in enumerate(individuals[:2]):
        await parties.request_adjustment(
            AdjustmentRequest(
                adjustment_id=f"adj-{n}",
                party_id=party.party_id,
                description="Letters in large print",
                requested_at=now,
                recorded_by="colleague-2",
            )
        )
    await parties.seek_advice(
        AdviceRequest(adjustment_id="adj-1", party_id=individuals[1].party_id, requested_by="manager-1")
    )
    advice = await open_task(parties, individuals[1], TaskKind.ADJUSTMENT_ADVICE)
    await parties.decide_task(
        decision(
            individuals[1], advice, "adviser-1", Role.SPECIALIST_ADVISER, TaskOutcome.ADVICE_GIVEN, now, reason="Fine."
        )
    )
    for n, party in enumerate(individuals[:2]):
        await parties.decide_adjustment(
            AdjustmentDecision(
                adjustment_id=f"adj-{n}",
                party_id=party.party_id,
                agree=n == 0,
                decided_by="manager-1",
                reason="Considered with the party.",
                decided_at=now,
            )
        )

    # R7: four approvals on successive days, one rejected, and one left to escalate and go overdue.
    approvals = [await open_task(parties, p, TaskKind.RESTRICTION_APPROVAL) for p in organisations]
    for day, (party, task_id) in enumerate(zip(organisations[:4], approvals[:4], strict=True)):
        await env.sleep(timedelta(days=1))
        outcome = TaskOutcome.REJECT if day == 3 else TaskOutcome.APPROVE
        at = await env.get_current_time()
        await parties.decide_task(decision(party, task_id, "exec-1", Role.EXECUTIVE_TEAM, outcome, at, reason="Seen."))
    await env.sleep(timedelta(days=17))
    await wait_for_status(
        parties,
        organisations[4].party_id,
        lambda s: any(t.overdue_since for t in s.open_tasks if t.task_id == approvals[4]),
    )
    at = await env.get_current_time()
    await parties.decide_task(
        decision(organisations[4], approvals[4], "ado-1", Role.ASSISTANT_DEPUTY_OMBUDSMAN, TaskOutcome.APPROVE, at)
    )

    # R12: two repeats move restrictions' ends, in the third month.
    await env.sleep(year_start + relativedelta(months=2, days=10) - await env.get_current_time())
    for party in individuals[:2]:
        moved = await parties.report_incident(incident(party, await env.get_current_time()))
        assert moved.restrictions_extended
    # R13: in the tenth month, a recurrence after a restriction expired: restricted again without a warning.
    await env.sleep(year_start + relativedelta(months=9, days=10) - await env.get_current_time())
    again = individuals[2]
    recurrence = incident(again, await env.get_current_time())
    await parties.report_incident(recurrence)
    reapplied = await parties.apply_restriction(restriction(again, [recurrence.incident_id], recurrence.occurred_at))
    assert reapplied.restriction.grounds == RestrictionGrounds.RECURRENCE
    await env.sleep(year_start + relativedelta(months=12, days=2) - await env.get_current_time())
    # The records catch up with the timers (expiries, overdue tasks) before they are counted.
    await wait_for_status(parties, again.party_id, lambda s: s.restrictions[-1].status == "in_force")

    first_day = year_start.date()
    year = Period(first=first_day, last=first_day + relativedelta(years=1) - timedelta(days=1))
    quarter = Period(first=first_day, last=first_day + relativedelta(months=3) - timedelta(days=1))
    for period in (year, quarter):
        counts, days = expected_counts(staff, parties.party_ids, period)
        start, end = period.bounds("Europe/London")
        assert staff.board_counts(start, end, month_buckets(period, "Europe/London")) == counts, period
        generated = await env.get_current_time()
        report = build_report(staff, period, "Europe/London", generated)
        assert report == board_report(
            counts, period, month_buckets(period, "Europe/London"), days, generated, "Europe/London"
        )

    # The year, as the board sees it.
    counts, days = expected_counts(staff, parties.party_ids, year)
    report = build_report(staff, year, "Europe/London", generated)
    incidents = shown(report, "incidents")
    assert incidents["All incidents"] == "39" and incidents["Aggressive or abusive"] == "21"
    assert incidents["Zero tolerance"] == SMALL and incidents["Refusing to cooperate"] == SMALL
    assert incidents["Unacceptable demands"] == "15" and incidents["Unacceptable contact levels"] == "0"
    stages = shown(report, "stages")
    assert stages["Asks to stop (R4)"] == "11" and stages["Warnings given (R5)"] == "11"
    assert stages["Calls or meetings ended after an ask (R4a)"] == "11"
    assert stages["Ground rules agreed for future calls or meetings (R4a)"] == "11"
    assert stages["Repeats while a warning was live, holding it open (R5a)"] == "11"
    assert stages["Restriction end dates moved by a repeat (R12)"] == SMALL
    # Four organisations' restrictions, under 5: the individuals' count would give it away
    # from the total, so it is hidden too (secondary suppression).
    assert shown(report, "restrictions") == {
        "Individuals": HIDDEN,
        "Organisations": SMALL,
        "All restrictions put in force": "13",
    }
    assert shown(report, "in_force") == {
        "Restrictions in force at the end of the period": SMALL,
        "Zero-tolerance stops of direct contact (R15)": SMALL,
        "Zero-tolerance reviews referring the matter to the police": SMALL,
    }
    approvals_shown = shown(report, "approvals")
    assert approvals_shown["Restrictions sent for approval (R7, R9)"] == "5"
    assert (approvals_shown["Approved"], approvals_shown["Rejected"], approvals_shown["Approval decisions"]) == (
        SMALL,
        SMALL,
        "5",
    )
    assert approvals_shown["Approvals escalated to the alternates"] == SMALL
    assert report.median_days_to_decide == f"{sorted(days)[2]:g}" and len(days) == 5
    assert int(shown(report, "tasks")["Tasks of any kind that became overdue"]) >= 5
    assert (
        shown(report, "tasks")["Adjustments agreed"],
        shown(report, "tasks")["Adjustments declined, after specialist advice"],
    ) == (SMALL, SMALL)
    # By month: the tenth month's one restriction is under 5, so the first month's 12 is
    # hidden, or the total of 13 would tell it.
    [restrictions_by_month] = [s for name, s in report.trend.series if name == "Restrictions put in force"]
    assert restrictions_by_month[0] == HIDDEN and restrictions_by_month[9] == SMALL
    assert set(restrictions_by_month) - {HIDDEN, SMALL} == {"0"}
    # The quarter: everything restricted in the first month was still in force at its end.
    quarter_report = build_report(staff, quarter, "Europe/London", generated)
    assert shown(quarter_report, "in_force")["Restrictions in force at the end of the period"] == "12"

    # The charts, and the file for the board: nothing a table hides is drawn or written.
    drawn = charts(report)
    assert [c.png[:8] for c in drawn] == [b"\x89PNG\r\n\x1a\n"] * 3
    assert "Aggressive or abusive: 21" in drawn[0].alt and "Zero tolerance: <5" in drawn[0].alt
    html = report_file(report)
    assert html.count("data:image/png;base64,") == 3 and "<script" not in html
    assert report_csv(report).count(",c\r\n") >= 2
    for chart in drawn:
        (tmp_path / f"{chart.title}.png").write_bytes(chart.png)
