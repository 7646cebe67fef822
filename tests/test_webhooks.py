"""Case systems hear every change (issue 25): signed webhooks and the catch-up feed, on the
time-skipping server, with a receiver that checks each delivery with `standardwebhooks`."""

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.service import RPCError
from temporalio.testing import ActivityEnvironment

from activities.webhooks import WebhookActivities
from client.sealed import unseal
from policy.effects import EffectBatch, IncidentRecorded, WarningSaved
from policy.events import EventType
from policy.messages import TaskDecision
from policy.state import WarningEntry
from policy.vocabulary import (
    Category,
    PartyKind,
    RestrictionStatus,
    Role,
    SendingMethod,
    TaskKind,
    TaskOutcome,
    WarningMethod,
)
from policy.webhooks import DeliveryRound, DeliveryStatus
from records import outbox
from records.outbox import EventFeed
from records.webhooks import WebhookBook
from records.writes import EffectWriter
from services.acting import Principal, PrincipalKind
from services.webhooks import WebhookForm, add_webhook
from tests.cli_api import Ubp, ubp_over_api
from tests.helpers import incident, new_party, restriction, wait_for_status, warned_party
from tests.webhook_receiver import Receiver, caught_up, feed, in_party_order
from workflows.webhooks import workflow_id_for

OPS, CASE_SYSTEM, EXEC = "ops-1", "cs-1", "exec-1"
POLL = timedelta(days=1, seconds=1)


@dataclass
class Hooks:
    ubp: Ubp
    api: httpx.AsyncClient
    receiver: Receiver
    webhook_id: str
    reader: str  # the case system's token, for the feed

    def handle(self, parties):
        return parties.client.get_workflow_handle(workflow_id_for(self.webhook_id))


@contextlib.asynccontextmanager
async def subscribed(parties, store, settings, monkeypatch, poll_seconds: float) -> AsyncIterator[Hooks]:
    """Operations subscribe a receiver (`ubp webhooks add`); the API on a free port, the case system
    signed in to read the feed. The subscription's workflow is ended afterwards: the time-skipping
    server skips no time while a timer's workflow task waits for a worker that has gone."""
    store.add_staff(OPS, "Operations", [Role.OPERATIONS])
    store.add_staff(EXEC, "Executive", [Role.EXECUTIVE_TEAM])
    store.add_system(CASE_SYSTEM, "Case system", acts_for=["*"])
    polled = settings.model_copy(update={"webhook_poll_seconds": poll_seconds})
    with Receiver().running() as receiver:
        async with ubp_over_api(parties, store, polled, monkeypatch) as ubp:
            ubp.token(store, OPS)
            added = await ubp("webhooks", "add", "--url", receiver.url, as_=OPS)
            assert added.exit_code == 0, added.output
            created = json.loads(added.output)
            receiver.secret = created["secret"]
            assert created["created_by"] == OPS and created["text_fields"] == []
            async with httpx.AsyncClient(base_url=ubp.url, timeout=30) as api:
                hooks = Hooks(ubp, api, receiver, created["webhook_id"], ubp.token(store, CASE_SYSTEM))
                try:
                    yield hooks
                finally:
                    with contextlib.suppress(RPCError):
                        await hooks.handle(parties).terminate(reason="test finished")


def check_against_feed(hooks: Hooks, events: list[dict]) -> None:
    """The receiver got each event of the feed once (after de-duplication by id), in each party's
    order, each verified; and nothing the feed does not hold."""
    got = hooks.receiver.unique()
    assert hooks.receiver.unverified == []
    assert {e["id"] for e in got} == {e["id"] for e in events}
    assert in_party_order(got) == in_party_order(events)
    for sequences in in_party_order(events).values():
        assert sequences == list(range(1, len(sequences) + 1))
    by_id = {e["id"]: e for e in events}
    for e in got:
        assert e == by_id[e["id"]]


