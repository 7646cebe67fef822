"""Messages racing each other inside a party's workflow (issue 24)."""

import asyncio
from datetime import timedelta

from policy.effects import EffectBatch, IncidentRecorded, PartySaved
from policy.state import CARRIED_INCIDENTS
from policy.vocabulary import Stage
from tests.helpers import ask, incident, new_party


async def test_of_two_of_the_same_ask_at_once_one_is_the_duplicate(time_skipping_env, parties, store):
    """R4, R3: an ask naming an incident the run does not carry waits for it to be read back from
    the file; two of the same ask sent at once are judged after that read, so exactly one is
    new and the other says `duplicate` (before, both said it was new)."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    oldest = now - timedelta(days=300)
    # A file with more incidents than a run carries, so the oldest must be read back.
    reports = [incident(party, oldest + timedelta(hours=n)) for n in range(CARRIED_INCIDENTS + 5)]
    store.apply(
        EffectBatch(
            party_id=party.party_id,
            effects=[
                PartySaved(party=party, stage=Stage.NONE, at=oldest),
                *(IncidentRecorded(report=r, received_at=r.occurred_at) for r in reports),
            ],
        )
    )
    asked = ask(party, [reports[0].incident_id], now - timedelta(days=1))
    outcomes = await asyncio.gather(parties.record_ask(asked), parties.record_ask(asked))
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert [a.ask_id for a in store.asks(party.party_id)] == [asked.ask_id]
