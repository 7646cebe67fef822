"""The contact gate and closed cases through every door, on the time-skipping server
(R8, R12, R17, R19): the service Python callers use with `PartyClient`, the HTTP
API, and the CLI."""

import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
import typer
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from typer.testing import CliRunner

from client.parties import PartyClient
from holiday_calendar import england_and_wales
from policy.contacts import GateSource, GateView, calendar_years
from policy.contacts import answer_contact as decide
from policy.fields import Door
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    CaseClosure,
    InboundContact,
    PartyRef,
    RestrictionRequest,
)
from policy.need_to_know import ADJUSTMENT_READERS, SUPPORT_READERS, WITHHELD_SUBJECT
from policy.vocabulary import (
    ContactChannel,
    ContactHandling,
    ContactPeriod,
    LetterFormat,
    Measure,
    RestrictionStatus,
    Role,
    TaskKind,
)
from records.store import RecordStore
from services.acting import Principal, PrincipalKind
from services.contacts import GATE_QUERY_DEADLINE, answer_contact, party_status
from services.message_ids import IdOfAnotherParty
from settings import get_settings
from tests.cli_api import ubp_over_api
from tests.conftest import TrackingPartyClient
from tests.helpers import incident, new_party, restriction, wait_for_status, warning
from tests.test_api import Api, _staff_and_tokens, offline  # noqa: F401  (the offline fixture)
from web.app import create_app
from worker import build_worker


async def _restricted(env, parties: PartyClient, *measures: Any) -> tuple[PartyRef, datetime]:
    """A party warned, then restricted with `measures` after a repeat (R6); and a time after it started."""
    party = new_party()
    now = await env.get_current_time()
    first = incident(party, now - timedelta(days=3))
    await parties.report_incident(first)
    await parties.issue_warning(warning(party, [first.incident_id], now - timedelta(days=2)))
    repeat = incident(party, now - timedelta(days=1))
    await parties.report_incident(repeat)
    request = RestrictionRequest.model_validate(
        restriction(party, [repeat.incident_id], now).model_dump() | {"measures": list(measures)}
    )
    outcome = await parties.apply_restriction(request)
    assert outcome.restriction.status == RestrictionStatus.IN_FORCE
    # Contacts arrive after the restriction started (the server's clock has moved on).
    return party, await env.get_current_time() + timedelta(seconds=1)


def _contact(party_id: str, at: datetime, channel: ContactChannel = ContactChannel.EMAIL, **fields) -> InboundContact:
    return InboundContact(
        contact_id=fields.pop("contact_id", f"con-{uuid.uuid4().hex[:12]}"),
        party_id=party_id,
        received_at=at,
        channel=channel,
        **fields,
    )


async def _history_length(parties: PartyClient, party_id: str) -> int:
    return len((await parties.handle(party_id).fetch_history()).events)


async def test_r8_r12_the_gate_answers_from_the_workflow_and_adds_no_history(time_skipping_env, parties, store):
    """R8: the gate reads the party's open workflow by a query: 100 contacts add no event
    to its history. R12: a call against the channel measure is flagged, not reported."""
    party, now = await _restricted(
        time_skipping_env,
        parties,
        {"measure": "single_contact_channel", "channels": ["email"]},
        {"measure": "single_named_contact", "named_contact": "caseworker-7"},
    )
    pid = party.party_id
    before = await _history_length(parties, pid)
    answers = []
    for n in range(100):
        channel = ContactChannel.PHONE if n % 10 == 0 else ContactChannel.EMAIL
        answers.append(await answer_contact(parties, store, _contact(pid, now + timedelta(minutes=n), channel)))
    assert await _history_length(parties, pid) == before

    call = answers[0]
    assert call.handling == ContactHandling.REPLY_WITH_ARRANGEMENTS and call.answered_from == "workflow"
    assert call.possible_breach.measures == [Measure.SINGLE_CONTACT_CHANNEL]
    email = answers[1]
    assert email.handling == ContactHandling.ROUTE_TO_NAMED_CONTACT and email.route_to == "caseworker-7"
    assert email.respond_by is not None and email.rules == ["R8", "R19"]
    assert (await parties.status(pid)).incident_count == 2  # the gate reported nothing

    reader = Principal(id="case-system", kind=PrincipalKind.SYSTEM, roles=frozenset({Role.CASE_SYSTEM}))
    status = await party_status(parties, store, pid, reader, Door.LOCAL)
    assert status.contact_count == 100 and len(status.recent_contacts) == 20
    assert status.recent_contacts[0].contact.contact_id == answers[-1].contact.contact_id
    assert len(store.contacts(pid)) == 100


