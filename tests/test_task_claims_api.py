"""Claims on tasks through the HTTP API and `ubp tasks claim|unclaim|assign|reassign` (issue 26),
with the party's workflow on the time-skipping server: an Executive claims an organisation's
restriction approval, another is refused a decision on it while the claim holds and sees who
has it; a manager assigns it to them and they decide it; a manager moves a leaver's tasks.
"""

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import httpx
import pytest_asyncio

from client.parties import PartyClient
from policy.claims import ClaimChange
from policy.effects import EffectBatch, TaskSaved
from policy.state import HumanTask
from policy.vocabulary import PartyKind, Role, TaskKind, TaskOutcome
from records.security_log import SecurityEvent
from records.store import RecordStore
from settings import Settings
from tests.cli_api import Ubp, ubp_over_api
from tests.helpers import new_party, planned_task, restriction, warned_party
from tests.sessions import sign_in
from tests.test_api import UnreachableTemporal
from web.app import create_app

STAFF = {
    "exec-1": [Role.EXECUTIVE_TEAM],
    "exec-2": [Role.EXECUTIVE_TEAM],
    "exec-3": [Role.EXECUTIVE_TEAM],
    "mgr-1": [Role.MANAGER],
    "mgr-2": [Role.MANAGER],
    "col-1": [Role.COLLEAGUE],
}


def review_task(task_id: str, created_at: datetime, due_at: datetime | None = None) -> HumanTask:
    """A manager's review before a restriction ends, as the workflow saves it."""
    return HumanTask(
        task_id=task_id,
        kind=TaskKind.RESTRICTION_REVIEW,
        subject_id=f"res-{task_id}",
        created_at=created_at,
        summary="Review before the restriction ends",
        candidate_roles=[Role.MANAGER],
        due_at=due_at,
    )


@pytest_asyncio.fixture
async def ubp(parties: PartyClient, store: RecordStore, settings: Settings, monkeypatch) -> AsyncIterator[Ubp]:
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id.title(), roles)
    async with ubp_over_api(parties, store, settings, monkeypatch) as cli:
        for staff_id in STAFF:
            cli.token(store, staff_id)
        yield cli


async def test_a_claimed_approval_is_decided_only_by_its_holder_and_a_manager_reassigns_it(
    ubp: Ubp, store: RecordStore, time_skipping_env, parties: PartyClient
) -> None:
    party = new_party(PartyKind.ORGANISATION)
    repeat, now = await warned_party(time_skipping_env, parties, party)
    proposal = restriction(party, [repeat], now).model_copy(update={"proposed_by": "exec-3"})
    await parties.apply_restriction(proposal)
    task_id = f"approve-{proposal.restriction_id}"
    await planned_task(store, task_id)

    claimed = await ubp("tasks", "claim", task_id, as_="exec-1")
    assert claimed.exit_code == 0, claimed.output
    assert json.loads(claimed.stdout)["claimed_by"] == "exec-1"

    approve = ["tasks", "decide", task_id, "--outcome", TaskOutcome.APPROVE.value]
    held = await ubp(*approve, as_="exec-2")
    assert held.exit_code == 1 and "claimed by exec-1" in held.stderr, held.output
    assert store.decisions(task_id=task_id) == []
    async with httpx.AsyncClient(base_url=ubp.url, headers={"Authorization": f"Bearer {ubp.tokens['exec-2']}"}) as api:
        seen = (await api.get(f"/tasks/{task_id}/claim")).json()
        assert (seen["claimed_by"], seen["binding"]) == ("exec-1", True)
        # The four-eyes rule holds for claims too: the proposer may not take it.
        proposer = await api.post(
            f"/tasks/{task_id}/claim", headers={"Authorization": f"Bearer {ubp.tokens['exec-3']}"}
        )
        assert proposer.status_code == 403 and "conflict of interest" in proposer.json()["detail"]

    colleague = await ubp("tasks", "claim", task_id, as_="col-1")
    assert colleague.exit_code == 1 and "tasks:" in colleague.stderr
    not_eligible = await ubp("tasks", "assign", task_id, "--to", "mgr-2", as_="mgr-1")
    assert not_eligible.exit_code == 1 and "mgr-2 may not work task" in not_eligible.stderr
    assigned = await ubp("tasks", "assign", task_id, "--to", "exec-2", "--reason", "exec-1 is away", as_="mgr-1")
    assert assigned.exit_code == 0, assigned.output

    decided = await ubp(*approve, as_="exec-2")
    assert decided.exit_code == 0, decided.output
    [decision] = store.decisions(task_id=task_id)
    assert decision.decided_by == "exec-2"
    too_late = await ubp("tasks", "unclaim", task_id, as_="exec-2")
    assert too_late.exit_code == 1 and "is done" in too_late.stderr
    log = [(e.change, e.changed_by, e.holder, e.reason) for e in store.claim_log(task_id)]
    assert log == [("claimed", "exec-1", "exec-1", ""), ("assigned", "mgr-1", "exec-2", "exec-1 is away")]


