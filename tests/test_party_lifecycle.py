"""Time-skipping walk of one party through two years of the policy."""

from datetime import datetime, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from policy.messages import TaskDecision
from policy.vocabulary import (
    Advice,
    Category,
    Measure,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    WarningStatus,
)
from tests.helpers import (
    LONDON,
    ask,
    incident,
    new_party,
    next_local,
    restriction,
    wait_for_status,
    warning,
)


def six_months_local(at: datetime) -> datetime:
    return at.astimezone(LONDON) + relativedelta(months=6)


async def test_two_years_ask_warn_restrict_extend_expire_recur_complete(time_skipping_env, parties, store):
    """R4, R5, R6, R12, R13, R3: the whole ask, warn, manage cycle on one party."""
    env = time_skipping_env
    party = new_party()
    pid = party.party_id
    anchor = next_local(await env.get_current_time(), 8, 31)
    await env.sleep(anchor - await env.get_current_time())

    # R4: a first incident is answered with an ask.
    first = incident(party, anchor - timedelta(days=2))
    outcome = await parties.report_incident(first)
    assert outcome.advice == [Advice.ASK] and outcome.stage == Stage.NONE
    asked = await parties.record_ask(ask(party, [first.incident_id], anchor - timedelta(days=2)))
    assert asked.stage == Stage.ASKED

    # R5: the behaviour recurs after the ask, so a warning may follow.
    second = incident(party, anchor - timedelta(days=1))
    assert (await parties.report_incident(second)).advice == [Advice.WARN]
    warned = await parties.issue_warning(warning(party, [second.incident_id], anchor))
    assert warned.stage == Stage.WARNED
    # 31 August + 6 months lands on the last day of February, same local time.
    february_end = 29 if (anchor.year + 1) % 4 == 0 else 28
    assert warned.warning.expires_at == datetime(anchor.year + 1, 2, february_end, 11, tzinfo=LONDON)

    # R6: a repeat while the warning is in place allows a restriction.
    await env.sleep(timedelta(days=10))
    third = incident(party, await env.get_current_time())
    assert (await parties.report_incident(third)).advice == [Advice.RESTRICT]
    restricted = await parties.apply_restriction(restriction(party, [third.incident_id], third.occurred_at))
    r1 = restricted.restriction
    assert restricted.stage == Stage.RESTRICTED
    assert r1.status == RestrictionStatus.IN_FORCE and r1.grounds == RestrictionGrounds.WARNING_IN_PLACE
    assert r1.ends_at == six_months_local(third.occurred_at)

    # R12: three repeats, each moving the end to six months after that instance.
    for _ in range(3):
        await env.sleep(timedelta(days=30))
        repeat = incident(party, await env.get_current_time())
        outcome = await parties.report_incident(repeat)
        assert outcome.advice == [Advice.RESTRICTION_EXTENDED, Advice.CONSIDER_STEPPING_UP]
        assert outcome.restrictions_extended == {r1.restriction_id: six_months_local(repeat.occurred_at)}
    last_end = outcome.restrictions_extended[r1.restriction_id]

    # R12: the restriction expires at its moved end date and stays on record.
    await env.sleep(last_end - await env.get_current_time() + timedelta(days=1))
    status = await wait_for_status(parties, pid, lambda s: s.stage == Stage.RECURRENCE_WINDOW)
    # R5, R5a: the repeat that led to the restriction held the warning open to six
    # months after it (not the end of February); it has expired and stays on record.
    [expired_warning] = status.warnings
    assert expired_warning.status == WarningStatus.EXPIRED
    assert expired_warning.expires_at == six_months_local(third.occurred_at)
    assert expired_warning.extended_by_incident_id == third.incident_id
    expired = status.restrictions[0]
    assert expired.status == RestrictionStatus.EXPIRED and expired.ended_at == last_end
    assert expired.recurrence_window_ends_at == six_months_local(last_end)

    # R13: recurrence within six months: a restriction again, without a new warning.
    await env.sleep(timedelta(days=30))
    recurrence = incident(party, await env.get_current_time())
    assert (await parties.report_incident(recurrence)).advice == [Advice.RESTRICT_WITHOUT_WARNING]
    again = await parties.apply_restriction(restriction(party, [recurrence.incident_id], recurrence.occurred_at))
    assert again.restriction.grounds == RestrictionGrounds.RECURRENCE
    assert again.restriction.status == RestrictionStatus.IN_FORCE
    r2_window_end = six_months_local(again.restriction.ends_at)

    # R18: the colleague-support follow-up is the last decision owed.
    await parties.decide_task(
        TaskDecision(
            decision_id="support-decision",
            party_id=pid,
            task_id=f"support-{first.incident_id}",
            decided_by="manager-1",
            role=Role.MANAGER,
            outcome=TaskOutcome.SUPPORT_RECORDED,
            support_offered=[SupportOption.MENTAL_HEALTH_FIRST_AIDER],
            decided_at=await env.get_current_time(),
        )
    )
    reviews = [t for t in (await parties.status(pid)).open_tasks if t.kind == TaskKind.RESTRICTION_REVIEW]
    assert reviews == []  # the reviews of both restrictions were cancelled when they ended

    # Nothing live once the second recurrence window passes: the workflow completes.
    await env.sleep(r2_window_end - await env.get_current_time() + timedelta(days=1))
    final = await parties.handle(pid).result()
    assert final.stage == Stage.ASKED
    assert [r.status for r in final.restrictions] == [RestrictionStatus.EXPIRED, RestrictionStatus.EXPIRED]

    # R3: the whole record is still in the party's file.
    assert len(store.incidents(pid)) == 7
    assert [w.status for w in store.warnings(pid)] == [WarningStatus.EXPIRED]
    assert {r.status for r in store.restrictions(pid)} == {RestrictionStatus.EXPIRED}
    stages = [c.to_stage for c in store.stage_changes(pid)]
    assert stages == [
        Stage.ASKED,
        Stage.WARNED,
        Stage.RESTRICTED,
        Stage.RECURRENCE_WINDOW,
        Stage.RESTRICTED,
        Stage.RECURRENCE_WINDOW,
        Stage.ASKED,
    ]
    assert store.party(pid).stage == Stage.ASKED