async def test_r8_with_no_worker_the_gate_answers_from_the_file_within_its_deadline(
    time_skipping_env, settings, door_keys, store
):
    """R8: a party whose workflow does not answer (its worker stopped) is answered from its
    file, saying so, within the gate's deadline: a member of staff on the phone is not kept
    waiting, nor refused."""
    parties = TrackingPartyClient(time_skipping_env.client, settings.task_queue, settings.timezone, door=door_keys)
    async with build_worker(time_skipping_env.client, settings):
        party, now = await _restricted(
            time_skipping_env, parties, {"measure": "single_contact_channel", "channels": ["email"]}
        )
    started = time.monotonic()
    try:
        call = await answer_contact(parties, store, _contact(party.party_id, now, ContactChannel.PHONE))
    finally:
        await parties.terminate_all()
    assert time.monotonic() - started < GATE_QUERY_DEADLINE.total_seconds() + 1
    assert call.answered_from == GateSource.FILE_FALLBACK
    assert call.handling == ContactHandling.REPLY_WITH_ARRANGEMENTS
    assert call.possible_breach is not None and call.possible_breach.measures == [Measure.SINGLE_CONTACT_CHANNEL]


async def test_r8_time_out_and_restriction_end_under_time_skipping(time_skipping_env, parties, store):
    """R8: a time out holds contact until it ends; R12: once the restriction has ended,
    contact is answered as usual (R19)."""
    env = time_skipping_env
    start = await env.get_current_time()
    ends = start + timedelta(days=20)
    party, _ = await _restricted(env, parties, {"measure": "time_out", "ends_at": ends.isoformat()})
    held = await answer_contact(parties, store, _contact(party.party_id, start + timedelta(hours=1)))
    assert held.handling == ContactHandling.HOLD_UNTIL_TIME_OUT_ENDS and held.hold_until == ends

    await env.sleep(timedelta(days=21))
    after = await answer_contact(parties, store, _contact(party.party_id, await env.get_current_time()))
    assert after.handling == ContactHandling.RESPOND and after.measures[0].rule == "R19"

    await env.sleep(timedelta(days=200))
    await wait_for_status(parties, party.party_id, lambda s: s.restrictions[0].status == RestrictionStatus.EXPIRED)
    late = await answer_contact(parties, store, _contact(party.party_id, await env.get_current_time()))
    assert late.handling == ContactHandling.RESPOND and late.arrangements == []


async def test_r8_volume_limit_counts_the_contact_log(time_skipping_env, parties, store):
    party, now = await _restricted(
        time_skipping_env, parties, {"measure": "restrict_time_or_volume", "max_contacts": 2, "per": "day"}
    )
    got = [await answer_contact(parties, store, _contact(party.party_id, now + timedelta(minutes=n))) for n in range(3)]
    assert [a.handling for a in got] == [ContactHandling.RESPOND] * 2 + [ContactHandling.OVER_VOLUME_LIMIT]
    assert got[2].possible_breach is not None and got[2].respond_by is None


async def test_r19_a_party_with_no_workflow_is_answered_and_none_is_started(time_skipping_env, parties, store):
    """R19: nothing live, the usual 10 working days; no workflow is started for the answer."""
    pid = f"p-{uuid.uuid4().hex[:12]}"
    now = await time_skipping_env.get_current_time()
    got = await answer_contact(parties, store, _contact(pid, now))
    assert got.handling == ContactHandling.RESPOND and got.answered_from == "none"
    assert got.respond_by is not None and got.rules == ["R19"]
    with pytest.raises(RPCError) as missing:
        await parties.handle(pid).describe()
    assert missing.value.status == RPCStatusCode.NOT_FOUND


async def test_r17_a_closed_case_is_recorded_and_read_from_the_file_once_the_party_completes(
    time_skipping_env, parties, store
):
    """R17: later written contact about the case is logged without being read or answered,
    unless it raises a new complaint; the answer comes from the file when the workflow has ended."""
    pid = f"p-{uuid.uuid4().hex[:12]}"
    now = await time_skipping_env.get_current_time()
    closure = CaseClosure(party_id=pid, case_reference="CASE-77", closed_at=now, closed_by="caseworker-7")
    first = await parties.record_case_closure(closure)
    assert not first.duplicate and first.closed_case.closed_by == "caseworker-7"
    # Nothing else live: the party's workflow completes, and its file stays.
    await parties.handle(pid).result()
    [row] = store.closed_cases(pid)
    assert row.case_reference == "CASE-77" and row.closed_by == "caseworker-7"

    later = now + timedelta(days=3)
    logged = await answer_contact(parties, store, _contact(pid, later, case_reference="CASE-77"))
    assert logged.handling == ContactHandling.LOG_WITHOUT_READING and logged.answered_from == "file"
    assert logged.respond_by is None and logged.rules == ["R17"]
    complaint = await answer_contact(
        parties, store, _contact(pid, later, case_reference="CASE-77", raises_new_complaint=True)
    )
    assert complaint.handling == ContactHandling.RESPOND and complaint.respond_by is not None

    again = await parties.record_case_closure(closure.model_copy(update={"closed_by": "someone-else"}))
    assert again.duplicate and again.closed_case.closed_by == "caseworker-7"
    assert (await parties.status(pid)).closed_cases[0].case_reference == "CASE-77"


