"""Who acted is who signed in, through `ubp`: every acting command goes through the HTTP API
with a token (or, for `ubp import` and `ubp retention apply`, checks the token against the
records database), the permission table allows or refuses it naming the rule, and a refusal
writes nothing. And nothing but the door erases a party or shortens retention: a Temporal
client starting the retention workflows itself gets nowhere."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError

from client.connection import without_codec
from client.door import Acting, DoorKeys
from client.parties import PartyClient
from client.retention import RetentionClient
from policy.authority import ERASE_PARTY
from policy.effects import EffectBatch, IncidentRecorded, PartySaved
from policy.fields import Door
from policy.messages import AdjustmentRequest, EndedCall, EndedCallRecord, PartyRef
from policy.payloads import ErasureOutcome, ErasureRequest, RemovalTotals, RetentionSweepInput
from policy.vocabulary import ContactChannel, PartyKind, RemovalKind, RemovalOutcome, Role, Stage
from records.store import RecordStore
from settings import Settings
from tests.cli_api import Ubp, ubp_over_api
from tests.helpers import incident, new_party, planned_task, warned_party
from tests.party_file import write_party_file
from tests.test_imports import _file, _history
from worker import build_worker
from workflows.retention import ERASURE_WORKFLOW, UNAUTHENTICATED, RetentionSweepWorkflow

STAFF = {
    "colleague-1": ("Colin Colleague", [Role.COLLEAGUE]),
    "colleague-2": ("Cora Colleague", [Role.COLLEAGUE]),
    "manager-1": ("Morgan Manager", [Role.MANAGER]),
    "demo-manager": ("Dana Manager", [Role.MANAGER]),
    "exec-1": ("Edie Executive", [Role.EXECUTIVE_TEAM]),
    "exec-2": ("Eli Executive", [Role.EXECUTIVE_TEAM]),
    "adviser-1": ("Ada Adviser", [Role.SPECIALIST_ADVISER]),
    "ops-1": ("Oli Operations", [Role.OPERATIONS]),
}
# A case system's own account, acting for itself and for colleague-1 only.
CASE_SYSTEM = "case-system"
# The workers keep files this long: a client asking for less changes nothing.
WORKER_RETENTION_YEARS = 100
OLD = datetime(2019, 3, 4, 10, tzinfo=UTC)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The tests' settings, with a retention period for the worker (the `parties` fixture's);
    `ubp` runs without one: the worker's decides."""
    return settings.model_copy(update={"retention_years": WORKER_RETENTION_YEARS})


@pytest_asyncio.fixture
async def ubp(parties: PartyClient, store: RecordStore, settings: Settings, monkeypatch) -> AsyncIterator[Ubp]:
    async for cli in _ubp(parties, store, settings, monkeypatch):
        yield cli


async def _ubp(parties: PartyClient, store: RecordStore, settings: Settings, monkeypatch) -> AsyncIterator[Ubp]:
    for staff_id, (name, roles) in STAFF.items():
        store.add_staff(staff_id, name, roles)
    store.add_system(CASE_SYSTEM, "The case system", ["colleague-1"])
    async with ubp_over_api(parties, store, settings, monkeypatch) as cli:
        for staff_id in [*STAFF, CASE_SYSTEM]:
            cli.token(store, staff_id)
        yield cli


@pytest_asyncio.fixture
async def dev_ubp(dev_parties: PartyClient, store: RecordStore, settings: Settings, monkeypatch) -> AsyncIterator[Ubp]:
    """`ubp` over the API on the real dev server, for erasures: deleting a party's workflow runs on
    the time-skipping server moves its shared clock on by years (ten, each, seen here), and later
    tests ran off the bank-holiday calendar."""
    async for cli in _ubp(dev_parties, store, settings, monkeypatch):
        yield cli


def old_file(store: RecordStore, party_id: str) -> None:
    """A party's file from long ago, with no workflow: an incident and the party."""
    party = PartyRef(party_id=party_id, kind=PartyKind.INDIVIDUAL)
    report = incident(party, OLD).model_copy(update={"incident_id": f"{party_id}-inc"})
    store.apply(
        EffectBatch(
            party_id=party_id,
            effects=[
                PartySaved(party=party, stage=Stage.NONE, at=OLD),
                IncidentRecorded(report=report, received_at=OLD),
            ],
        )
    )


