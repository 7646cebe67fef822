"""The HTTP API and the managers' inbox, against the time-skipping server and a real records database."""

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from temporalio.service import RPCError, RPCStatusCode

from client.parties import PartyClient
from policy.effects import EffectBatch, PartySaved, TaskSaved
from policy.messages import PartyRef
from policy.state import HumanTask
from policy.vocabulary import Role, Stage, TaskKind, TaskStatus
from records.store import RecordStore
from tests.helpers import incident, new_party, planned_task, wait_for_status
from tests.sessions import sign_in
from web.app import create_app

STAFF = {
    "manager-1": ("Morgan Manager", [Role.MANAGER]),
    "exec-1": ("Edie Executive", [Role.EXECUTIVE_TEAM]),
    "colleague-9": ("Casey Colleague", [Role.COLLEAGUE]),
    # The staff the test messages name (tests.helpers.incident and friends).
    "colleague-1": ("Colin Colleague", [Role.COLLEAGUE]),
    "colleague-2": ("Cora Colleague", [Role.COLLEAGUE]),
}
# A case system's own account, acting for any member of staff on the list.
CASE_SYSTEM = "case-system"


@dataclass
class Api:
    client: httpx.AsyncClient
    tokens: dict[str, str]
    # For the inbox's sessions (tests.sessions).
    store: RecordStore | None = None

    def auth(self, staff_id: str = "case-system") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[staff_id]}"}


def _staff_and_tokens(store: RecordStore) -> dict[str, str]:
    for staff_id, (name, roles) in STAFF.items():
        store.add_staff(staff_id, name, roles)
    store.add_system(CASE_SYSTEM, "The case system", ["*"])
    return {staff_id: store.issue_token(staff_id) for staff_id in [*STAFF, CASE_SYSTEM]}


@pytest_asyncio.fixture
async def api(parties, store, settings) -> AsyncIterator[Api]:
    tokens = _staff_and_tokens(store)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tokens, store)


class UnreachableTemporal:
    """A PartyClient whose server is gone: every call fails as the real one does."""

    timezone = "Europe/London"  # the body's, which a PartyClient holds without asking its server

    def __getattr__(self, name):
        async def fail(*args, **kwargs):
            raise RPCError("failed to connect: connection refused", RPCStatusCode.UNAVAILABLE, b"")

        return fail


@pytest_asyncio.fixture
async def offline(store, settings) -> AsyncIterator[Api]:
    """The API with no Temporal behind it: enough for sign-in and validation."""
    tokens = _staff_and_tokens(store)
    # A stand-in, not a lazily connected client: a client that never reached its
    # server fails with the SDK's connect error, while a connected client whose
    # server went away fails with RPCError(UNAVAILABLE), the case shown here.
    parties = cast(PartyClient, UnreachableTemporal())
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tokens, store)


def _incident_body(party, at, **changes) -> dict:
    return incident(party, at).model_dump(mode="json") | changes


# --- case-system messages ------------------------------------------------------------------


async def test_incident_reported_waiting_and_not_waiting(time_skipping_env, api, parties):
    party = new_party()
    now = await time_skipping_env.get_current_time()
    body = _incident_body(party, now - timedelta(hours=1))
    url = f"/parties/{party.party_id}/incidents"

    first = await api.client.post(url, json=body, headers=api.auth())
    assert first.status_code == 200, first.text
    assert first.json()["advice"] == ["ask"] and first.json()["duplicate"] is False
    again = await api.client.post(url, json=body, headers=api.auth())
    assert again.status_code == 200 and again.json()["duplicate"] is True

    # Fire and forget, the id coming from the Idempotency-Key header.
    second = _incident_body(party, now - timedelta(minutes=30))
    del second["incident_id"]
    key = f"inc-{uuid.uuid4().hex[:12]}"
    sent = await api.client.post(f"{url}?wait=false", json=second, headers=api.auth() | {"Idempotency-Key": key})
    assert sent.status_code == 202, sent.text
    assert sent.json() == {"incident_id": key, "party_id": party.party_id, "accepted": True}
    status = await wait_for_status(parties, party.party_id, lambda s: s.incident_count == 2)
    assert key in status.recent_incident_ids

    shown = await api.client.get(f"/parties/{party.party_id}", headers=api.auth())
    assert shown.status_code == 200 and shown.json()["incident_count"] == 2
    unknown = await api.client.get(f"/parties/p-{uuid.uuid4().hex[:8]}", headers=api.auth())
    assert unknown.status_code == 404