async def test_r3_r17_a_closure_dated_in_the_future_is_refused(time_skipping_env, parties):
    now = await time_skipping_env.get_current_time()
    pid = f"p-{uuid.uuid4().hex[:12]}"
    future = CaseClosure(party_id=pid, case_reference="C-1", closed_at=now + timedelta(days=2), closed_by="cw-1")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await parties.record_case_closure(future)
    assert isinstance(refused.value.cause, ApplicationError)
    assert refused.value.cause.message.startswith("R3: closed_at")


async def test_the_contact_id_is_the_idempotency_key_and_another_partys_id_is_refused(
    time_skipping_env, parties, store
):
    now = await time_skipping_env.get_current_time()
    pid = f"p-{uuid.uuid4().hex[:12]}"
    arrived = _contact(pid, now)
    first = await answer_contact(parties, store, arrived)
    again = await answer_contact(parties, store, arrived.model_copy(update={"channel": ContactChannel.PHONE}))
    assert again.duplicate and not first.duplicate
    assert again.model_dump(exclude={"duplicate"}) == first.model_dump(exclude={"duplicate"})
    assert store.contact_count(pid) == 1
    with pytest.raises(IdOfAnotherParty, match=r"contact id '.*' is already on file for another party"):
        await answer_contact(parties, store, arrived.model_copy(update={"party_id": "p-other"}))