async def test_a_party_through_the_ladder_an_approval_a_moved_end_and_the_expiry(
    time_skipping_env, parties, store, settings, monkeypatch
):
    """The issue's scenario: every event that applies reaches the receiver, once each after
    de-duplication, in the party's order, signed; the feed holds the same. Meanwhile the
    delivery is stopped (a crash) while the restriction runs out: nothing is lost."""
    env = time_skipping_env
    # Polling once a day: each day skipped is one round (a shorter poll would be thousands while
    # six months are skipped); `env.sleep(POLL)` lets the next round run.
    async with subscribed(parties, store, settings, monkeypatch, poll_seconds=POLL.total_seconds()) as hooks:
        party = new_party(PartyKind.ORGANISATION)
        repeat_id, now = await warned_party(env, parties, party)
        await parties.apply_restriction(restriction(party, [repeat_id], now))
        status = await wait_for_status(
            parties, party.party_id, lambda s: bool(s.open_tasks) and s.open_tasks[0].planned
        )
        [approval] = [t for t in status.open_tasks if t.kind == TaskKind.RESTRICTION_APPROVAL]
        await env.sleep(timedelta(hours=2))
        approved_at = await env.get_current_time()
        await parties.decide_task(
            TaskDecision(
                decision_id="dec-approve",
                party_id=party.party_id,
                task_id=approval.task_id,
                decided_by=EXEC,
                role=Role.EXECUTIVE_TEAM,
                outcome=TaskOutcome.APPROVE,
                decided_at=approved_at,
            )
        )
        # R12: a repeat while it is in force moves its end.
        await env.sleep(timedelta(days=20))
        later = await env.get_current_time()
        await parties.report_incident(incident(party, later - timedelta(hours=1)))
        [in_force] = (await parties.status(party.party_id)).restrictions
        assert in_force.status == RestrictionStatus.IN_FORCE and in_force.ends_at is not None
        # The case system sends a letter and says so (on the file directly: the door checks the
        # date against the wall clock, which the time-skipping server's has left behind).
        letters = await hooks.api.get(
            f"/parties/{party.party_id}/letters", headers={"Authorization": f"Bearer {hooks.reader}"}
        )
        assert store.mark_letter_sent(letters.json()[0]["letter_id"], later, SendingMethod.EMAIL)
        await env.sleep(POLL)
        check_against_feed(hooks, await caught_up(hooks.receiver, hooks.api, hooks.reader))

        # Delivery stops (as in a crash) while the restriction runs out; the writes go on.
        await hooks.handle(parties).terminate(reason="a crash between the write and the delivery")
        await env.sleep(in_force.ends_at - later + timedelta(days=2))
        [ended] = (await parties.status(party.party_id)).restrictions
        assert ended.status == RestrictionStatus.EXPIRED
        replayed = await hooks.ubp("webhooks", "replay", hooks.webhook_id, as_=OPS)  # starts it again
        assert replayed.exit_code == 0 and json.loads(replayed.output)["deliveries"] == 0, replayed.output
        events = await caught_up(hooks.receiver, hooks.api, hooks.reader)
        check_against_feed(hooks, events)

        types = {e["type"] for e in events}
        expected = {
            EventType.INCIDENT_RECORDED,
            EventType.ASK_RECORDED,
            EventType.STAGE_CHANGED,
            EventType.WARNING_GIVEN,
            EventType.WARNING_HELD_OPEN,
            EventType.RESTRICTION_PROPOSED,
            EventType.TASK_OPENED,
            EventType.TASK_DECIDED,
            EventType.RESTRICTION_APPROVED,
            EventType.RESTRICTION_IN_FORCE,
            EventType.RESTRICTION_END_MOVED,
            EventType.RESTRICTION_ENDED,
            EventType.LETTER_MADE,
            EventType.LETTER_SENT,
            EventType.WARNING_LAPSED,
            EventType.TASK_ESCALATED,
            EventType.TASK_OVERDUE,
            EventType.TASK_WITHDRAWN,
        }
        assert expected <= types, sorted(expected - types)
        # No personal free text to a subscription not allowed it, nor in the feed.
        for e in events:
            assert not {"summary", "reasons", "notes", "reason", "contact_arrangements"} & set(e["data"]), e
        # One event per change: the approval approved once, the end moved once.
        assert [e["type"] for e in events].count(EventType.RESTRICTION_APPROVED) == 1
        assert [e["type"] for e in events].count(EventType.RESTRICTION_END_MOVED) == 1
        # The feed filters by party and type, and pages on with an opaque cursor.
        only = await feed(hooks.api, hooks.reader, party=party.party_id, type=EventType.RESTRICTION_IN_FORCE.value)
        assert [e["type"] for e in only] == [EventType.RESTRICTION_IN_FORCE]


