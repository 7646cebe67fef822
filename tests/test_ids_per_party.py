"""Ids per party (services.message_ids): an id a case system chose for one party, reused
for another, is refused at the door (409 `ids-per-party`) without naming that party, and
nothing on either file is lost or moved; the same message sent again to its own party is a
duplicate, as before."""

import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from records.store import RecordStore
from tests.helpers import ask, incident, new_party, restriction, warning
from tests.test_api import Api, api  # noqa: F401  (the api fixture)


def _body(message, *drop: str) -> dict:
    return message.model_dump(mode="json", exclude={"authority", *drop})


async def _post(api: Api, path: str, body: dict) -> httpx.Response:  # noqa: F811
    return await api.client.post(path, json=body, headers=api.auth())


def _refused_for_another_party(answer: httpx.Response, kind: str, message_id: str, owner: str) -> None:
    assert answer.status_code == 409, answer.text
    refusal = answer.json()
    assert refusal["rule"] == "ids-per-party"
    assert refusal["detail"].startswith(f"ids-per-party: {kind} id {message_id!r} is already on file for another")
    assert owner not in refusal["detail"]  # the other party is not named


async def test_ids_reused_for_another_party_are_refused_and_nothing_is_lost(time_skipping_env, api, store):  # noqa: F811
    a, b = new_party(), new_party()
    now = await time_skipping_env.get_current_time()
    first = incident(a, now - timedelta(hours=2))
    second = incident(a, now - timedelta(hours=1))
    for report in (first, second):
        assert (await _post(api, f"/parties/{a.party_id}/incidents", _body(report))).is_success
    asked = ask(a, [first.incident_id], now - timedelta(minutes=90))
    warned = warning(a, [second.incident_id], now - timedelta(minutes=30))
    proposed = restriction(a, [second.incident_id], now).model_copy(update={"proposed_by": "manager-1"})
    for path, message in (("asks", asked), ("warnings", warned), ("restrictions", proposed)):
        answer = await _post(api, f"/parties/{a.party_id}/{path}", _body(message, "party_id"))
        assert answer.status_code in (200, 409) and answer.json().get("rule") != "ids-per-party", answer.text

    theirs = incident(b, now - timedelta(minutes=10), incident_id=first.incident_id)
    for wait in ("true", "false"):
        answer = await api.client.post(
            f"/parties/{b.party_id}/incidents", params={"wait": wait}, json=_body(theirs), headers=api.auth()
        )
        _refused_for_another_party(answer, "incident", first.incident_id, a.party_id)
    for path, message, kind, message_id in (
        ("asks", asked, "ask", asked.ask_id),
        ("warnings", warned, "warning", warned.warning_id),
        ("restrictions", proposed, "restriction", proposed.restriction_id),
    ):
        answer = await _post(api, f"/parties/{b.party_id}/{path}", _body(message, "party_id"))
        _refused_for_another_party(answer, kind, message_id, a.party_id)

    # Nothing was sent for B, and A's file holds its own, unmoved.
    assert (await api.client.get(f"/parties/{b.party_id}", headers=api.auth())).status_code == 404
    status = (await api.client.get(f"/parties/{a.party_id}", headers=api.auth())).json()
    assert status["incident_count"] == 2 and [w["warning_id"] for w in status["warnings"]] == [warned.warning_id]
    assert {row.party_id for row in store.incidents(a.party_id)} == {a.party_id}
    # The same message again to its own party is a duplicate, not a refusal; B with its own id is answered.
    again = await _post(api, f"/parties/{a.party_id}/incidents", _body(first))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    fresh = await _post(api, f"/parties/{b.party_id}/incidents", _body(theirs, "incident_id") | {"incident_id": "b-1"})
    assert fresh.status_code == 200 and fresh.json()["duplicate"] is False


async def test_a_decision_id_reused_on_another_partys_task_is_refused(time_skipping_env, api, store):  # noqa: F811
    now = await time_skipping_env.get_current_time()
    tasks = []
    for party in (new_party(), new_party()):
        report = incident(party, now - timedelta(hours=1))  # experienced by colleague-2: an R18 support task
        assert (await _post(api, f"/parties/{party.party_id}/incidents", _body(report))).is_success
        tasks.append(f"support-{report.incident_id}")
    support = {"outcome": "support_recorded", "support_offered": ["employee_assistance_programme"]}
    key = {"Idempotency-Key": f"dec-{uuid.uuid4().hex}"}
    headers = api.auth("manager-1") | key
    decided = await api.client.post(f"/tasks/{tasks[0]}/decision", json=support, headers=headers)
    assert decided.status_code == 200, decided.text
    refused = await api.client.post(f"/tasks/{tasks[1]}/decision", json=support, headers=headers)
    _refused_for_another_party(refused, "decision", key["Idempotency-Key"], tasks[0])
    assert [d.task_id for d in store.decisions(task_id=tasks[0])] == [tasks[0]]
    assert store.decisions(task_id=tasks[1]) == []


def test_two_doors_claiming_one_id_for_two_parties_at_once_one_wins(record_store: RecordStore):
    """The claim is one insert: of many threads claiming one id for different parties, all
    are told the same owner, which is one of them."""
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    owners: list[str] = []
    start = threading.Barrier(8)

    def claim(n: int) -> None:
        start.wait()
        owners.append(record_store.claim_message_id("incident", "same-id-1", f"p-{n}", at))

    threads = [threading.Thread(target=claim, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(owners)) == 1 and owners[0] in {f"p-{n}" for n in range(8)}
    assert record_store.claim_message_id("incident", "same-id-1", owners[0], at) == owners[0]