async def test_naive_datetime_and_mismatched_party_are_422_naming_the_field(offline):
    party = new_party()
    body = _incident_body(party, datetime(2026, 3, 1, 10, tzinfo=UTC))
    body["occurred_at"] = "2026-03-01T10:00:00"
    naive = await offline.client.post(f"/parties/{party.party_id}/incidents", json=body, headers=offline.auth())
    assert naive.status_code == 422
    [problem] = naive.json()["detail"]
    assert problem["loc"] == ["body", "occurred_at"]
    assert "time zone offset" in problem["msg"]

    body["occurred_at"] = "2026-03-01T10:00:00+00:00"
    elsewhere = await offline.client.post("/parties/p-other/incidents", json=body, headers=offline.auth())
    assert elsewhere.status_code == 422
    [problem] = elsewhere.json()["detail"]
    assert problem["loc"] == ["body", "party", "party_id"] and "does not match the path" in problem["msg"]

    tasks = await offline.client.get("/tasks", params={"due_before": "2026-03-01T10:00:00"}, headers=offline.auth())
    assert tasks.status_code == 422 and tasks.json()["detail"][0]["loc"] == ["query", "due_before"]

    no_id = {k: v for k, v in body.items() if k != "incident_id"}
    missing = await offline.client.post(f"/parties/{party.party_id}/incidents", json=no_id, headers=offline.auth())
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "incident_id"]
    assert "Idempotency-Key" in missing.json()["detail"][0]["msg"]


async def test_restriction_without_warning_is_409_with_the_rule(time_skipping_env, api):
    party = new_party()
    now = await time_skipping_env.get_current_time()
    body = _incident_body(party, now - timedelta(hours=1))
    assert (await api.client.post(f"/parties/{party.party_id}/incidents", json=body, headers=api.auth())).is_success
    restriction = {
        "restriction_id": f"res-{uuid.uuid4().hex[:8]}",
        "incident_ids": [body["incident_id"]],
        "measures": ["single_named_contact"],
        "proposed_by": "manager-1",
        "reasons": "Abuse on the phone.",
        "contact_arrangements": "Email your caseworker only.",
        "decided_at": now.isoformat(),
    }
    refused = await api.client.post(f"/parties/{party.party_id}/restrictions", json=restriction, headers=api.auth())
    assert refused.status_code == 409, refused.text
    assert refused.json()["rule"] == "R14"
    assert refused.json()["detail"].startswith("R14: a restriction only follows a fair warning")


async def test_without_a_known_token_is_401(offline):
    party = new_party()
    url = f"/parties/{party.party_id}"
    missing = await offline.client.get(url)
    assert missing.status_code == 401 and "ubp staff token" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = await offline.client.get(url, headers={"Authorization": "Bearer ubp_not-a-token"})
    assert wrong.status_code == 401 and wrong.json()["detail"].startswith("unknown token")


async def test_temporal_unreachable_is_503(offline):
    party = new_party()
    answer = await offline.client.get(f"/parties/{party.party_id}", headers=offline.auth())
    assert answer.status_code == 503
    assert "retry" in answer.json()["detail"] and answer.headers["Retry-After"]


# --- managers' tasks -------------------------------------------------------------------------