async def test_zero_tolerance_from_first_contact(time_skipping_env, parties, store):
    """R15: one threat of harm stops direct contact at once and escalates; no ask or warn."""
    party = new_party()
    threat = incident(party, await time_skipping_env.get_current_time(), category=Category.ZERO_TOLERANCE)
    outcome = await parties.report_incident(threat)
    assert outcome.advice == [Advice.ZERO_TOLERANCE_APPLIED]
    assert outcome.stage == Stage.ZERO_TOLERANCE

    status = await parties.status(party.party_id)
    [stop] = status.restrictions
    assert stop.measures == [Measure.STOP_DIRECT_CONTACT]
    assert stop.grounds == RestrictionGrounds.ZERO_TOLERANCE and stop.status == RestrictionStatus.IN_FORCE
    assert stop.ends_at == six_months_local(threat.occurred_at)
    assert [t.kind for t in status.open_tasks] == [TaskKind.ZERO_TOLERANCE_REVIEW, TaskKind.COLLEAGUE_SUPPORT]
    assert status.asks == [] and status.warnings == []

    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await parties.issue_warning(warning(party, [threat.incident_id], threat.occurred_at))
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.type == "PolicyRefusal"
    assert "R15" in refused.value.cause.message

    assert store.party(party.party_id).stage == Stage.ZERO_TOLERANCE
    assert [t.kind for t in store.tasks(party_id=party.party_id)] == [
        TaskKind.ZERO_TOLERANCE_REVIEW,
        TaskKind.COLLEAGUE_SUPPORT,
    ]


async def warned_on_20_january(env, parties, party) -> tuple[datetime, str]:
    """Asked, then warned at 10:00 London time on the next 20 January (2027-01-20 when
    the test server starts in 2026); returns (when warned, warning id)."""
    warned_at = next_local(await env.get_current_time(), 1, 20, hour=10)
    await env.sleep(warned_at - await env.get_current_time())
    first = incident(party, warned_at - timedelta(days=2))
    await parties.report_incident(first)
    await parties.record_ask(ask(party, [first.incident_id], warned_at - timedelta(days=2)))
    second = incident(party, warned_at - timedelta(days=1))
    await parties.report_incident(second)
    warned = await parties.issue_warning(warning(party, [second.incident_id], warned_at))
    assert warned.warning.expires_at == datetime(warned_at.year, 7, 20, 10, tzinfo=LONDON)
    return warned_at, warned.warning.warning_id


