"""The permission table (policy.permissions), role by action, through the HTTP API and the inbox:
each principal is allowed exactly what the table gives its role, and refused the rest with
403 naming the rule, nothing written. And the two demonstrations of the issue "Who acted is
who signed in": operations proposing a restriction "as" a manager, and an executive
approving a proposal made under another name, are refused.

The CLI acts through the API (tests/test_cli_door.py runs its commands' rows through it,
and those of the local commands: import and retention apply).
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from policy.effects import EffectBatch, PartySaved, TaskSaved
from policy.messages import PartyRef
from policy.permissions import PERMISSIONS, Action
from policy.state import HumanTask
from policy.tasks import TASK_RULES
from policy.vocabulary import Role, Stage, TaskKind
from records.store import RecordStore
from tests.helpers import incident, new_party, planned_task
from tests.sessions import sign_in
from web.app import create_app

# One principal per role, each holding that role alone; the case system acts for itself.
PEOPLE = {role: f"only-{role.value.replace('_', '-')}" for role in Role if role != Role.CASE_SYSTEM}
CASE_SYSTEM = "case-system-a"
# The staff the messages of tests.helpers name, for the parties the rows act on.
NAMED = {"colleague-1": [Role.COLLEAGUE], "colleague-2": [Role.COLLEAGUE]}
KIND_OF = {
    Action.DECIDE_RESTRICTION_APPROVAL: TaskKind.RESTRICTION_APPROVAL,
    Action.DECIDE_ZERO_TOLERANCE_REVIEW: TaskKind.ZERO_TOLERANCE_REVIEW,
    Action.GIVE_SPECIALIST_ADVICE: TaskKind.ADJUSTMENT_ADVICE,
    Action.DECIDE_COLLEAGUE_SUPPORT: TaskKind.COLLEAGUE_SUPPORT,
    Action.DECIDE_RESTRICTION_REVIEW: TaskKind.RESTRICTION_REVIEW,
}


@dataclass
class Door:
    client: httpx.AsyncClient
    tokens: dict[str, str]
    store: RecordStore
    now: datetime

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@asynccontextmanager
async def _door(parties, store: RecordStore, settings, now: datetime) -> AsyncIterator[Door]:
    for role, staff_id in PEOPLE.items():
        store.add_staff(staff_id, staff_id, [role])
    for staff_id, roles in NAMED.items():
        store.add_staff(staff_id, staff_id, roles)
    store.add_system(CASE_SYSTEM, "Case system A", [])
    tokens = {who: store.issue_token(who) for who in [*PEOPLE.values(), CASE_SYSTEM]}
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Door(client, tokens, store, now)


@pytest_asyncio.fixture
async def door(time_skipping_env, parties, store, settings) -> AsyncIterator[Door]:
    async with _door(parties, store, settings, await time_skipping_env.get_current_time()) as it:
        yield it


@pytest_asyncio.fixture
async def dev_door(dev_parties, store, settings) -> AsyncIterator[Door]:
    """On the dev server: an erasure deletes the party's workflow runs, which the time-skipping
    server cannot (its retries there would skip the shared server's clock years ahead)."""
    async with _door(dev_parties, store, settings, datetime.now(UTC)) as it:
        yield it


def _task(store: RecordStore, kind: TaskKind) -> tuple[str, str]:
    """A party with an open task of `kind` on its file, as a workflow would have saved it."""
    party = PartyRef(party_id=f"p-{uuid.uuid4().hex[:12]}")
    rule = TASK_RULES[kind]
    task = HumanTask(
        task_id=f"task-{uuid.uuid4().hex[:12]}",
        kind=kind,
        subject_id="s-1",
        created_at=datetime.now().astimezone(),
        summary="a task for the permission table",
        candidate_roles=list(rule.candidate_roles),
        escalation_roles=list(rule.escalation_roles),
    )
    at = task.created_at
    store.apply(
        EffectBatch(
            party_id=party.party_id,
            effects=[PartySaved(party=party, stage=Stage.WARNED, at=at), TaskSaved(party_id=party.party_id, task=task)],
        )
    )
    return party.party_id, task.task_id


Call = Callable[[Door, str, str], Awaitable[httpx.Response]]


def _at(door: Door) -> str:
    return (door.now - timedelta(minutes=5)).isoformat()


async def _report(door: Door, who: str, party_id: str) -> httpx.Response:
    body = incident(PartyRef(party_id=party_id), door.now - timedelta(hours=1)).model_dump(
        mode="json", exclude={"reported_by", "experienced_by", "authority"}
    )
    return await door.client.post(f"/parties/{party_id}/incidents", json=body, headers=door.auth(who))


async def _ask(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"ask_id": "a-1", "incident_ids": ["i-1"], "asked_at": _at(door)}
    return await door.client.post(f"/parties/{party_id}/asks", json=body, headers=door.auth(who))


async def _end_call(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"call_id": "call-1", "ask_id": "a-1", "ended_at": _at(door), "channel": "phone", "why": "It went on."}
    return await door.client.post(f"/parties/{party_id}/ended-calls", json=body, headers=door.auth(who))


async def _lift_ground_rules(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"lifted_at": _at(door), "reason": "Calls are calm now."}
    return await door.client.post(f"/parties/{party_id}/ended-calls/call-1/lift", json=body, headers=door.auth(who))


async def _warn(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"warning_id": "w-1", "incident_ids": ["i-1"], "communicated_at": _at(door), "reasons": "Abuse went on."}
    return await door.client.post(f"/parties/{party_id}/warnings", json=body, headers=door.auth(who))


def _restriction(door: Door, **more) -> dict:
    return {
        "restriction_id": "r-1",
        "incident_ids": ["i-1"],
        "measures": ["single_named_contact"],
        "reasons": "Abuse went on during the warning.",
        "contact_arrangements": "Your caseworker, by email.",
        "decided_at": _at(door),
        **more,
    }


async def _restrict(door: Door, who: str, party_id: str) -> httpx.Response:
    return await door.client.post(f"/parties/{party_id}/restrictions", json=_restriction(door), headers=door.auth(who))


async def _step_up(door: Door, who: str, party_id: str) -> httpx.Response:
    body = _restriction(door, restriction_id="r-2", replaces_restriction_id="r-1")
    return await door.client.post(f"/parties/{party_id}/restrictions", json=body, headers=door.auth(who))


async def _request_adjustment(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"adjustment_id": "adj-1", "description": "Letters in large print.", "requested_at": _at(door)}
    return await door.client.post(f"/parties/{party_id}/adjustments", json=body, headers=door.auth(who))


async def _seek_advice(door: Door, who: str, party_id: str) -> httpx.Response:
    return await door.client.post(f"/parties/{party_id}/adjustments/adj-1/advice", json={}, headers=door.auth(who))


async def _decide_adjustment(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"agree": True, "reason": "Large print is easy to give.", "decided_at": _at(door)}
    url = f"/parties/{party_id}/adjustments/adj-1/decision"
    return await door.client.post(url, json=body, headers=door.auth(who))


async def _close_case(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"case_reference": "CASE-1", "closed_at": _at(door)}
    return await door.client.post(f"/parties/{party_id}/closed-cases", json=body, headers=door.auth(who))


async def _contact(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"contact_id": f"c-{uuid.uuid4().hex[:8]}", "received_at": _at(door), "channel": "email"}
    return await door.client.post(f"/parties/{party_id}/contacts", json=body, headers=door.auth(who))


async def _status(door: Door, who: str, party_id: str) -> httpx.Response:
    return await door.client.get(f"/parties/{party_id}", headers=door.auth(who))


async def _letters(door: Door, who: str, party_id: str) -> httpx.Response:
    return await door.client.get(f"/parties/{party_id}/letters", headers=door.auth(who))


async def _letter_sent(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"method": "post"}
    return await door.client.post(f"/letters/letter:warning:{party_id}-w/sent", json=body, headers=door.auth(who))


async def _erase(door: Door, who: str, party_id: str) -> httpx.Response:
    body = {"reason": "SAR-1: the person asked"}
    return await door.client.post(f"/parties/{party_id}/erasure", json=body, headers=door.auth(who))


async def _force_erasure(door: Door, who: str, party_id: str) -> httpx.Response:
    # Forcing is asked for in the role that may force: a role that may erase but not force is refused.
    role = next((r.value for r in PEOPLE if PEOPLE[r] == who), None)
    body = {"reason": "SAR-2: agreed by the Executive Team", "force": True, "role": role}
    return await door.client.post(f"/parties/{party_id}/erasure", json=body, headers=door.auth(who))


async def _decode(door: Door, who: str, party_id: str) -> httpx.Response:
    headers = door.auth(who) | {"X-Namespace": "default"}
    return await door.client.post("/codec/decode", json={"payloads": []}, headers=headers)


def _decide(action: Action) -> Call:
    async def decide(door: Door, who: str, party_id: str) -> httpx.Response:
        _, task_id = _task(door.store, KIND_OF[action])
        role = next(r for r in PEOPLE if PEOPLE[r] == who) if who in PEOPLE.values() else Role.CASE_SYSTEM
        body = {"outcome": "recuse", "reason": "I know the person.", "role": role.value}
        if role == Role.CASE_SYSTEM:
            del body["role"]
        return await door.client.post(f"/tasks/{task_id}/decision", json=body, headers=door.auth(who))

    return decide


async def _inbox_page(door: Door, who: str, path: str, params: dict[str, str] | None = None) -> httpx.Response:
    """An inbox page, signed in as `who` (a case system has no session: it is answered as nobody)."""
    door.client.cookies.clear()
    if who != CASE_SYSTEM:
        sign_in(door.client, door.store, who)
    try:
        answer = await door.client.get(path, params=params)
        # Not signed in is not permitted either: the table's refusal is what a row expects.
        return httpx.Response(403, text=answer.text) if answer.status_code == 303 else answer
    finally:
        door.client.cookies.clear()


async def _report_page(door: Door, who: str, party_id: str) -> httpx.Response:
    return await _inbox_page(door, who, "/inbox/report", {"from": "2026-01-01", "to": "2026-03-31"})


async def _security_log_page(door: Door, who: str, party_id: str) -> httpx.Response:
    return await _inbox_page(door, who, "/inbox/security-log")


async def _events(door: Door, who: str, party_id: str) -> httpx.Response:
    return await door.client.get("/events", params={"party": party_id}, headers=door.auth(who))


async def _webhooks(door: Door, who: str, party_id: str) -> httpx.Response:
    return await door.client.get("/webhooks", headers=door.auth(who))


# Each action the API (or the inbox, for the board report) offers, as one call.
THROUGH_THE_DOOR: dict[Action, Call] = {
    Action.REPORT_INCIDENT: _report,
    Action.RECORD_ASK: _ask,
    Action.RECORD_ENDED_CALL: _end_call,
    Action.LIFT_GROUND_RULES: _lift_ground_rules,
    Action.ISSUE_WARNING: _warn,
    Action.PROPOSE_RESTRICTION: _restrict,
    Action.STEP_UP: _step_up,
    **{action: _decide(action) for action in KIND_OF},
    Action.REQUEST_ADJUSTMENT: _request_adjustment,
    Action.SEEK_ADVICE: _seek_advice,
    Action.DECIDE_ADJUSTMENT: _decide_adjustment,
    Action.CLOSE_CASE: _close_case,
    Action.ASK_CONTACT_GATE: _contact,
    Action.READ_STATUS: _status,
    Action.READ_LETTERS: _letters,
    Action.MARK_LETTER_SENT: _letter_sent,
    Action.DECODE_PAYLOADS: _decode,
    Action.READ_BOARD_REPORT: _report_page,
    Action.READ_SECURITY_LOG: _security_log_page,
    Action.READ_EVENTS: _events,
    Action.MANAGE_WEBHOOKS: _webhooks,
}
ROWS = [(action, role) for action in THROUGH_THE_DOOR for role in Role]
ERASURE: dict[Action, Call] = {Action.ERASE_PARTY: _erase, Action.FORCE_ERASURE: _force_erasure}
ERASURE_ROWS = [(action, role) for action in ERASURE for role in Role]


@pytest.mark.parametrize(("action", "role"), ROWS, ids=[f"{a.value}-{r.value}" for a, r in ROWS])
async def test_each_role_is_allowed_exactly_what_the_table_gives_it(door, action, role):
    await _row(door, THROUGH_THE_DOOR[action], action, role)


@pytest.mark.devserver
@pytest.mark.parametrize(("action", "role"), ERASURE_ROWS, ids=[f"{a.value}-{r.value}" for a, r in ERASURE_ROWS])
async def test_each_role_may_ask_for_an_erasure_exactly_as_the_table_says(dev_door, action, role):
    await _row(dev_door, ERASURE[action], action, role)


async def _row(door: Door, call: Call, action: Action, role: Role) -> None:
    """One row: allowed past the door, or refused with 403 naming the rule and nothing written."""
    who = CASE_SYSTEM if role == Role.CASE_SYSTEM else PEOPLE[role]
    party_id = new_party().party_id
    answer = await call(door, who, party_id)
    if role in PERMISSIONS[action].roles:
        # Past the door: the policy, the file or the task may still say no, but never the table.
        assert answer.status_code != 403, answer.text
        return
    assert answer.status_code == 403, answer.text
    if answer.headers["content-type"].startswith("application/json") and action != Action.DECODE_PAYLOADS:
        refusal = answer.json()
        assert refusal.get("rule", PERMISSIONS[action].rule) in (PERMISSIONS[action].rule, "who-acts"), refusal
        assert refusal["detail"].startswith(PERMISSIONS[action].rule), refusal
    assert door.store.party_rows([party_id]) == {}


def test_every_action_is_in_the_table_and_every_role_may_do_something():
    assert set(PERMISSIONS) == set(Action)
    for role in Role:
        assert any(role in p.roles for p in PERMISSIONS.values()), role
    # Operations runs the system and decides nothing about a party.
    operations = [a for a, p in PERMISSIONS.items() if Role.OPERATIONS in p.roles]
    assert operations == [Action.DECODE_PAYLOADS, Action.READ_SECURITY_LOG, Action.MANAGE_WEBHOOKS]


# --- the issue's two demonstrations -----------------------------------------------------------


async def test_operations_cannot_propose_a_restriction_as_a_manager(door, parties):
    party = new_party()
    await parties.report_incident(incident(party, door.now - timedelta(hours=2)))
    body = _restriction(door, measures=["block_all_contact"], proposed_by=PEOPLE[Role.MANAGER])
    url = f"/parties/{party.party_id}/restrictions"
    answer = await door.client.post(url, json=body, headers=door.auth(PEOPLE[Role.OPERATIONS]))
    assert answer.status_code == 403, answer.text
    assert answer.json()["rule"] == "who-acts"
    assert f"signed in as {PEOPLE[Role.OPERATIONS]}" in answer.json()["detail"]
    # Without the name, the table refuses operations in its own right (R6).
    del body["proposed_by"]
    answer = await door.client.post(url, json=body, headers=door.auth(PEOPLE[Role.OPERATIONS]))
    assert answer.status_code == 403 and answer.json()["rule"] == "R6", answer.text
    assert door.store.restrictions(party.party_id) == []


async def test_an_executive_cannot_propose_under_another_name_and_approve_it(door, parties):
    """R7: the four-eyes rule rests on who signed in, not on a field the caller types."""
    party = new_party(professional_capacity=True)
    executive, manager = PEOPLE[Role.EXECUTIVE_TEAM], PEOPLE[Role.MANAGER]
    first = incident(party, door.now - timedelta(days=40))
    await parties.report_incident(first)
    warn = {
        "warning_id": "w-1",
        "incident_ids": [first.incident_id],
        "communicated_at": (door.now - timedelta(days=30)).isoformat(),
        "reasons": "Abuse went on.",
    }
    answer = await door.client.post(f"/parties/{party.party_id}/warnings", json=warn, headers=door.auth(manager))
    assert answer.status_code == 200, answer.text
    repeat = incident(party, door.now - timedelta(days=1))
    await parties.report_incident(repeat)
    body = _restriction(door, incident_ids=[repeat.incident_id], proposed_by=manager)
    url = f"/parties/{party.party_id}/restrictions"
    answer = await door.client.post(url, json=body, headers=door.auth(executive))
    assert answer.status_code == 403 and answer.json()["rule"] == "who-acts", answer.text
    assert door.store.restrictions(party.party_id) == []

    # Proposed as themselves, the executive is the proposer, and may not approve it (R7).
    del body["proposed_by"]
    answer = await door.client.post(url, json=body, headers=door.auth(executive))
    assert answer.status_code == 200 and answer.json()["stage"] == "warned", answer.text
    [restriction] = door.store.restrictions(party.party_id)
    assert restriction.proposed_by == executive
    task = await planned_task(door.store, f"approve-{restriction.restriction_id}")
    decision = {"outcome": "approve"}
    answer = await door.client.post(f"/tasks/{task.task_id}/decision", json=decision, headers=door.auth(executive))
    assert answer.status_code in (403, 409), answer.text
    assert "conflict of interest" in answer.text or "holds none" in answer.text


# --- case systems ------------------------------------------------------------------------------


async def test_a_case_system_acts_for_the_staff_its_account_names_and_the_file_records_both(door, store):
    store.add_system("case-system-b", "Case system B", ["colleague-1"])
    token = store.issue_token("case-system-b")
    party = new_party()
    body = incident(party, door.now - timedelta(hours=1)).model_dump(mode="json", exclude={"authority"})
    url = f"/parties/{party.party_id}/incidents"
    headers = {"Authorization": f"Bearer {token}"}

    for named, why in (
        (None, "may not report incident for itself"),
        ("colleague-2", "may not act for colleague-2"),
        (PEOPLE[Role.SPECIALIST_ADVISER], "may not act for"),
    ):
        answer = await door.client.post(url, json=body | {"reported_by": named}, headers=headers)
        assert answer.status_code == 403 and why in answer.json()["detail"], answer.text
    assert store.party_rows([party.party_id]) == {}

    answer = await door.client.post(url, json=body | {"reported_by": "colleague-1"}, headers=headers)
    assert answer.status_code == 200, answer.text
    [acted] = store.acted(party.party_id)
    assert (acted.actor, acted.role, acted.via, acted.door) == ("colleague-1", "colleague", "case-system-b", "api")
    [row] = store.incidents(party.party_id)
    assert row.reported_by == "colleague-1"

    # A person someone else once was is no one to act for.
    store.set_staff_active("colleague-1", False)
    again = body | {"incident_id": "inc-again", "reported_by": "colleague-1"}
    answer = await door.client.post(url, json=again, headers=headers)
    assert answer.status_code == 403 and "not an active member of staff" in answer.json()["detail"]


async def test_a_colleague_named_as_experiencing_it_must_be_on_the_staff_list(door, store):
    party = new_party()
    body = incident(party, door.now - timedelta(hours=1)).model_dump(mode="json", exclude={"authority", "reported_by"})
    url = f"/parties/{party.party_id}/incidents"
    answer = await door.client.post(
        url, json=body | {"experienced_by": "nobody-here"}, headers=door.auth(PEOPLE[Role.COLLEAGUE])
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"][0]["loc"] == ["body", "experienced_by"]
    assert store.party_rows([party.party_id]) == {}


async def test_a_body_cannot_carry_a_seal_of_its_own(door):
    party = new_party()
    body = incident(party, door.now - timedelta(hours=1)).model_dump(mode="json", exclude={"reported_by"})
    body["authority"] = {"actor": "x", "role": "manager", "door": "api", "sealed_at": _at(door), "key_id": "k"}
    answer = await door.client.post(
        f"/parties/{party.party_id}/incidents", json=body, headers=door.auth(PEOPLE[Role.COLLEAGUE])
    )
    assert answer.status_code == 422, answer.text


async def test_the_inbox_decides_as_the_signed_in_person_only(door):
    """The inbox's decision form has no field for who decides: a forged one is refused."""
    _, task_id = _task(door.store, TaskKind.COLLEAGUE_SUPPORT)
    colleague = PEOPLE[Role.COLLEAGUE]
    door.client.cookies.clear()
    csrf = sign_in(door.client, door.store, colleague)
    form = {
        "form_key": csrf,
        "outcome": "support_recorded",
        "support_offered": "employee_assistance_programme",
        "decision_id": "",
    }
    answer = await door.client.post(f"/inbox/tasks/{task_id}/decision", data=form)
    assert answer.status_code == 403, answer.text
    assert "R18" in answer.text
    forged = await door.client.post(f"/inbox/tasks/{task_id}/decision", data=form | {"decided_by": "x"})
    assert forged.status_code in (403, 422), forged.text
    assert door.store.decisions(task_id=task_id) == []