# --- the HTTP API ------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def api(parties, store, settings) -> AsyncIterator[Api]:
    tokens = _staff_and_tokens(store)
    transport = httpx.ASGITransport(app=create_app(parties, store, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, tokens)


async def test_api_contact_gate_and_closed_cases(time_skipping_env, api):
    """R17 and the gate over HTTP: a closure, a contact about it, the same contact id for another party."""
    now = await time_skipping_env.get_current_time()
    pid = f"p-{uuid.uuid4().hex[:12]}"
    closure = {"case_reference": "CASE-5", "closed_at": now.isoformat(), "closed_by": "colleague-1"}
    closed = await api.client.post(f"/parties/{pid}/closed-cases", json=closure, headers=api.auth())
    assert closed.status_code == 200, closed.text
    assert closed.json()["duplicate"] is False

    body = {"received_at": now.isoformat(), "channel": "letter", "case_reference": "CASE-5"}
    key = {"Idempotency-Key": f"con-{uuid.uuid4().hex[:12]}"}
    got = await api.client.post(f"/parties/{pid}/contacts", json=body, headers=api.auth() | key)
    assert got.status_code == 200, got.text
    assert got.json()["handling"] == "log_without_reading" and got.json()["respond_by"] is None
    assert got.json()["contact"]["contact_id"] == key["Idempotency-Key"]
    again = await api.client.post(f"/parties/{pid}/contacts", json=body, headers=api.auth() | key)
    assert again.status_code == 200 and again.json()["duplicate"] is True

    elsewhere = await api.client.post("/parties/p-elsewhere/contacts", json=body, headers=api.auth() | key)
    assert elsewhere.status_code == 409
    assert elsewhere.json()["rule"] == "ids-per-party" and "on file for another party" in elsewhere.json()["detail"]
    assert pid not in elsewhere.json()["detail"]

    shown = await api.client.get(f"/parties/{pid}", headers=api.auth())
    assert shown.status_code == 200, shown.text
    assert shown.json()["contact_count"] == 1 and shown.json()["closed_cases"][0]["case_reference"] == "CASE-5"
    assert shown.json()["recent_contacts"][0]["handling"] == "log_without_reading"

    future = closure | {"case_reference": "CASE-6", "closed_at": (now + timedelta(days=3)).isoformat()}
    refused = await api.client.post(f"/parties/{pid}/closed-cases", json=future, headers=api.auth())
    assert refused.status_code == 409 and refused.json()["rule"] == "R3"


async def test_r16_r18_the_status_over_the_api_shows_special_category_details_only_to_who_needs_to_know(
    time_skipping_env, parties, store, api
):
    """GET /parties/{id}: a case system sees that an adjustment was agreed, and the letter format
    the party's letters now take, and that a colleague-support task is open; not what was asked
    for, why it was agreed, nor whose support it is. A manager reads both; the colleague
    concerned their support, not the adjustment."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    report = incident(party, now - timedelta(hours=1))  # experienced by colleague-2: R18's follow-up
    await parties.report_incident(report)
    description = "Large print letters: the party has sight loss"
    await parties.request_adjustment(
        AdjustmentRequest(
            adjustment_id="adj-1",
            party_id=party.party_id,
            description=description,
            requested_at=now,
            recorded_by="colleague-1",
            letter_format=LetterFormat.LARGE_PRINT,
        )
    )
    reason = "Sight loss is a disability: large print meets the need"
    await parties.decide_adjustment(
        AdjustmentDecision(
            adjustment_id="adj-1",
            party_id=party.party_id,
            agree=True,
            decided_by="manager-1",
            reason=reason,
            decided_at=now,
        )
    )
    support_summary = f"R18: discuss support with colleague colleague-2 after incident {report.incident_id}"

    async def read(who: str) -> dict[str, Any]:
        answer = await api.client.get(f"/parties/{party.party_id}", headers=api.auth(who))
        assert answer.status_code == 200, answer.text
        [adjustment] = answer.json()["adjustments"]
        [support] = [t for t in answer.json()["open_tasks"] if t["kind"] == TaskKind.COLLEAGUE_SUPPORT]
        return {"adjustment": adjustment, "support": support, "text": answer.text}

    system = await read("case-system")
    assert system["adjustment"]["description"] == f"What was asked for: shown only to {ADJUSTMENT_READERS}"
    assert system["adjustment"]["reason"] == f"What was decided (reason): shown only to {ADJUSTMENT_READERS}"
    whole = (await read("manager-1"))["adjustment"]
    assert system["adjustment"] | {"description": description, "reason": reason} == whole
    assert system["adjustment"]["status"] == "agreed" and system["adjustment"]["letter_format"] == "large_print"
    assert system["support"]["task_id"] == f"support-{report.incident_id}" and system["support"]["status"] == "open"
    assert system["support"]["summary"] == f"Support for a colleague after an incident: shown only to {SUPPORT_READERS}"
    assert system["support"]["subject_id"] == WITHHELD_SUBJECT
    assert description not in system["text"] and reason not in system["text"] and "colleague-2" not in system["text"]

    manager = await read("manager-1")
    assert manager["adjustment"]["description"] == description and manager["support"]["summary"] == support_summary
    concerned = await read("colleague-2")
    assert concerned["support"]["summary"] == support_summary and description not in concerned["text"]


@pytest.mark.parametrize(
    ("change", "loc", "says"),
    [
        ({"channel": "pigeon"}, ["body", "channel"], "Input should be"),
        ({"received_at": "2026-06-01T10:00:00"}, ["body", "received_at"], "time zone offset"),
        ({"party_id": "p-other"}, ["body", "party_id"], "does not match the path"),
        ({"contact_id": None}, ["body", "contact_id"], "Idempotency-Key"),
    ],
    ids=["unknown-channel", "naive-datetime", "contact-for-another-party", "no-contact-id"],
)
async def test_api_bad_contacts_are_422_naming_the_field(offline, change, loc, says):  # noqa: F811
    body = {"contact_id": "con-1", "received_at": "2026-06-01T10:00:00+01:00", "channel": "email"} | change
    answer = await offline.client.post("/parties/p-1/contacts", json=body, headers=offline.auth())
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["detail"]
    assert problem["loc"] == loc and says in problem["msg"]


async def test_api_contact_gate_with_temporal_unreachable_still_answers(offline, store):  # noqa: F811
    """The gate always answers: with Temporal gone, from the party's file (none here)."""
    body = {"contact_id": "con-1", "received_at": "2026-06-01T10:00:00+01:00", "channel": "email"}
    answer = await offline.client.post("/parties/p-1/contacts", json=body, headers=offline.auth())
    assert answer.status_code == 200 and answer.json()["answered_from"] == "none"
    assert store.contact_answer("con-1") is not None


# --- the CLI -----------------------------------------------------------------------------------


@pytest.fixture
def cli(time_skipping_env, store: RecordStore, monkeypatch: pytest.MonkeyPatch):
    """`ubp` on the test's records database and the time-skipping server (no worker is
    needed: the gate only queries, and a party with no workflow is refused the query at once)."""
    from starter.ubp import app

    monkeypatch.setenv("DATABASE_URL", store.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("UBP_TEMPORAL_ADDRESS", time_skipping_env.client.service_client.config.target_host)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--channel", "pigeon"), "'pigeon' is not one of"),
        (
            ("--channel", "email", "--at", "2026-06-01T10:00:00"),
            "received_at: Value error, must include a time zone offset",
        ),
        (("--channel", "email", "--contact-id", "has space"), "contact_id: String should match pattern"),
    ],
    ids=["unknown-channel", "naive-datetime", "bad-contact-id"],
)
def test_cli_bad_contacts_are_refused_naming_the_field(cli, args, says):
    result = cli("contact", "--party", "p-1", *args)
    assert result.exit_code == 2 and says in result.output, result.output


