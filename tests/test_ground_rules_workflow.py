"""R4a on Temporal's time-skipping server, through the HTTP API as a signed-in colleague: an
ask with an ended call and ground rules, a call at the contact gate answered with them, a
later ended call, a lift; then, on their own timers, a similar repeat holding them open,
a restriction superseding them for good, and ground rules lapsing six months after the
last instance. The rules themselves are tested without Temporal in tests/test_ground_rules.py."""

import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest_asyncio

from policy.messages import AskRecord, EndedCall, PartyRef
from policy.vocabulary import ContactChannel, GroundRulesStatus, RestrictionStatus, Stage
from tests.helpers import incident, new_party, restriction, wait_for_status, warning
from tests.test_api import Api, _staff_and_tokens
from web.app import create_app

RULES = "We end the call if voices are raised; we discuss case CASE-1 only."


@pytest_asyncio.fixture
async def api(parties, store, settings) -> AsyncIterator[Api]:
    tokens = _staff_and_tokens(store)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tokens)


async def _contact(api: Api, party_id: str, at: datetime, channel: str) -> dict:
    body = {"contact_id": f"c-{uuid.uuid4().hex[:8]}", "received_at": at.isoformat(), "channel": channel}
    answer = await api.client.post(f"/parties/{party_id}/contacts", json=body, headers=api.auth("colleague-9"))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_r4a_through_the_api_ended_calls_ground_rules_at_the_gate_and_a_lift(
    time_skipping_env, parties, store, api
):
    """R4a: none of it needs a warning or approval, or makes a restriction; bad input is a 422
    naming the field, a call after no ask a 409 naming R4a; the file and the board report count
    the calls ended and the ground rules agreed."""
    now = await time_skipping_env.get_current_time()
    party = new_party()
    pid = party.party_id
    first = incident(party, now - timedelta(hours=3))
    await parties.report_incident(first)
    colleague = api.auth("colleague-9")
    ask = {
        "ask_id": "ask-1",
        "incident_ids": [first.incident_id],
        "asked_at": (now - timedelta(hours=2)).isoformat(),
        "ended_call": {
            "ended_at": (now - timedelta(hours=2) + timedelta(minutes=5)).isoformat(),
            "channel": "phone",
            "why": "The shouting went on after I asked them to stop.",
            "ground_rules": RULES,
        },
    }
    asked = await api.client.post(f"/parties/{pid}/asks", json=ask, headers=colleague)
    assert asked.status_code == 200, asked.text
    assert asked.json()["stage"] == Stage.ASKED

    call = await _contact(api, pid, now, "phone")
    assert call["handling"] == "respond" and call["reply"] and "R4a" in call["rules"]
    assert call["notes"] == [
        f'start the call by agreeing the ground rules set when call ask-1 was ended (R4a): "{RULES}"'
    ]
    meeting = await _contact(api, pid, now, "in_person")
    assert meeting["notes"][0].startswith("start the meeting by agreeing the ground rules")
    assert (await _contact(api, pid, now, "email"))["notes"] == []

    wrong = ask["ended_call"] | {"channel": "email"}
    bad = await api.client.post(
        f"/parties/{pid}/ended-calls",
        json={"call_id": "call-x", "ask_id": "ask-1", **wrong},
        headers=colleague,
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "channel", bad.text
    no_ask = {"call_id": "call-y", "ask_id": "ask-none", **ask["ended_call"]}
    refused = await api.client.post(f"/parties/{pid}/ended-calls", json=no_ask, headers=colleague)
    assert refused.status_code == 409 and refused.json()["rule"] == "R4a", refused.text

    later = {
        "call_id": "call-2",
        "ask_id": "ask-1",
        "ended_at": (now - timedelta(minutes=30)).isoformat(),
        "channel": "in_person",
        "why": "Insults again in the meeting.",
        "ground_rules": "Meetings end at the first insult.",
    }
    recorded = await api.client.post(f"/parties/{pid}/ended-calls", json=later, headers=colleague)
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["ended_call"]["ground_rules"]["status"] == GroundRulesStatus.STANDING
    elsewhere = await api.client.post(f"/parties/{new_party().party_id}/ended-calls", json=later, headers=colleague)
    assert elsewhere.status_code == 409 and elsewhere.json()["rule"] == "ids-per-party", elsewhere.text

    lift = {"lifted_at": now.isoformat(), "reason": "We agreed new rules in the meeting since."}
    lifted = await api.client.post(f"/parties/{pid}/ended-calls/ask-1/lift", json=lift, headers=colleague)
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["ended_call"]["ground_rules"]["status"] == GroundRulesStatus.LIFTED
    again = await api.client.post(f"/parties/{pid}/ended-calls/ask-1/lift", json=lift, headers=colleague)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    [note] = (await _contact(api, pid, now + timedelta(minutes=1), "phone"))["notes"]
    assert "call call-2" in note and "Meetings end at the first insult." in note

    status = await parties.status(pid)
    assert status.stage == Stage.ASKED and status.warnings == [] and status.restrictions == []
    assert [c.call_id for c in status.ended_calls] == ["ask-1", "call-2"]
    rows = store.ended_calls(pid)
    assert [(r.call_id, r.ended_by) for r in rows] == [("ask-1", "colleague-9"), ("call-2", "colleague-9")]
    assert all(r.ground_rules_agreed_at is not None for r in rows)
    assert [a.message_kind for a in store.acted(pid) if a.message_kind in ("ended_call", "ground_rules_lift")] == [
        "ended_call",
        "ground_rules_lift",
    ]
    # R3: a new run rebuilds them from the file, and the gate reads them there once the party has no run.
    rebuilt = store.load_party_state(PartyRef(party_id=pid), "Europe/London")
    assert rebuilt is not None and rebuilt.ended_calls == status.ended_calls
    from_file = store.load_gate_view(pid, "Europe/London")
    assert from_file is not None and from_file.ended_calls == status.ended_calls
    counts = store.board_counts(now - timedelta(days=1), now + timedelta(days=1), [])
    assert (counts.calls_ended, counts.ground_rules_agreed) == (2, 2)


async def test_r4a_on_their_timers_held_open_superseded_for_good_and_lapsed(time_skipping_env, parties):
    """R4a with R5a's arithmetic and R12: a similar repeat holds the ground rules open; for a
    party restricted later they are superseded and stay so when the restriction ends; for
    another they lapse six months after the repeat, on the workflow's own timer."""
    env = time_skipping_env
    now = await env.get_current_time()
    kept, restricted = new_party(), new_party()
    for party in (kept, restricted):
        first = incident(party, now - timedelta(days=2))
        await parties.report_incident(first)
        call = EndedCall(
            ended_at=now - timedelta(days=1), channel=ContactChannel.PHONE, why="Went on.", ground_rules=RULES
        )
        asked_at = now - timedelta(days=1, hours=1)
        ask = AskRecord(
            ask_id=f"{party.party_id}-ask",
            party_id=party.party_id,
            incident_ids=[first.incident_id],
            asked_at=asked_at,
            asked_by="colleague-1",
            ended_call=call,
        )
        await parties.record_ask(ask)
    await env.sleep(timedelta(days=30))
    repeat_at = await env.get_current_time()
    outcome = await parties.report_incident(incident(kept, repeat_at))
    [held_until] = outcome.ground_rules_held_open.values()
    assert held_until > now + timedelta(days=180)

    second = incident(restricted, repeat_at)
    await parties.report_incident(second)
    await parties.issue_warning(warning(restricted, [second.incident_id], repeat_at))
    third = incident(restricted, repeat_at + timedelta(minutes=1))
    await env.sleep(timedelta(minutes=2))
    await parties.report_incident(third)
    applied = await parties.apply_restriction(
        restriction(restricted, [third.incident_id], repeat_at + timedelta(minutes=2))
    )
    assert applied.restriction is not None and applied.restriction.status == RestrictionStatus.IN_FORCE
    [superseded] = (await parties.status(restricted.party_id)).ended_calls
    assert superseded.ground_rules is not None and superseded.ground_rules.status == GroundRulesStatus.SUPERSEDED

    await env.sleep(held_until - await env.get_current_time() + timedelta(hours=1))
    lapsed = await wait_for_status(
        parties,
        kept.party_id,
        lambda s: (
            s.ended_calls[0].ground_rules is not None
            and s.ended_calls[0].ground_rules.status == GroundRulesStatus.LAPSED
        ),
    )
    assert lapsed.ended_calls[0].ground_rules is not None and lapsed.ended_calls[0].ground_rules.ended_at == held_until
    ended = await wait_for_status(
        parties, restricted.party_id, lambda s: s.restrictions[0].status == RestrictionStatus.EXPIRED
    )
    assert ended.ended_calls[0].ground_rules is not None
    assert ended.ended_calls[0].ground_rules.status == GroundRulesStatus.SUPERSEDED  # not back when it ends