async def test_a_receiver_down_for_an_hour_gets_every_event_in_order_and_the_party_goes_on(
    time_skipping_env, parties, store, settings, monkeypatch
):
    """500 for an hour (time skipped): the deliveries are retried with back-off, the party's own
    work goes on meanwhile; once it recovers, every event arrives, in order."""
    env = time_skipping_env
    async with subscribed(parties, store, settings, monkeypatch, poll_seconds=600) as hooks:
        hooks.receiver.failing = True
        party = new_party()
        start = await env.get_current_time()
        first = incident(party, start - timedelta(minutes=5))
        await parties.report_incident(first)
        await env.sleep(timedelta(minutes=30))
        # The party is not held back by its subscriber: the next incident is on file at once.
        second = incident(party, start + timedelta(minutes=20))
        await parties.report_incident(second)
        await wait_for_status(parties, party.party_id, lambda s: s.incident_count == 2)
        assert second.incident_id in {i.incident_id for i in store.incidents(party.party_id)}
        await env.sleep(timedelta(minutes=40))
        owed = WebhookBook(store.engine).deliveries(webhook_id=hooks.webhook_id)
        assert owed and all(d.status == DeliveryStatus.PENDING for d in owed)
        assert max(d.attempts for d in owed) >= 5 and hooks.receiver.received == []
        refused = hooks.receiver.refused

        hooks.receiver.failing = False
        await env.sleep(timedelta(hours=2))
        events = await caught_up(hooks.receiver, hooks.api, hooks.reader)
        check_against_feed(hooks, events)
        assert hooks.receiver.refused == refused
        incidents = [
            e["data"]["incident_id"] for e in hooks.receiver.unique() if e["type"] == EventType.INCIDENT_RECORDED
        ]
        assert incidents == [first.incident_id, second.incident_id]
        listed = await hooks.ubp("webhooks", "deliveries", "--webhook", hooks.webhook_id, as_=OPS)
        assert listed.exit_code == 0 and "\tdelivered\t" in listed.output, listed.output


# --- the outbox, in the records database (both databases) -------------------------------------


def _warning(warning_id: str, now: datetime, incident_id: str) -> WarningEntry:
    return WarningEntry(
        warning_id=warning_id,
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=[incident_id],
        communicated_at=now,
        expires_at=now + timedelta(days=180),
        issued_by="colleague-1",
        method=WarningMethod.WRITTEN,
        reasons="Shouting on the phone",
    )


def _batch(party_id: str, now: datetime, revision: int | None = 1) -> EffectBatch:
    report = incident(new_party().model_copy(update={"party_id": party_id}), now)
    return EffectBatch(
        party_id=party_id,
        effects=[
            IncidentRecorded(report=report, received_at=now),
            WarningSaved(party_id=party_id, warning=_warning(f"w-{party_id}", now, report.incident_id)),
        ],
        revision=revision,
    )


