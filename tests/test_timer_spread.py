"""A deadline every party shares wakes each at an offset of its own (workflows.party.timer_offset,
issue 24): not before the deadline, and within the spread after it; the dates people are shown
do not move."""

from datetime import timedelta

from policy.vocabulary import Stage
from tests.helpers import ask, incident, new_party, wait_for_status, warning
from workflows.party import timer_offset

SPREAD = 600


def test_the_offset_is_the_partys_own_within_the_spread_and_none_without_one():
    offsets = {timer_offset(f"p-{n}", SPREAD) for n in range(200)}
    assert all(timedelta(0) <= o < timedelta(seconds=SPREAD) for o in offsets) and len(offsets) > 100
    assert timer_offset("p-1", SPREAD) == timer_offset("p-1", SPREAD)  # the same on every worker and replay
    assert timer_offset("p-1", 0) == timedelta(0)


async def test_r5_a_warning_ends_on_its_date_and_the_party_wakes_for_it_at_its_offset(time_skipping_env, parties):
    env = time_skipping_env
    parties.timer_spread_seconds = SPREAD
    party = next(p for p in iter(new_party, None) if timer_offset(p.party_id, SPREAD) > timedelta(minutes=2))
    offset = timer_offset(party.party_id, SPREAD)
    now = await env.get_current_time()
    first, second = incident(party, now - timedelta(hours=3)), incident(party, now - timedelta(hours=1))
    await parties.report_incident(first)
    await parties.record_ask(ask(party, [first.incident_id], now - timedelta(hours=2)))
    await parties.report_incident(second)
    warned = (await parties.issue_warning(warning(party, [second.incident_id], now))).warning
    assert warned is not None

    await env.sleep(warned.expires_at - await env.get_current_time() + timedelta(minutes=1))
    status = await parties.status(party.party_id)
    assert status.stage == Stage.WARNED and status.next_deadline == warned.expires_at  # the date shown stands
    await env.sleep(offset)
    status = await wait_for_status(parties, party.party_id, lambda s: s.stage != Stage.WARNED)
    assert status.stage == Stage.ASKED
    [ended] = [w for w in status.warnings if w.warning_id == warned.warning_id]
    assert ended.expires_at == warned.expires_at