# --- every acting command: one role allowed, one refused, the refusal writing nothing -----------


@dataclass
class Scene:
    """What a row of the table acts on, made as the row needs it."""

    env: object
    parties: PartyClient
    store: RecordStore
    settings: Settings
    tmp_path: Path

    async def now(self) -> datetime:
        return await self.env.get_current_time()  # type: ignore[attr-defined]

    async def warned(self) -> tuple[str, str]:
        """A party with a live warning and a repeat during it: (party id, the repeat's id)."""
        party = new_party()
        repeat, _ = await warned_party(self.env, self.parties, party)  # type: ignore[arg-type]
        return party.party_id, repeat

    async def reported(self) -> tuple[str, str]:
        """A party with one incident, which a colleague experienced: (party id, incident id)."""
        party = new_party()
        report = incident(party, await self.now() - timedelta(hours=1))
        await self.parties.report_incident(report)
        return party.party_id, report.incident_id

    async def adjustment(self) -> tuple[str, str]:
        """A party with a requested adjustment: (party id, adjustment id)."""
        party, adjustment_id = new_party(), f"adj-{uuid.uuid4().hex[:8]}"
        await self.parties.report_incident(incident(party, await self.now() - timedelta(hours=1)))
        await self.parties.request_adjustment(
            AdjustmentRequest(
                adjustment_id=adjustment_id,
                party_id=party.party_id,
                description="Letters in large print",
                requested_at=await self.now(),
                recorded_by="colleague-1",
            )
        )
        return party.party_id, adjustment_id


@dataclass
class Row:
    """One acting command: its arguments for the allowed and the refused run, and what
    the refused run must not have written."""

    allowed: str
    refused: str
    rule: str
    # (scene) -> (arguments, check that nothing was written: returns what it found)
    make: Callable[[Scene], Awaitable[tuple[list[str], list[str], Callable[[], object]]]]


async def _report_incident(s: Scene):
    party, at = new_party().party_id, (await s.now()).isoformat()
    args = ["report-incident", "--party", party, "--category", "aggressive_or_abusive", "--code", "verbal_abuse"]
    return [*args, "--at", at], [*args, "--at", at, "--incident-id", "inc-refused"], lambda: s.store.incidents(party)


async def _ask(s: Scene):
    party, repeat = await s.warned()
    args = ["ask", "--party", party, "--incident", repeat, "--at", (await s.now()).isoformat()]
    # R4a: the call of this ask ended, with ground rules, in the same message.
    args += ["--ended-call", "phone", "--why", "It went on.", "--ground-rules", "Calm voices."]
    before = len(s.store.asks(party)), len(s.store.ended_calls(party))
    return args, args, lambda: (len(s.store.asks(party)) - before[0], len(s.store.ended_calls(party)) - before[1])


async def _end_call(s: Scene):
    party, _ = await s.warned()
    [ask] = s.store.asks(party)
    args = ["end-call", "--party", party, "--ask", ask.ask_id, "--channel", "phone", "--why", "It went on."]
    args += ["--ground-rules", "Calm voices, one topic.", "--at", (await s.now()).isoformat()]
    return args, args, lambda: s.store.ended_calls(party)


async def _lift_ground_rules(s: Scene):
    party, _ = await s.warned()
    [ask] = s.store.asks(party)
    at = await s.now()
    call = EndedCall(ended_at=at, channel=ContactChannel.PHONE, why="It went on.", ground_rules="Calm voices.")
    record = EndedCallRecord(call_id="call-1", party_id=party, ask_id=ask.ask_id, ended_by="colleague-1", **dict(call))
    await s.parties.record_ended_call(record)
    args = ["lift-ground-rules", "--party", party, "--call", "call-1", "--reason", "Calm now.", "--at", at.isoformat()]
    return args, args, lambda: s.store.ended_calls(party)[0].data["ground_rules"]["status"]


