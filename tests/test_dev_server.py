"""On the real dev server (no time skipping): visibility, search attributes,
records, and messages racing continue-as-new."""

import asyncio
from datetime import UTC, datetime, timedelta

from temporalio.client import WorkflowExecutionStatus

from policy.vocabulary import Advice, Stage
from tests.helpers import ask, incident, new_party, warning
from workflows.party import workflow_id_for


async def _find(client, query: str, timeout: float = 15.0) -> list[str]:
    """Visibility is eventually consistent: poll until the query finds something."""
    for _ in range(int(timeout * 10)):
        found = [w.id async for w in client.list_workflows(query)]
        if found:
            return found
        await asyncio.sleep(0.1)
    return []


async def test_incidents_through_client_found_by_search_attribute_and_recorded(dev_server_env, dev_parties, store):
    """R3, R5: messages through the client; the party found by its stage; its file in the database."""
    party = new_party()
    now = datetime.now(UTC)
    first = incident(party, now - timedelta(hours=2))
    await dev_parties.send_incident(first)  # signal-with-start: fire and forget
    second = incident(party, now - timedelta(hours=1))
    assert (await dev_parties.report_incident(first)).duplicate
    await dev_parties.record_ask(ask(party, [first.incident_id], now - timedelta(hours=2)))
    assert (await dev_parties.report_incident(second)).advice == [Advice.WARN]
    await dev_parties.issue_warning(warning(party, [second.incident_id], now))

    wid = workflow_id_for(party.party_id)
    query = f"WorkflowId = '{wid}' AND UbpStage = 'warned' AND UbpPartyKind = 'individual'"
    assert await _find(dev_server_env.client, query) == [wid]

    assert [i.incident_id for i in store.incidents(party.party_id)] == [first.incident_id, second.incident_id]
    assert store.party(party.party_id).stage == Stage.WARNED
    [stored_warning] = store.warnings(party.party_id)
    assert stored_warning.expires_at.tzinfo is not None


async def test_500_incidents_racing_continue_as_new_each_recorded_once(dev_server_env, dev_parties, store):
    """R3: signals and updates racing continue-as-new; duplicates included; each recorded once."""
    party = new_party()
    start = datetime.now(UTC) - timedelta(days=1)
    reports = [incident(party, start + timedelta(seconds=i), incident_id=f"race-{i}") for i in range(500)]
    gate = asyncio.Semaphore(40)

    async def send(i: int) -> None:
        async with gate:
            if i % 2:
                await dev_parties.send_incident(reports[i])
            else:
                await dev_parties.report_incident(reports[i])
            if i % 10 == 0:  # a retried request
                await dev_parties.send_incident(reports[i])

    first_run = None
    await send(0)
    first_run = (await dev_parties.handle(party.party_id).describe()).run_id
    await asyncio.gather(*(send(i) for i in range(1, 500)))

    for _ in range(300):
        status = await dev_parties.status(party.party_id)
        if status.incident_count == 500:
            break
        await asyncio.sleep(0.1)
    assert status.incident_count == 500
    description = await dev_parties.handle(party.party_id).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.run_id != first_run, "the party never continued-as-new"
    # A write the records database was too busy for (SQLite's lock, under load) is retried
    # as an activity (workflows.io): on file a little later, never lost.
    for _ in range(600):
        recorded = store.incidents(party.party_id)
        if len(recorded) == 500:
            break
        await asyncio.sleep(0.1)
    assert sorted(i.incident_id for i in recorded) == sorted(r.incident_id for r in reports)
