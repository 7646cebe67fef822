"""Builders and waiting helpers shared by the workflow tests."""

import asyncio
import os
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory
from temporalio.testing import WorkflowEnvironment

from client.door import DoorKeys
from client.history import history_payloads
from client.parties import PartyClient
from policy.messages import (
    AskRecord,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    WarningIssue,
)
from policy.replies import PartyStatus
from policy.vocabulary import Category, Measure, PartyKind
from records.store import RecordStore

LONDON = ZoneInfo("Europe/London")
# Histories kept in the repository (tests/histories) must decode on any
# machine, so they are recorded under this key, kept beside them. It protects
# nothing: only test data is ever written under it.
REPLAY_KEYS = Path(__file__).parent / "replay-keys.json"
# And the door's key that sealed their messages (policy.authority), for the same reason.
REPLAY_DOOR_KEYS = Path(__file__).parent / "replay-door-keys.json"


def local_parties(client: Client, task_queue: str, timezone: str, door: DoorKeys) -> PartyClient:
    """A party client that seals each message as the staff member it names (Door.LOCAL),
    as the demo data and the benchmark do: the tests of the workflow send as anyone."""
    return PartyClient(client, task_queue, timezone, door, acts_as_named=True)


def new_party(kind: PartyKind = PartyKind.INDIVIDUAL, professional_capacity: bool = False) -> PartyRef:
    return PartyRef(party_id=f"p-{uuid.uuid4().hex[:12]}", kind=kind, professional_capacity=professional_capacity)


def incident(
    party: PartyRef,
    occurred_at: datetime,
    category: Category = Category.AGGRESSIVE_OR_ABUSIVE,
    code: str | None = None,
    incident_id: str | None = None,
) -> IncidentReport:
    default_code = {Category.ZERO_TOLERANCE: "threat_of_harm", Category.AGGRESSIVE_OR_ABUSIVE: "verbal_abuse"}
    return IncidentReport(
        incident_id=incident_id or f"inc-{uuid.uuid4().hex[:12]}",
        party=party,
        category=category,
        behaviour_code=code or default_code.get(category, "other"),
        occurred_at=occurred_at,
        reported_by="colleague-1",
        experienced_by="colleague-2",
        channel="phone",
        summary="Raised voice and insults on a call",
    )


def ask(party: PartyRef, incident_ids: list[str], at: datetime) -> AskRecord:
    return AskRecord(
        ask_id=f"ask-{uuid.uuid4().hex[:12]}",
        party_id=party.party_id,
        incident_ids=incident_ids,
        asked_at=at,
        asked_by="colleague-2",
    )


def warning(party: PartyRef, incident_ids: list[str], at: datetime) -> WarningIssue:
    return WarningIssue(
        warning_id=f"warn-{uuid.uuid4().hex[:12]}",
        party_id=party.party_id,
        incident_ids=incident_ids,
        communicated_at=at,
        issued_by="colleague-2",
        reasons="Abusive language continued after we asked you to stop.",
    )


def restriction(
    party: PartyRef, incident_ids: list[str], at: datetime, measures: list[Measure] | None = None
) -> RestrictionRequest:
    return RestrictionRequest(
        restriction_id=f"res-{uuid.uuid4().hex[:12]}",
        party_id=party.party_id,
        incident_ids=incident_ids,
        measures=measures or [Measure.SINGLE_NAMED_CONTACT],
        proposed_by="colleague-3",
        reasons="The abuse continued while a warning was in place.",
        contact_arrangements="Contact only with your named caseworker, by email.",
        decided_at=at,
    )


async def warned_party(env: WorkflowEnvironment, parties: PartyClient, party: PartyRef) -> tuple[str, datetime]:
    """A party with a live warning and a repeat during it; returns (repeat incident id, now)."""
    now = await env.get_current_time()
    first = incident(party, now - timedelta(days=3))
    await parties.report_incident(first)
    await parties.record_ask(ask(party, [first.incident_id], now - timedelta(days=3)))
    second = incident(party, now - timedelta(days=2))
    await parties.report_incident(second)
    await parties.issue_warning(warning(party, [second.incident_id], now - timedelta(days=2)))
    repeat = incident(party, now - timedelta(days=1))
    await parties.report_incident(repeat)
    return repeat.incident_id, now


async def wait_for_status(
    parties: PartyClient, party_id: str, predicate: Callable[[PartyStatus], bool], timeout: float = 20.0
) -> PartyStatus:
    """Poll the status query until `predicate` holds: timers fire asynchronously."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        status = await parties.status(party_id)
        if predicate(status):
            return status
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"status never matched; last: {status.model_dump_json(indent=1)}")
        await asyncio.sleep(0.1)


async def planned_task(store: RecordStore, task_id: str, timeout: float = 20.0):
    """The task's row once its working-day dates are planned (an activity, after the update)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        row = store.task(task_id)
        if row is not None and row.due_at is not None:
            return row
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"task {task_id} was never planned: {row}")
        await asyncio.sleep(0.1)


def next_local(now: datetime, month: int, day: int, hour: int = 11) -> datetime:
    """The next `day` of `month` at `hour` London time after `now`, as an aware datetime."""
    local_now = now.astimezone(LONDON)
    for year in (local_now.year, local_now.year + 1):
        candidate = datetime(year, month, day, hour, tzinfo=LONDON)
        if candidate > local_now + timedelta(hours=1):
            return candidate
    raise AssertionError("unreachable")


async def marked_party(parties: PartyClient, now: datetime, marker: str) -> PartyRef:
    """A party as the issue tried it: an incident whose summary holds `marker`, an ask with
    notes, a repeat, and a warning with reasons, each holding it too."""
    party = new_party()
    first = incident(party, now - timedelta(hours=3)).model_copy(update={"summary": f"{marker} said on the call"})
    second = incident(party, now - timedelta(hours=1)).model_copy(update={"summary": f"{marker} again"})
    await parties.report_incident(first)
    await parties.record_ask(
        ask(party, [first.incident_id], now - timedelta(hours=2)).model_copy(update={"notes": f"{marker} was asked"})
    )
    await parties.report_incident(second)
    await parties.issue_warning(
        warning(party, [second.incident_id], now).model_copy(update={"reasons": f"{marker} continued"})
    )
    return party


def payloads_holding(history: WorkflowHistory, text: str) -> list[Payload]:
    """The payloads of `history` whose bytes (metadata or data) contain `text`."""
    return [p for p in history_payloads(history) if text.encode() in p.SerializeToString()]


def in_the_sqlite_pass_only(subject: str) -> pytest.MarkDecorator:
    """For a test whose subject is Temporal's or the processes', the same whichever records
    database the suite's pass uses: it runs once, in the SQLite pass (the PostgreSQL pass is
    the suite's longer one)."""
    return pytest.mark.skipif(
        "postgresql" in os.environ.get("DATABASE_URL", ""),
        reason=f"{subject}, the same on either records database: once, in the SQLite pass",
    )