async def _warn(s: Scene):
    party, reported = await s.reported()
    args = ["warn", "--party", party, "--incident", reported, "--reasons", "It went on."]
    args += ["--at", (await s.now()).isoformat()]
    return args, args, lambda: s.store.warnings(party)


async def _restrict(s: Scene):
    party, repeat = await s.warned()
    args = ["restrict", "--party", party, "--incident", repeat, "--measure", "single_named_contact"]
    args += ["--named-contact", "colleague-2", "--reasons", "Abuse went on.", "--arrangements", "Only Cora, by email."]
    args += ["--at", (await s.now()).isoformat()]
    return args, args, lambda: s.store.restrictions(party)


async def _close_case(s: Scene):
    party, at = new_party().party_id, (await s.now()).isoformat()
    return (
        ["close-case", "--party", party, "--case", "CASE-1", "--at", at],
        ["close-case", "--party", party, "--case", "CASE-2", "--at", at],
        lambda: s.store.closed_cases(party),
    )


async def _adjustment_request(s: Scene):
    party, at = new_party().party_id, (await s.now()).isoformat()
    args = ["adjustment", "request", "--party", party, "--description", "Large print", "--at", at]
    return args, args, lambda: s.store.adjustments(party)


async def _adjustment_advice(s: Scene):
    party, adjustment_id = await s.adjustment()
    args = ["adjustment", "advice", adjustment_id, "--party", party]
    return args, args, lambda: s.store.task(f"advice-{adjustment_id}")


async def _adjustment_decide(s: Scene):
    party, adjustment_id = await s.adjustment()
    args = ["adjustment", "decide", adjustment_id, "--party", party, "--agree", "--reason", "Easy to do."]
    return args, args, lambda: [a for a in s.store.adjustments(party) if a.status != "requested"]


async def _tasks_decide(s: Scene):
    _, reported = await s.reported()
    task_id = f"support-{reported}"
    await planned_task(s.store, task_id)
    args = ["tasks", "decide", task_id, "--outcome", "support_recorded", "--support", "none_wanted"]
    return args, args, lambda: s.store.decisions(task_id=task_id)


async def _status(s: Scene):
    party = new_party()
    await s.parties.report_incident(incident(party, await s.now() - timedelta(hours=1)))
    return ["status", party.party_id], ["status", party.party_id], lambda: s.store.file_reads(party.party_id)


async def _contact(s: Scene):
    party, at = new_party().party_id, (await s.now()).isoformat()
    args = ["contact", "--party", party, "--channel", "email", "--at", at]
    return [*args, "--contact-id", "con-ok"], [*args, "--contact-id", "con-refused"], lambda: s.store.contacts(party)


async def _letters_list(s: Scene):
    on_file = write_party_file(s.store, s.settings)
    args = ["letters", "list", on_file.party_id]
    return args, args, lambda: s.store.file_reads(on_file.party_id)


async def _letters_get(s: Scene):
    write_party_file(s.store, s.settings)
    args = ["letters", "get", "letter:warning:w1", "--out", str(s.tmp_path / "w1.pdf")]
    return args, args, lambda: s.store.letter_reads("letter:warning:w1")


async def _letters_sent(s: Scene):
    write_party_file(s.store, s.settings)
    args = ["letters", "sent", "letter:warning:w1", "--method", "post"]
    return args, args, lambda: s.store.letter("letter:warning:w1").sent_at


async def _party_erase(s: Scene):
    party = f"p-old-{uuid.uuid4().hex[:8]}"
    old_file(s.store, party)
    args = ["party", "erase", party, "--reason", "SAR-1"]
    return args, args, lambda: s.store.removal_log(party_id=party)


async def _import(s: Scene):
    party = f"p-imp-{uuid.uuid4().hex[:8]}"
    path = _file(s.tmp_path, [*_history(party, datetime.now(UTC) - timedelta(days=3 * 365))])
    return ["import", str(path)], ["import", str(path)], lambda: s.store.party(party)


async def _retention_apply(s: Scene):
    return ["retention", "apply"], ["retention", "apply"], lambda: s.store.removal_log()