async def test_cli_contact_gate_answers_and_refuses_another_partys_contact_id(parties, store, settings, monkeypatch):
    """R19 through `ubp contact`, as the case system signed in to the API; a contact id on file
    for another party is refused (exit 1)."""
    store.add_system("case-system", "The case system", [])
    at = datetime.now(UTC).isoformat()
    async with ubp_over_api(parties, store, settings, monkeypatch) as ubp:
        ubp.token(store, "case-system")
        args = ("contact", "--channel", "email", "--contact-id", "con-cli-1", "--at", at)
        result = await ubp(*args, "--party", "p-cli-1", as_="case-system")
        assert result.exit_code == 0, result.output
        assert '"handling": "respond"' in result.output and '"answered_from": "none"' in result.output
        assert store.contact_answer("con-cli-1").contact.party_id == "p-cli-1"
        other = await ubp(*args, "--party", "p-cli-2", as_="case-system")
    assert other.exit_code == 1 and "refused: " in other.stderr
    assert "is already on file for another party" in other.stderr and "p-cli-1" not in other.stderr


def test_cli_restrict_builds_measures_with_their_parameters():
    """R8: `ubp restrict` options become the measures' parameters; an option without its measure is refused."""
    from cli.measures import MeasureOptions, measure_items

    options = MeasureOptions(
        channels=(ContactChannel.EMAIL,),
        max_contacts=3,
        per=ContactPeriod.WEEK,
        windows=("monday,thursday 10:00-12:00",),
        time_out_ends="2027-01-01T00:00:00+00:00",
    )
    items = measure_items(
        [Measure.SINGLE_CONTACT_CHANNEL, Measure.RESTRICT_TIME_OR_VOLUME, Measure.TIME_OUT, Measure.BEHAVIOUR_CONTRACT],
        options,
    )
    request = RestrictionRequest.model_validate(
        restriction(new_party(), ["i-1"], datetime(2026, 6, 1, tzinfo=UTC)).model_dump() | {"measures": items}
    )
    assert [t.measure for t in request.terms] == [
        Measure.SINGLE_CONTACT_CHANNEL,
        Measure.RESTRICT_TIME_OR_VOLUME,
        Measure.TIME_OUT,
    ]
    assert items[-1] == "behaviour_contract"
    with pytest.raises(typer.Exit):
        measure_items([Measure.TIME_OUT], MeasureOptions(named_contact="staff-1"))


# --- the contact log, on SQLite and PostgreSQL ---------------------------------------------------


def test_r3_the_contact_log_keeps_each_contact_once_and_counts_by_period(record_store: RecordStore):
    def logged(contact_id: str, at: datetime) -> tuple[Any, bool]:
        contact = _contact("p-log", at, contact_id=contact_id)
        view = GateView(party_id="p-log")
        answer = decide(
            view,
            contact,
            calendar=england_and_wales(*calendar_years(view, contact)),
            prior_contacts={},
            answered_from=GateSource.NONE,
            answered_at=at,
        )
        return record_store.record_contact(answer)

    day = datetime(2027, 3, 1, 9, tzinfo=UTC)
    first, recorded = logged("c-1", day)
    assert recorded and record_store.contact_answer("c-1") == first
    again, recorded = logged("c-1", day + timedelta(hours=1))
    assert not recorded and again.contact.received_at == day
    logged("c-2", day + timedelta(hours=2))
    logged("c-3", day + timedelta(days=1))
    assert record_store.count_contacts("p-log", day, day + timedelta(days=1), excluding="c-2") == 1
    assert [a.contact.contact_id for a in record_store.contacts("p-log")] == ["c-3", "c-2", "c-1"]
    assert record_store.contact_count("p-log") == 3 and record_store.contacts("p-other") == []