def test_a_write_rolled_back_makes_no_event_and_a_write_again_makes_none_twice(store, monkeypatch):
    writer, events = EffectWriter(store.engine), EventFeed(store.engine)
    now = datetime.now(UTC)
    batch = _batch("p-rolled-back", now)
    recorded = outbox.record

    def record_then_fail(*args, **kwargs):
        recorded(*args, **kwargs)
        raise RuntimeError("the write fails after its events were recorded")

    monkeypatch.setattr(outbox, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        writer.apply(batch)
    assert events.events_after(0, limit=10) == []
    assert store.party_rows(["p-rolled-back"]) == {}

    monkeypatch.setattr(outbox, "record", recorded)
    writer.apply(batch)
    writer.apply(batch)  # a retried write: the same batch again
    # A stale batch (an earlier run's), saying the warning lapsed, is refused and says nothing.
    stale = EffectBatch(
        party_id="p-rolled-back",
        effects=[WarningSaved(party_id="p-rolled-back", warning=_warning("w-p-rolled-back", now, "x"))],
        revision=0,
    )
    assert writer.apply(stale) == 0
    kept = events.events_after(0, limit=10)
    assert [(e.type, e.party_seq) for e in kept] == [(EventType.INCIDENT_RECORDED, 1), (EventType.WARNING_GIVEN, 2)]
    # The free text is on record for a subscription allowed it, never in the feed.
    assert kept[1].data["reasons"] == "Shouting on the phone"


def test_concurrent_writes_give_positions_in_order_and_each_party_a_sequence_without_gaps(store):
    """Many parties written at once from threads (PostgreSQL: real concurrency): positions are
    1..n, and each party's sequence 1..k, whatever order the writes committed in."""
    writer = EffectWriter(store.engine)
    now = datetime.now(UTC)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for k in range(3):
                party_id = f"p-{n}"
                report = incident(new_party().model_copy(update={"party_id": party_id}), now + timedelta(minutes=k))
                writer.apply(EffectBatch(party_id=party_id, effects=[IncidentRecorded(report=report, received_at=now)]))
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    kept = EventFeed(store.engine).events_after(0, limit=100)
    assert [e.position for e in kept] == list(range(1, 25))
    for n in range(8):
        assert [e.party_seq for e in kept if e.party_id == f"p-{n}"] == [1, 2, 3]


async def test_the_feed_refuses_a_cursor_it_did_not_give_and_anyone_but_a_case_system(
    time_skipping_env, parties, store, settings, monkeypatch
):
    async with subscribed(parties, store, settings, monkeypatch, poll_seconds=60) as hooks:
        bad = await hooks.api.get("/events", params={"after": "bm9wZQ"}, headers=_auth(hooks.reader))
        assert bad.status_code == 422 and "not a cursor" in bad.json()["detail"]
        refused = await hooks.api.get("/events", headers=_auth(hooks.ubp.token(store, OPS)))
        assert refused.status_code == 403
        # A case system may not manage webhooks; the secret is never listed, nor in the database.
        assert (await hooks.api.get("/webhooks", headers=_auth(hooks.reader))).status_code == 403
        secret = hooks.receiver.secret
        assert secret is not None
        listed = await hooks.ubp("webhooks", "list", as_=OPS)
        assert hooks.webhook_id in listed.output and secret not in listed.output
        row = WebhookBook(store.engine).webhook(hooks.webhook_id)
        assert row is not None and secret.encode() not in bytes(row.secret_sealed)
        removed = await hooks.ubp("webhooks", "remove", hooks.webhook_id, as_=OPS)
        assert removed.exit_code == 0 and json.loads(removed.output)["removed_by"] == OPS
        # Its workflow ends at its next round.
        await time_skipping_env.sleep(timedelta(seconds=61))
        assert await _closed(parties, workflow_id_for(hooks.webhook_id))


async def _closed(parties, workflow_id: str, timeout: float = 30.0) -> bool:
    """Whether the workflow closes within `timeout` (the raw call: the time-skipping server's
    answer trips describe()'s parsing)."""
    request = DescribeWorkflowExecutionRequest(
        namespace=parties.client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
    )
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        described = await parties.client.workflow_service.describe_workflow_execution(request)
        if described.workflow_execution_info.status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING:
            return True
        await asyncio.sleep(0.2)
    return False


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_delivery_whose_answer_was_lost_is_sent_again_with_the_same_id(store, key_ring, monkeypatch):
    """A crash after the receiver took an event but before it was recorded as delivered: the
    next round sends it again, with the same `webhook-id`, and the party's order holds."""
    operations = Principal(id=OPS, kind=PrincipalKind.PERSON, roles=frozenset({Role.OPERATIONS}))
    now = datetime.now(UTC)
    with Receiver().running() as receiver:
        created = add_webhook(store, key_ring, operations, WebhookForm(url=receiver.url), now)
        receiver.secret = created.secret
        EffectWriter(store.engine).apply(_batch("p-lost", now))
        deliver = WebhookActivities(store, functools.partial(unseal, key_ring)).deliver_round
        recorded = WebhookBook.record_attempt

        def crash(self, key, values):
            raise RuntimeError("the worker died after the receiver answered")

        monkeypatch.setattr(WebhookBook, "record_attempt", crash)
        with pytest.raises(RuntimeError):
            ActivityEnvironment().run(deliver, DeliveryRound(webhook_id=created.webhook_id, now=now))
        monkeypatch.setattr(WebhookBook, "record_attempt", recorded)
        report = ActivityEnvironment().run(deliver, DeliveryRound(webhook_id=created.webhook_id, now=now))
    assert report.delivered == 2 and not report.more
    ids = [e["id"] for e in receiver.received]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]  # the first event twice, then the second
    assert [e["sequence"] for e in receiver.unique()] == [1, 2]