async def test_a_manager_moves_a_leavers_tasks(ubp: Ubp, store: RecordStore, time_skipping_env) -> None:
    now = await time_skipping_env.get_current_time()
    for n in (1, 2):
        review = review_task(f"review-{n}", now, now + timedelta(days=7))
        store.apply(EffectBatch(party_id=f"p-{n}", effects=[TaskSaved(party_id=f"p-{n}", task=review)]))
        claimed = await ubp("tasks", "claim", f"review-{n}", as_="mgr-2")
        assert claimed.exit_code == 0, claimed.output
    store.set_staff_active("mgr-2", False)

    refused = await ubp("tasks", "reassign", "--from", "mgr-2", "--to", "mgr-1", "--reason", "left", as_="col-1")
    assert refused.exit_code == 1 and "not permitted: tasks" in refused.stderr
    moved = await ubp("tasks", "reassign", "--from", "mgr-2", "--to", "mgr-1", "--reason", "mgr-2 left", as_="exec-1")
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["moved"] == [
        {"task_id": "review-1", "party_id": "p-1", "holder": "mgr-1"},
        {"task_id": "review-2", "party_id": "p-2", "holder": "mgr-1"},
    ]
    listed = await ubp("tasks", "list", "--kind", "restriction_review")
    assert listed.exit_code == 0 and listed.stdout.count("CLAIMED-BY mgr-1") == 2, listed.output
    assert [(e.changed_by, e.previous_holder, e.holder) for e in store.claim_log("review-2")][-1] == (
        "exec-1",
        "mgr-2",
        "mgr-1",
    )


async def test_the_pages_forms_without_the_sessions_csrf_token_change_nothing(
    store: RecordStore, settings: Settings, key_ring
) -> None:
    """Claim, give back, assign and reassign from the pages carry the session's CSRF token
    (the inbox's one mechanism, web.inbox.routes.signed_form): without it, refused and logged."""
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id.title(), roles)
    review = review_task("review-csrf", datetime.now(UTC))
    store.apply(EffectBatch(party_id="p-csrf", effects=[TaskSaved(party_id="p-csrf", task=review)]))
    app = create_app(cast(PartyClient, UnreachableTemporal()), store, settings, key_ring=key_ring)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        token = sign_in(client, store, "mgr-1")
        forms = {
            "/inbox/tasks/review-csrf/claim": {},
            "/inbox/tasks/review-csrf/assignment": {"to": "mgr-2"},
            "/inbox/reassign": {"from_staff": "mgr-2", "to": "mgr-1", "reason": "left"},
        }
        for path, form in forms.items():
            refused = await client.post(path, data={**form, "form_key": "forged"})
            assert refused.status_code == 403 and "did not come from your inbox" in refused.text, path
        assert store.task("review-csrf").claimed_by is None and store.claim_log("review-csrf") == []
        assert len(store.security_events(kind=SecurityEvent.CSRF_REFUSED)) == 3
        claimed = await client.post("/inbox/tasks/review-csrf/claim", data={"form_key": token})
        assert claimed.status_code == 303 and store.task("review-csrf").claimed_by == "mgr-1"
        given_back = await client.post("/inbox/tasks/review-csrf/unclaim", data={})
        assert given_back.status_code == 403 and store.task("review-csrf").claimed_by == "mgr-1"


async def test_the_task_list_filters_and_pages_what_the_records_database_holds(
    store: RecordStore, settings: Settings, key_ring
) -> None:
    for staff_id, roles in STAFF.items():
        store.add_staff(staff_id, staff_id.title(), roles)
    now = datetime.now(UTC)
    reviews = [
        TaskSaved(
            party_id=f"p-list-{n % 3}",
            task=review_task(f"review-list-{n:02}", now, now + timedelta(days=n, hours=1)),
        )
        for n in range(55)
    ]
    store.apply(EffectBatch(party_id="p-list-0", effects=reviews))
    store.change_holder("review-list-00", expected=None, holder="mgr-2", change=ClaimChange.CLAIMED, by="mgr-2", at=now)
    app = create_app(cast(PartyClient, UnreachableTemporal()), store, settings, key_ring=key_ring)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as client:
        sign_in(client, store, "mgr-1")
        first = await client.get("/inbox")
        assert "55 open tasks, page 1 of 2" in first.text and 'href="/inbox?page=2"' in first.text
        assert first.text.count('name="back"') == 49, "a Claim button on each task nobody works"
        second = await client.get("/inbox?page=2")
        assert "review-list-54" in second.text and "review-list-00" not in second.text
        held = await client.get("/inbox?holder=someone&scope=all")
        assert "1 open task." in held.text and "Mgr-2" in held.text
        soon = await client.get("/inbox?due=week&party=p-list-1")
        assert "2 open tasks." in soon.text  # due within 7 days, this party's: 1 and 4
        wrong = await client.get("/inbox?page=0&sort=sideways")
        assert wrong.status_code == 422 and "Choose an order from the list" in wrong.text