ROWS = {
    "report-incident": Row("colleague-1", "ops-1", "R18", _report_incident),
    "ask": Row("colleague-1", "ops-1", "R4", _ask),
    "end-call": Row("colleague-1", "adviser-1", "R4a", _end_call),
    "lift-ground-rules": Row("colleague-1", "ops-1", "R4a", _lift_ground_rules),
    "warn": Row("colleague-1", "adviser-1", "R5", _warn),
    "restrict": Row("colleague-1", "ops-1", "R6", _restrict),
    "close-case": Row("colleague-1", "adviser-1", "R17", _close_case),
    "adjustment-request": Row("colleague-1", "ops-1", "R16", _adjustment_request),
    "adjustment-advice": Row("colleague-1", "adviser-1", "R16", _adjustment_advice),
    "adjustment-decide": Row("manager-1", "colleague-1", "R16", _adjustment_decide),
    "tasks-decide": Row("manager-1", "colleague-1", "R18", _tasks_decide),
    "status": Row(CASE_SYSTEM, "ops-1", "R3", _status),
    "contact": Row(CASE_SYSTEM, "ops-1", "R8", _contact),
    "letters-list": Row("colleague-1", "ops-1", "R10", _letters_list),
    "letters-get": Row("colleague-1", "adviser-1", "R10", _letters_get),
    "letters-sent": Row(CASE_SYSTEM, "ops-1", "R10", _letters_sent),
    "party-erase": Row("manager-1", "colleague-1", "R3", _party_erase),
    "import": Row(CASE_SYSTEM, "colleague-1", "R3", _import),
    "retention-apply": Row("manager-1", "colleague-1", "R3", _retention_apply),
}


@pytest.mark.parametrize("name", list(ROWS))
async def test_each_acting_command_is_allowed_or_refused_by_the_permission_table(
    name, time_skipping_env, parties, store, settings, ubp, tmp_path
):
    row = ROWS[name]
    allowed, refused, written = await row.make(Scene(time_skipping_env, parties, store, settings, tmp_path))
    before = written()

    no = await ubp(*refused, as_=row.refused)
    assert no.exit_code == 1, no.output
    assert f"not permitted: {row.rule}: {row.refused} may not" in no.stderr, no.stderr
    assert written() == before, f"{name}: a refused command wrote {written()!r}"

    yes = await ubp(*allowed, as_=row.allowed)
    assert yes.exit_code == 0, yes.output


async def test_signing_in_is_required_and_a_token_file_does_as_well(ubp, store, tmp_path):
    party = new_party().party_id
    args = ["close-case", "--party", party, "--case", "CASE-1", "--at", datetime.now(UTC).isoformat()]
    missing = await ubp(*args)
    assert missing.exit_code == 1
    assert "sign in: set UBP_TOKEN (a token from `ubp staff token STAFF_ID`)" in missing.stderr
    unknown = tmp_path / "unknown-token"
    unknown.write_text("ubp_not-a-token\n")
    refused = await ubp(*args, "--token-file", str(unknown))
    assert refused.exit_code == 1 and "unknown token" in refused.stderr
    assert store.closed_cases(party) == []
    token = tmp_path / "token"
    token.write_text(ubp.tokens["colleague-1"] + "\n")
    done = await ubp(*args, "--token-file", str(token))
    assert done.exit_code == 0, done.output
    [closed] = store.closed_cases(party)
    assert closed.closed_by == "colleague-1"
    [acted] = store.acted(party)
    assert (acted.actor, acted.role, acted.via, acted.door) == ("colleague-1", "colleague", None, "api")