async def report_at(env, parties, party, at: datetime):
    """Let the server's clock reach `at`, then report an incident that happened then."""
    await env.sleep(at - await env.get_current_time())
    report = incident(party, at)
    return report, await parties.report_incident(report)


async def test_r5a_a_repeat_holds_the_warning_open_and_a_later_repeat_grounds_a_restriction(
    time_skipping_env, parties, store
):
    """R5a, R6: warned 20 January, a similar repeat 10 July and no restriction: the
    warning is live until 10 January; a further repeat on 1 November, past the
    warning's own six months, grounds a restriction."""
    env = time_skipping_env
    party = new_party()
    pid = party.party_id
    warned_at, warning_id = await warned_on_20_january(env, parties, party)
    year = warned_at.year

    repeat, outcome = await report_at(env, parties, party, datetime(year, 7, 10, 10, tzinfo=LONDON))
    held_open = datetime(year + 1, 1, 10, 10, tzinfo=LONDON)
    assert outcome.advice == [Advice.RESTRICT]
    assert outcome.warnings_extended == {warning_id: held_open}

    # The warning's own six months pass; the workflow's timer moved with it.
    await env.sleep(datetime(year, 8, 1, 10, tzinfo=LONDON) - await env.get_current_time())
    status = await parties.status(pid)
    assert status.stage == Stage.WARNED
    [shown] = status.warnings
    assert (shown.status, shown.expires_at, shown.extended_by_incident_id) == (
        WarningStatus.LIVE,
        held_open,
        repeat.incident_id,
    )

    further, outcome = await report_at(env, parties, party, datetime(year, 11, 1, 10, tzinfo=LONDON))
    assert outcome.advice == [Advice.RESTRICT]
    restricted = await parties.apply_restriction(restriction(party, [further.incident_id], further.occurred_at))
    assert restricted.stage == Stage.RESTRICTED
    assert restricted.restriction.grounds == RestrictionGrounds.WARNING_IN_PLACE
    assert restricted.restriction.status == RestrictionStatus.IN_FORCE
    assert restricted.restriction.ends_at == six_months_local(further.occurred_at)

    # R3: the file holds the moved expiry and the repeat that last moved it.
    [row] = store.warnings(pid)
    assert row.expires_at == six_months_local(further.occurred_at)
    assert row.data["extended_by_incident_id"] == further.incident_id
    assert row.data["repeat_incident_ids"] == [repeat.incident_id, further.incident_id]


async def test_r5a_held_open_warning_expires_at_its_moved_date(time_skipping_env, parties, store):
    """R5a, R5, R3: with no further repeat the warning expires six months after the
    repeat, on its own timer, and stays on record."""
    env = time_skipping_env
    party = new_party()
    pid = party.party_id
    warned_at, warning_id = await warned_on_20_january(env, parties, party)
    repeat, _ = await report_at(env, parties, party, datetime(warned_at.year, 7, 10, 10, tzinfo=LONDON))
    held_open = datetime(warned_at.year + 1, 1, 10, 10, tzinfo=LONDON)

    await env.sleep(held_open - await env.get_current_time() - timedelta(hours=1))
    assert (await parties.status(pid)).stage == Stage.WARNED
    await env.sleep(timedelta(hours=2))
    status = await wait_for_status(parties, pid, lambda s: s.stage == Stage.ASKED)
    [expired] = status.warnings
    assert (expired.status, expired.expires_at, expired.extended_by_incident_id) == (
        WarningStatus.EXPIRED,
        held_open,
        repeat.incident_id,
    )
    [row] = store.warnings(pid)
    assert (row.warning_id, row.status, row.expires_at) == (warning_id, WarningStatus.EXPIRED, held_open)
