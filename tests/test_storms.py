"""A storm of signalled incidents to one party through the API (issue 24): past the party's
rate the API answers 429 with Retry-After; the party keeps working, and every incident
accepted is on its file."""

from datetime import timedelta

import httpx

from tests.helpers import in_the_sqlite_pass_only, incident, new_party, wait_for_status
from tests.test_api import _staff_and_tokens
from web.app import create_app

STORM = 5_000


@in_the_sqlite_pass_only("the API's bound on signals in flight (45 s)")
async def test_5000_signals_to_one_party_the_accepted_are_on_file_the_rest_got_429(
    time_skipping_env, parties, store, settings
):
    # The per-principal limit is raised, so that the party's own bound is what answers.
    settings = settings.model_copy(update={"requests_per_minute": 100 * STORM})
    tokens = _staff_and_tokens(store)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    party = new_party()
    now = await time_skipping_env.get_current_time()
    url = f"/parties/{party.party_id}/incidents"
    headers = {"Authorization": f"Bearer {tokens['case-system']}"}
    accepted: list[str] = []
    refused = 0
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
        for n in range(STORM):
            report = incident(party, now - timedelta(days=1) + timedelta(seconds=n), incident_id=f"storm-{n}")
            body = report.model_dump(mode="json", exclude={"authority"})
            answer = await api.post(url, params={"wait": "false"}, json=body, headers=headers)
            if answer.status_code == 202:
                accepted.append(report.incident_id)
            else:
                assert answer.status_code == 429, answer.text
                assert int(answer.headers["Retry-After"]) >= 1
                refused += 1
        assert len(accepted) >= settings.signals_per_party_per_minute and refused > 0
        assert len(accepted) + refused == STORM

        # The party still answers, and its file holds exactly what was accepted.
        last = incident(party, now, incident_id="after-the-storm")
        waited = await api.post(url, json=last.model_dump(mode="json", exclude={"authority"}), headers=headers)
        assert waited.status_code == 200, waited.text
    status = await wait_for_status(parties, party.party_id, lambda s: s.incident_count == len(accepted) + 1)
    assert not status.rejections
    on_file = {row.incident_id for row in store.incidents(party.party_id)}
    assert on_file == {*accepted, "after-the-storm"}