async def test_mistakes_are_named_before_sending_and_the_apis_answers_become_exits(ubp, store, monkeypatch):
    bad = await ubp("close-case", "--party", "has space", "--case", "C-1", as_="colleague-1")
    assert bad.exit_code == 2 and "party_id: String should match pattern" in bad.stderr
    unknown_task = await ubp("tasks", "decide", "no-such-task", "--outcome", "approve", as_="manager-1")
    assert unknown_task.exit_code == 1 and "no task 'no-such-task'" in unknown_task.stderr
    report = ["report-incident", "--party", "p-1", "--category", "aggressive_or_abusive", "--code", "verbal_abuse"]
    stranger = await ubp(*report, "--experienced-by", "nobody", as_="colleague-1")
    assert stranger.exit_code == 2
    assert "invalid request:\n  experienced_by: experienced_by 'nobody' is not an active member of staff" in (
        stranger.stderr
    )
    assert store.incidents("p-1") == []
    monkeypatch.setenv("UBP_API_URL", "http://127.0.0.1:9")
    gone = await ubp("status", "p-1", as_="colleague-1")
    assert gone.exit_code == 1
    assert "no HTTP API at http://127.0.0.1:9: start it with `ubp api` (or scripts/run.sh)" in gone.stderr


# --- acting for someone else -----------------------------------------------------------------


async def test_a_case_system_acts_for_the_staff_its_account_names_and_nobody_else(ubp, store, time_skipping_env):
    """R4 through `--for`: the case system carries colleague-1's ask; operations naming the demo
    manager, and the case system naming someone its account does not act for, are refused."""
    now = await time_skipping_env.get_current_time()
    party = new_party().party_id
    report = ["report-incident", "--party", party, "--category", "aggressive_or_abusive", "--code", "verbal_abuse"]
    carried = await ubp(
        *report, "--at", now.isoformat(), "--incident-id", "inc-1", "--for", "colleague-1", as_=CASE_SYSTEM
    )
    assert carried.exit_code == 0, carried.output
    [acted] = store.acted(party)
    assert (acted.actor, acted.role, acted.via) == ("colleague-1", "colleague", CASE_SYSTEM)
    assert store.incidents(party)[0].reported_by == "colleague-1"

    ask = ["ask", "--party", party, "--incident", "inc-1", "--at", now.isoformat()]
    posing = await ubp(*ask, "--for", "demo-manager", as_="ops-1")
    assert posing.exit_code == 1
    assert "not permitted: who-acts: signed in as ops-1, but demo-manager is named as acting" in posing.stderr
    beyond = await ubp(*ask, "--for", "demo-manager", as_=CASE_SYSTEM)
    assert beyond.exit_code == 1
    assert "who-acts: case system case-system may not act for demo-manager: its account acts for colleague-1" in (
        beyond.stderr
    )
    itself = await ubp(*ask, as_=CASE_SYSTEM)
    assert itself.exit_code == 1 and "case system case-system may not record ask for itself" in itself.stderr
    assert store.asks(party) == [] and len(store.acted(party)) == 1


async def test_operations_may_not_propose_a_restriction_as_the_demo_manager(ubp, store, time_skipping_env, parties):
    party, repeat = await Scene(time_skipping_env, parties, store, Settings(), Path()).warned()
    args = ["restrict", "--party", party, "--incident", repeat, "--measure", "single_named_contact"]
    args += ["--named-contact", "colleague-2", "--reasons", "Abuse went on.", "--arrangements", "Only Cora."]
    args += ["--at", (await time_skipping_env.get_current_time()).isoformat(), "--for", "demo-manager"]
    refused = await ubp(*args, as_="ops-1")
    assert refused.exit_code == 1
    assert "not permitted: who-acts: signed in as ops-1, but demo-manager is named as acting" in refused.stderr
    assert store.restrictions(party) == []