async def _support_task(time_skipping_env, api) -> tuple[str, str]:
    """An incident experienced by colleague-2: a colleague-support task for a manager (R18)."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    body = _incident_body(party, now - timedelta(hours=1))
    answer = await api.client.post(f"/parties/{party.party_id}/incidents", json=body, headers=api.auth())
    assert answer.is_success, answer.text
    return party.party_id, f"support-{body['incident_id']}"


async def test_manager_lists_and_decides_a_task(time_skipping_env, api, store):
    party_id, task_id = await _support_task(time_skipping_env, api)

    listed = await api.client.get("/tasks", params={"party": party_id}, headers=api.auth("manager-1"))
    assert listed.status_code == 200
    assert [t["task_id"] for t in listed.json()] == [task_id]
    assert listed.json()[0]["kind"] == "colleague_support"
    none = await api.client.get("/tasks", params={"party": party_id}, headers=api.auth("colleague-9"))
    assert none.json() == []
    every = await api.client.get("/tasks", params={"party": party_id, "mine": "false"}, headers=api.auth("colleague-9"))
    assert [t["task_id"] for t in every.json()] == [task_id]

    url = f"/tasks/{task_id}/decision"
    support = {"outcome": "support_recorded", "support_offered": ["employee_assistance_programme"]}
    not_theirs = await api.client.post(url, json=support, headers=api.auth("colleague-9"))
    assert not_theirs.status_code == 403
    assert not_theirs.json()["detail"].startswith("R18: colleague-9 may not decide colleague support")
    claimed = await api.client.post(url, json=support | {"role": "executive_team"}, headers=api.auth("manager-1"))
    assert claimed.status_code == 403
    assert claimed.json()["detail"] == "'manager-1' does not hold the role 'executive_team' (holds: manager)"
    without_support = await api.client.post(url, json={"outcome": "support_recorded"}, headers=api.auth("manager-1"))
    assert without_support.status_code == 409 and without_support.json()["rule"] == "R18"

    key = {"Idempotency-Key": f"dec-{uuid.uuid4().hex}"}
    decided = await api.client.post(url, json=support, headers=api.auth("manager-1") | key)
    assert decided.status_code == 200, decided.text
    assert decided.json()["duplicate"] is False and decided.json()["task"]["status"] == "done"
    again = await api.client.post(url, json=support, headers=api.auth("manager-1") | key)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    [recorded] = store.decisions(task_id=task_id)
    assert (recorded.decided_by, recorded.role) == ("manager-1", "manager")
    assert recorded.decision_id == key["Idempotency-Key"]
    assert (await api.client.get("/tasks", params={"party": party_id}, headers=api.auth("manager-1"))).json() == []

    unknown = await api.client.post("/tasks/no-such-task/decision", json=support, headers=api.auth("manager-1"))
    assert unknown.status_code == 404


# --- the inbox ---------------------------------------------------------------------------------


async def _sign_in(api: Api, staff_id: str) -> None:
    assert api.store is not None
    sign_in(api.client, api.store, staff_id)


def _form_key(page: str) -> str:
    found = re.search(r'name="form_key" value="([\w-]+)"', page)
    assert found, "the decision form has no form key"
    return found.group(1)


async def test_inbox_lists_a_task_and_shows_its_decision_form(time_skipping_env, api, store, settings):
    party_id, task_id = await _support_task(time_skipping_env, api)
    row = await planned_task(store, task_id)

    assert (await api.client.get("/inbox")).headers["location"] == "/inbox/sign-in?next=/inbox"
    assert (await api.client.get("/inbox/sign-in")).status_code == 200
    await _sign_in(api, "manager-1")
    inbox = await api.client.get("/inbox")
    assert inbox.status_code == 200
    assert f'href="/inbox/tasks/{task_id}"' in inbox.text and "Morgan Manager" in inbox.text

    page = await api.client.get(f"/inbox/tasks/{task_id}")
    assert page.status_code == 200
    html = page.text
    assert party_id in html and "Support for a colleague (R18)" in html
    local_due = row.due_at.astimezone(ZoneInfo(settings.timezone))
    assert f"{local_due.day} {local_due:%b %Y, %H:%M %Z}" in html
    assert re.search(r"Stage</dt>\s*<dd[^>]*>none</dd>", html) and re.search(
        r"Incidents on file</dt>\s*<dd[^>]*>1</dd>", html
    )
    # The outcomes of a colleague-support task, and the support options it needs.
    assert 'value="support_recorded"' in html and 'value="recuse"' in html and 'value="approve"' not in html
    assert re.search(r'name="support_offered" type="checkbox" value="employee_assistance_programme"', html)
    assert "police_referral" not in html
    assert re.search(r'for="reason">\s*Reason\s*</label>', html) and 'id="reason" name="reason"' in html


async def test_inbox_decision_form_records_the_decision(time_skipping_env, api, store):
    party = new_party()
    now = await time_skipping_env.get_current_time()
    report = _incident_body(party, now - timedelta(hours=1), category="zero_tolerance", behaviour_code="threat_of_harm")
    answer = await api.client.post(f"/parties/{party.party_id}/incidents", json=report, headers=api.auth())
    assert answer.json()["stage"] == "zero_tolerance"
    task_id = f"zt-review-{report['incident_id']}"
    await _sign_in(api, "manager-1")
    page = (await api.client.get(f"/inbox/tasks/{task_id}")).text
    assert "Refer to the police? (R15)" in page and 'value="confirm_stop"' in page and 'value="lift_stop"' in page
    form = {
        "form_key": _form_key(page),
        "decision_id": re.search(r'name="decision_id" value="([^"]+)"', page).group(1),
        "role": "manager",
        "outcome": "confirm_stop",
    }

    forged = await api.client.post(f"/inbox/tasks/{task_id}/decision", data=form | {"form_key": "0" * 64})
    assert forged.status_code == 403
    refused = await api.client.post(f"/inbox/tasks/{task_id}/decision", data=form)
    assert refused.status_code == 409
    assert "Not recorded" in refused.text and "R15: record the police-referral decision" in refused.text
    assert re.search(r'value="confirm_stop"\s*checked', refused.text)  # what they chose is kept

    done = await api.client.post(f"/inbox/tasks/{task_id}/decision", data=form | {"police_referral": "no"})
    assert done.status_code == 303 and done.headers["location"] == "/inbox"
    inbox = await api.client.get("/inbox")
    assert f"Your decision on task {task_id} is recorded: direct contact stays stopped." in inbox.text
    assert f'href="/inbox/tasks/{task_id}"' not in inbox.text
    [recorded] = store.decisions(task_id=task_id)
    assert (recorded.decided_by, recorded.outcome) == ("manager-1", "confirm_stop")
    assert recorded.data["police_referral"] is False
    # The flash is shown once.
    assert "Your decision" not in (await api.client.get("/inbox")).text


async def test_inbox_says_when_and_why_a_task_was_withdrawn(offline, store):
    """R12: a link to a withdrawn review (from an earlier notice) says why, and offers no form."""
    reason = (
        "R12: incident i-9 moved the end of restriction r-1 from 2 August 2026 to 23 January 2027; "
        "it is reviewed again before the new end"
    )
    withdrawn = HumanTask(
        task_id="review-r-1",
        kind=TaskKind.RESTRICTION_REVIEW,
        subject_id="r-1",
        created_at=datetime(2026, 7, 19, 8, 30, tzinfo=UTC),
        status=TaskStatus.CANCELLED,
        summary="Review restriction r-1 before it ends on 2 August 2026: let it run, lift it early, or step up (R11)",
        candidate_roles=[Role.MANAGER],
        cancelled_at=datetime(2026, 7, 23, 9, 30, tzinfo=UTC),
        cancellation_reason=reason,
        cancelled_by_incident_id="i-9",
    )
    party = PartyRef(party_id="P-1")
    store.apply(
        EffectBatch(
            party_id="P-1",
            effects=[
                PartySaved(party=party, stage=Stage.RESTRICTED, at=withdrawn.created_at),
                TaskSaved(party_id="P-1", task=withdrawn),
            ],
        )
    )
    await _sign_in(offline, "manager-1")
    page = (await offline.client.get("/inbox/tasks/review-r-1")).text
    assert f"This task was withdrawn on Thu 23 Jul 2026, 10:30 BST: {reason}.</p>" in page
    assert 'action="/inbox/tasks/review-r-1/decision"' not in page
    assert "review-r-1" not in (await offline.client.get("/inbox")).text


def test_tokens_are_kept_only_as_hashes_and_can_be_withdrawn(store):
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])
    token = store.issue_token("manager-1")
    assert store.staff_for_token(token).staff_id == "manager-1"
    with store.engine.connect() as connection:
        stored = [tuple(row) for row in connection.exec_driver_sql("SELECT * FROM api_token")]
    assert stored and all(token not in str(value) for row in stored for value in row)
    assert store.staff_for_token(token + "x") is None
    assert store.revoke_tokens("manager-1") == 1
    assert store.staff_for_token(token) is None
    with pytest.raises(ValueError, match="unknown member of staff"):
        store.issue_token("nobody")