async def test_an_executive_may_not_approve_a_proposal_they_made_under_another_name(
    ubp, store, time_skipping_env, parties
):
    """R7: an organisation's restriction waits for the Ombudsman or the Executive Team, and
    never the person who proposed it (four eyes). Proposing as someone else to approve it
    oneself is refused at the door; proposing as oneself, the approval is refused."""
    party = new_party(PartyKind.ORGANISATION)
    repeat, now = await warned_party(time_skipping_env, parties, party)
    propose = ["restrict", "--party", party.party_id, "--incident", repeat, "--measure", "single_named_contact"]
    propose += ["--named-contact", "colleague-2", "--reasons", "Abuse went on.", "--arrangements", "Only Cora."]
    propose += ["--at", now.isoformat()]

    under_another_name = await ubp(*propose, "--for", "exec-2", as_="exec-1")
    assert under_another_name.exit_code == 1
    assert "not permitted: who-acts: signed in as exec-1, but exec-2 is named as acting" in under_another_name.stderr
    assert store.restrictions(party.party_id) == []

    proposed = await ubp(*propose, as_="exec-1")
    assert proposed.exit_code == 0, proposed.output
    [restriction] = store.restrictions(party.party_id)
    task_id = f"approve-{restriction.restriction_id}"
    await planned_task(store, task_id)
    approve = ["tasks", "decide", task_id, "--outcome", "approve"]
    as_the_other = await ubp(*approve, "--for", "exec-2", as_="exec-1")
    assert as_the_other.exit_code == 1 and "not permitted: who-acts: signed in as exec-1" in as_the_other.stderr
    own = await ubp(*approve, as_="exec-1")
    assert own.exit_code == 1 and own.stderr.startswith("refused: ")
    assert store.decisions(task_id=task_id) == []
    other = await ubp(*approve, as_="exec-2")
    assert other.exit_code == 0, other.output
    [decision] = store.decisions(task_id=task_id)
    assert decision.decided_by == "exec-2"


async def test_a_forced_erasure_needs_the_senior_role_and_is_logged_with_who_signed_in(dev_ubp, store):
    ubp = dev_ubp
    party = f"p-old-{uuid.uuid4().hex[:8]}"
    old_file(store, party)
    forced = ["party", "erase", party, "--reason", "SAR-2", "--force"]
    by_manager = await ubp(*forced, as_="manager-1")
    assert by_manager.exit_code == 1 and "not permitted: R3: manager-1 may not force erasure" in by_manager.stderr
    wrong_role = await ubp(*forced, "--role", "ombudsman", as_="exec-1")
    assert wrong_role.exit_code == 1 and "R3: exec-1 does not hold the role ombudsman" in wrong_role.stderr
    assert store.removal_log(party_id=party) == [] and store.party(party) is not None
    done = await ubp(*forced, as_="exec-1")
    assert done.exit_code == 0, done.output
    assert f"party {party} erased" in done.stdout and store.party(party) is None
    [logged] = store.removal_log(party_id=party)
    assert (logged.outcome, logged.by, logged.role, logged.reason) == ("done", "exec-1", "executive_team", "SAR-2")


async def test_import_and_retention_apply_name_who_signed_in(ubp, store, time_skipping_env, tmp_path):
    party = f"p-imp-{uuid.uuid4().hex[:8]}"
    path = _file(tmp_path, [*_history(party, datetime.now(UTC) - timedelta(days=3 * 365))])
    imported = await ubp("import", str(path), as_="manager-1")
    assert imported.exit_code == 0, imported.output
    assert store.imported_party(party).imported_by == "manager-1"
    swept = await ubp("retention", "apply", as_="manager-1")
    assert swept.exit_code == 0, swept.output
    [logged] = store.removal_log()
    assert (logged.kind, logged.by) == (RemovalKind.RETENTION_SWEEP, "manager-1")


# --- nothing but the door erases a party or shortens retention --------------------------------


async def _erase(client, request: ErasureRequest, settings: Settings, workflow_id: str | None = None):
    """Start the erasure workflow as any Temporal client can, with `request` as it is."""
    return await client.execute_workflow(
        ERASURE_WORKFLOW,
        request,
        result_type=ErasureOutcome,
        id=workflow_id or request.erasure_id,
        task_queue=settings.task_queue,
    )


async def test_a_forged_erasure_request_erases_nothing_and_is_logged_refused(
    dev_server_env, dev_parties, store: RecordStore, settings: Settings, door_keys: DoorKeys
):
    """A Temporal client that starts PartyErasureWorkflow itself: without the door's seal, sealed
    but unencrypted, with a seal made for another erasure, altered, malformed, or a sealed request
    started again, nothing is erased and each refusal is logged once, naming nobody as asking.
    On the dev server, as every erasure here (dev_ubp)."""
    client = dev_server_env.client
    party, other = (f"p-old-{uuid.uuid4().hex[:8]}" for _ in range(2))
    old_file(store, party)
    old_file(store, other)
    files = {p: store.party_rows([p]) for p in (party, other)}

    manager = Acting(actor="manager-1", role=Role.MANAGER, door=Door.API)

    def request(**changes) -> ErasureRequest:
        fields = {"party_id": party, "requested_by": "manager-1", "role": Role.MANAGER, "reason": "SAR-3"}
        return ErasureRequest.model_validate({**fields, "erasure_id": f"ubp-erasure-{uuid.uuid4()}", **changes})

    unsealed = await _erase(client, request(), settings)
    assert not unsealed.erased and unsealed.refusal.startswith("not sealed by the door")
    unencrypted = door_keys.seal(ERASE_PARTY, request(), manager)
    await without_codec(client).start_workflow(
        ERASURE_WORKFLOW, unencrypted, id=unencrypted.erasure_id, task_queue=settings.task_queue
    )
    plain = await client.get_workflow_handle(unencrypted.erasure_id, result_type=ErasureOutcome).result()
    assert plain.refusal.startswith("unencrypted: the worker takes only messages encrypted")

    elsewhere = door_keys.seal(ERASE_PARTY, request(), manager)
    moved = await _erase(client, elsewhere, settings, workflow_id=f"ubp-erasure-{uuid.uuid4()}")
    assert moved.refusal == "the door sealed this request for another erasure"

    sealed = door_keys.seal(ERASE_PARTY, request(), manager)
    altered = await _erase(
        client, sealed.model_copy(update={"party_id": other}), settings, workflow_id=f"ubp-erasure-{uuid.uuid4()}"
    )
    assert altered.refusal.startswith("the door's seal does not match the message")

    with pytest.raises(WorkflowFailureError) as malformed:
        await _erase(client, sealed.model_copy(update={"force": True, "erasure_id": "x"}), settings, "x")
    assert "may force an erasure" in str(malformed.value.cause)

    assert {p: store.party_rows([p]) for p in (party, other)} == files
    refused = (RemovalKind.ERASURE_REQUEST, RemovalOutcome.REFUSED, UNAUTHENTICATED, None, 0)
    log = store.removal_log()
    assert [(r.kind, r.outcome, r.by, r.role, r.parties) for r in log] == [refused] * 5
    assert [r.erased_party_id for r in log] == [party, party, party, other, None]
    assert all(r.reason.startswith("refused: ") and "SAR-3" not in r.reason for r in log)

    # The door's own request, done once; the same sealed request started again does nothing.
    done = await _erase(client, sealed, settings)
    assert done.erased and store.party_rows([party]) == {}
    old_file(store, party)  # the party came back since
    again = await _erase(client, sealed, settings)
    assert again.refusal == "this erasure was carried out already: a sealed request is used once"
    assert store.party(party) is not None
    assert [(r.outcome, r.by) for r in store.removal_log(party_id=party)][3:] == [("done", "manager-1")]


async def test_a_sweep_started_by_a_client_cannot_shorten_the_workers_retention(
    dev_server_env, dev_parties, store: RecordStore, settings: Settings
):
    """A sweep asking for one year, on workers that keep files 100 years: a file from 2019 stays.
    A worker with no retention period sweeps nothing at all."""
    party = f"p-old-{uuid.uuid4().hex[:8]}"
    old_file(store, party)
    before = store.party_rows([party])
    retention = RetentionClient(dev_server_env.client, settings.task_queue)
    totals = await retention.sweep(RetentionSweepInput(years=1, by="someone", reason="one year, please"))
    assert totals == RemovalTotals() and store.party_rows([party]) == before

    queue = f"no-retention-{uuid.uuid4()}"
    async with build_worker(
        dev_server_env.client, settings.model_copy(update={"retention_years": None}), task_queue=queue
    ):
        with pytest.raises(WorkflowFailureError) as failed:
            await dev_server_env.client.execute_workflow(
                RetentionSweepWorkflow.run,
                RetentionSweepInput(years=1, by="someone", reason="sweep"),
                id=f"sweep-{uuid.uuid4()}",
                task_queue=queue,
            )
    assert "no retention period" in str(failed.value.cause.__cause__)
    assert store.party_rows([party]) == before
