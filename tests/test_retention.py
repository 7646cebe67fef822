"""R3's retention period and erasure requests: a party's file goes, with its workflow
runs, once the retention period has passed or on request; never a party with
anything live, unless someone senior forces it; every sweep and erasure logged.

The time-skipping server (years pass in seconds) cannot delete an execution:
there the deleting is noted by a stand-in (`NotingRuns`) while everything else
is real. On the dev server, the real deletion: every run of the party's
workflow gone.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode
from typer.testing import CliRunner

from activities.retention import PartyRuns
from client.parties import PartyClient
from client.retention import RetentionClient
from client.schedules import RETENTION_SWEEP, apply_schedules
from policy.effects import EffectBatch, IncidentRecorded, NoticeQueued, PartySaved, TaskSaved
from policy.fields import Door
from policy.messages import PartyRef, TaskDecision
from policy.payloads import RemovalTotals, RetentionSweepInput, RunsRemoved
from policy.permissions import NotPermitted
from policy.state import HumanTask
from policy.vocabulary import (
    NoticeKind,
    PartyKind,
    RemovalKind,
    RemovalOutcome,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
)
from records.retention import party_tables
from records.store import RecordStore
from records.tables import LetterRow
from services.acting import Principal, PrincipalKind
from services.retention import ErasureRefused, erase_party, retention_report
from settings import Settings, get_settings
from tests.cli_api import ubp_over_api
from tests.conftest import TrackingPartyClient
from tests.helpers import in_the_sqlite_pass_only, incident, new_party, wait_for_status, warning
from worker import build_worker
from workflows.party import workflow_id_for

TZ = "Europe/London"


class NotingRuns(PartyRuns):
    """The party workflows' runs on the time-skipping server, which cannot delete an
    execution: what would be deleted is noted; a forced one is terminated, as deleting would."""

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self.deleted: list[tuple[str, bool]] = []

    async def delete(self, workflow_id: str, *, force: bool) -> RunsRemoved:
        running = await self.running(workflow_id)
        if running and not force:
            return RunsRemoved(running=True)  # left alone, as PartyRuns.delete leaves it
        if running:
            await self._client.get_workflow_handle(workflow_id).terminate(reason="erased")
        self.deleted.append((workflow_id, force))
        return RunsRemoved(deleted=1)


@pytest_asyncio.fixture
async def noted(time_skipping_env, settings, store, door_keys) -> AsyncIterator[tuple[TrackingPartyClient, NotingRuns]]:
    """Parties on the time-skipping server, and the runs the retention workflows deleted; the
    worker keeps files a year."""
    runs = NotingRuns(time_skipping_env.client)
    client = TrackingPartyClient(time_skipping_env.client, settings.task_queue, settings.timezone, door=door_keys)
    worker_settings = settings.model_copy(update={"retention_years": 1})
    async with build_worker(time_skipping_env.client, worker_settings, party_runs=runs):
        yield client, runs
        await client.terminate_all()


def add_staff(store: RecordStore) -> None:
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])
    store.add_staff("exec-1", "Edie Executive", [Role.EXECUTIVE_TEAM])


MANAGER = Principal(id="manager-1", kind=PrincipalKind.PERSON, roles=frozenset({Role.MANAGER}))
EXECUTIVE = Principal(id="exec-1", kind=PrincipalKind.PERSON, roles=frozenset({Role.EXECUTIVE_TEAM}))


def rows_of(store: RecordStore, party_id: str) -> dict[str, int]:
    return store.party_rows([party_id])


async def settled_incident(parties: PartyClient, party: PartyRef, at: datetime) -> None:
    """An incident, and the colleague-support task it opens (R18) decided: nothing left
    live but the follow-up period after the last message."""
    report = incident(party, at)
    await parties.report_incident(report)
    await parties.decide_task(
        TaskDecision(
            decision_id=f"d-{report.incident_id}",
            party_id=party.party_id,
            task_id=f"support-{report.incident_id}",
            decided_by="manager-1",
            role=Role.MANAGER,
            outcome=TaskOutcome.SUPPORT_RECORDED,
            support_offered=[SupportOption.NONE_WANTED],
            decided_at=at + timedelta(minutes=30),
        )
    )


# --- the retention sweep, under time skipping ------------------------------------------------


async def test_a_party_past_retention_is_removed_and_one_with_an_open_task_is_kept(
    time_skipping_env, noted, store: RecordStore, settings: Settings
):
    """A year and more after their last activity: the party whose workflow completed goes,
    file and runs; the one whose colleague-support task (R18) nobody decided is kept, file
    and workflow. The sweep is logged with its counts and no party named."""
    parties, runs = noted
    now = await time_skipping_env.get_current_time()
    gone, kept = new_party(), new_party()
    await settled_incident(parties, gone, now - timedelta(hours=1))
    await parties.report_incident(incident(kept, now - timedelta(hours=1)))  # its support task stays open
    await wait_for_status(parties, kept.party_id, lambda s: len(s.open_tasks) == 1)
    await time_skipping_env.sleep(timedelta(days=400))
    await parties.handle(gone.party_id).result()  # nothing live: it completed long ago
    before = {gone.party_id: rows_of(store, gone.party_id), kept.party_id: rows_of(store, kept.party_id)}
    assert before[gone.party_id]["incident"] == 1 and before[kept.party_id]["task"] == 1

    totals = await RetentionClient(time_skipping_env.client, settings.task_queue).sweep(
        RetentionSweepInput(years=1, by="manager-1", reason="test sweep")
    )

    assert totals == RemovalTotals(parties=1, held=1, executions=1, rows=before[gone.party_id])
    assert rows_of(store, gone.party_id) == {}
    assert store.party(gone.party_id) is None
    assert rows_of(store, kept.party_id) == before[kept.party_id]
    assert runs.deleted == [(workflow_id_for(gone.party_id), False)]
    status = await parties.status(kept.party_id)
    assert len(status.open_tasks) == 1
    [logged] = store.removal_log()
    assert (logged.kind, logged.outcome, logged.by, logged.reason) == (
        RemovalKind.RETENTION_SWEEP,
        RemovalOutcome.DONE,
        "manager-1",
        "test sweep",
    )
    assert (logged.parties, logged.held, logged.executions, logged.rows) == (1, 1, 1, before[gone.party_id])
    assert logged.erased_party_id is None and not logged.forced
    # A second sweep finds nothing more to remove, and logs that too.
    again = await RetentionClient(time_skipping_env.client, settings.task_queue).sweep(
        RetentionSweepInput(years=1, by="manager-1", reason="again")
    )
    assert again == RemovalTotals(held=1)
    assert len(store.removal_log()) == 2


async def test_a_party_within_its_retention_period_is_not_looked_at(
    time_skipping_env, noted, store: RecordStore, settings: Settings
):
    """Dormant but recent: the sweep does not even consider it."""
    parties, runs = noted
    now = await time_skipping_env.get_current_time()
    party = new_party()
    await settled_incident(parties, party, now - timedelta(hours=1))
    await time_skipping_env.sleep(timedelta(days=60))
    await parties.handle(party.party_id).result()
    totals = await RetentionClient(time_skipping_env.client, settings.task_queue).sweep(
        RetentionSweepInput(years=1, by="manager-1", reason="test")
    )
    assert totals == RemovalTotals()
    assert rows_of(store, party.party_id)["incident"] == 1 and runs.deleted == []


# --- erasure requests, under time skipping -----------------------------------------------------


async def test_an_erasure_is_refused_while_live_and_logged_when_done(
    time_skipping_env, noted, store: RecordStore, settings: Settings, door_keys
):
    """A party with a live warning: erasure refused (and logged) unless forced; only a senior
    role may force; forced, the file and the workflow go, and the log says who, why, how many."""
    parties, runs = noted
    add_staff(store)
    retention = RetentionClient(time_skipping_env.client, settings.task_queue, door_keys)
    now = await time_skipping_env.get_current_time()
    party = new_party()
    first = incident(party, now - timedelta(days=2))
    await parties.report_incident(first)
    await parties.issue_warning(warning(party, [first.incident_id], now - timedelta(days=1)))
    before = rows_of(store, party.party_id)

    with pytest.raises(ErasureRefused) as refused:
        await erase_party(retention, caller=MANAGER, door=Door.LOCAL, party_id=party.party_id, reason="SAR-17")
    assert "1 live warning(s)" in str(refused.value) and "its workflow is running" in str(refused.value)
    assert "--force" in str(refused.value) and "executive_team or ombudsman" in str(refused.value)
    assert rows_of(store, party.party_id) == before and runs.deleted == []

    with pytest.raises(NotPermitted, match="R3: manager-1 may not force erasure"):
        await erase_party(retention, caller=MANAGER, door=Door.LOCAL, party_id=party.party_id, reason="x", force=True)
    with pytest.raises(NotPermitted, match="R3: manager-1 does not hold the role executive_team"):
        await erase_party(
            retention,
            caller=MANAGER,
            door=Door.LOCAL,
            party_id=party.party_id,
            reason="x",
            role=Role.EXECUTIVE_TEAM,
        )
    system = Principal(id="case-system", kind=PrincipalKind.SYSTEM, roles=frozenset({Role.CASE_SYSTEM}))
    with pytest.raises(NotPermitted, match="case system case-system may not erase party for itself"):
        await erase_party(retention, caller=system, door=Door.LOCAL, party_id=party.party_id, reason="x")
    assert len(store.removal_log(party_id=party.party_id)) == 1

    outcome = await erase_party(
        retention,
        caller=EXECUTIVE,
        door=Door.LOCAL,
        party_id=party.party_id,
        reason="SAR-17: erasure agreed by the Executive Team",
        force=True,
    )
    assert outcome.erased and outcome.forced and outcome.executions == 1
    # The workflow went on writing (the task's escalation notice): every kind of row, at least as many.
    assert all(outcome.rows[table] >= count for table, count in before.items())
    assert (outcome.rows["incident"], outcome.rows["warning"]) == (1, 1)
    assert rows_of(store, party.party_id) == {}
    assert runs.deleted == [(workflow_id_for(party.party_id), True)]
    refusal, done = store.removal_log(party_id=party.party_id)
    assert (refusal.kind, refusal.outcome, refusal.by, refusal.reason, refusal.parties, refusal.held) == (
        RemovalKind.ERASURE_REQUEST,
        RemovalOutcome.REFUSED,
        "manager-1",
        "SAR-17",
        0,
        1,
    )
    assert refusal.role == "manager"
    assert (done.outcome, done.by, done.role, done.forced, done.parties, done.rows) == (
        RemovalOutcome.DONE,
        "exec-1",
        "executive_team",
        True,
        1,
        outcome.rows,
    )
    assert done.reason == "SAR-17: erasure agreed by the Executive Team"


async def test_the_cli_erases_refuses_and_shows_the_log(
    time_skipping_env, noted, store: RecordStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
):
    """`ubp party erase` through the API, as who signed in, and `ubp retention log`."""
    parties, _ = noted
    add_staff(store)
    now = await time_skipping_env.get_current_time()
    party = new_party()
    await parties.report_incident(incident(party, now - timedelta(hours=2)))
    async with ubp_over_api(parties, store, settings, monkeypatch) as ubp:
        for staff_id in ("manager-1", "exec-1"):
            ubp.token(store, staff_id)
        refused = await ubp("party", "erase", party.party_id, "--reason", "SAR-18", as_="manager-1")
        assert refused.exit_code == 1 and "was not erased, because" in refused.stderr
        wrong = await ubp("party", "erase", party.party_id, "--reason", "x", "--force", as_="manager-1")
        assert wrong.exit_code == 1 and "not permitted: R3: manager-1 may not force erasure" in wrong.stderr
        done = await ubp("party", "erase", party.party_id, "--force", "--reason", "y", as_="exec-1")
        assert done.exit_code == 0, done.output
        assert f"party {party.party_id} erased (forced:" in done.output
        log = await ubp("retention", "log", "--party", party.party_id)
    assert log.exit_code == 0
    lines = log.output.splitlines()
    assert "erasure_request\trefused\tmanager-1 (manager)" in lines[0] and lines[0].endswith("\tSAR-18")
    assert "erasure_request\tdone forced\texec-1 (executive_team)" in lines[1] and lines[1].endswith("\ty")


# --- on the dev server: every run of the party's workflow really deleted ---------------------


async def _runs_of(client: Client, workflow_id: str) -> list[str]:
    return [w.run_id async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]


@pytest.mark.devserver
@in_the_sqlite_pass_only("Temporal's deletion of every run (the dev server's takes 30 s)")
async def test_an_erasure_deletes_every_run_of_the_party_workflow(
    dev_server_env, dev_parties: PartyClient, store: RecordStore, settings: Settings, door_keys
):
    """A closed run and a running one (the party came back): forced, both are deleted from
    Temporal and the file from the records database."""
    client = dev_server_env.client
    add_staff(store)
    party = new_party()
    workflow_id = workflow_id_for(party.party_id)
    await dev_parties.report_incident(incident(party, datetime.now(UTC) - timedelta(hours=2)))
    await dev_parties.handle(party.party_id).terminate(reason="closed run")
    await dev_parties.report_incident(incident(party, datetime.now(UTC) - timedelta(hours=1)))
    await wait_for_status(dev_parties, party.party_id, lambda s: s.incident_count == 2)
    for _ in range(100):  # visibility is eventually consistent
        if len(await _runs_of(client, workflow_id)) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(await _runs_of(client, workflow_id)) == 2

    outcome = await erase_party(
        RetentionClient(client, settings.task_queue, door_keys),
        caller=EXECUTIVE,
        door=Door.LOCAL,
        party_id=party.party_id,
        reason="SAR-19",
        force=True,
    )

    assert outcome.erased and outcome.executions == 2 and outcome.rows["incident"] == 2
    assert rows_of(store, party.party_id) == {}
    with pytest.raises(RPCError) as gone:
        await client.get_workflow_handle(workflow_id).describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND
    # The server deletes an older, closed run in the background: half a minute on the dev server.
    for _ in range(180):
        remaining = await _runs_of(client, workflow_id)
        if not remaining:
            break
        await asyncio.sleep(0.5)
    assert remaining == [], f"runs of {workflow_id} still there"


@pytest.mark.devserver
async def test_the_retention_sweep_is_scheduled_only_while_a_period_is_set(dev_server_env, settings: Settings):
    """UBP_RETENTION_YEARS set: a daily schedule at UBP_RETENTION_SWEEP_TIME local time;
    unset again: the schedule is deleted, and nothing is ever swept."""
    client = dev_server_env.client
    with_period = settings.model_copy(update={"retention_years": 6})
    try:
        assert (await apply_schedules(client, with_period))[RETENTION_SWEEP] == "created"
        assert (await apply_schedules(client, with_period))[RETENTION_SWEEP] == "updated"
        described = await client.get_schedule_handle(RETENTION_SWEEP).describe()
        [calendar] = described.schedule.spec.calendars
        assert (calendar.hour[0].start, calendar.minute[0].start) == (2, 0)
        assert described.schedule.spec.time_zone_name == TZ
        assert (await apply_schedules(client, settings))[RETENTION_SWEEP] == "deleted"
        assert RETENTION_SWEEP not in await apply_schedules(client, settings)
    finally:
        for schedule_id in ("ubp-notice-dispatch", "ubp-daily-digest", RETENTION_SWEEP):
            try:
                await client.get_schedule_handle(schedule_id).delete()
            except RPCError:
                pass


# --- the records side, without Temporal ------------------------------------------------------

OLD = datetime(2019, 3, 4, 10, 0, tzinfo=UTC)


def old_file(store: RecordStore, party_id: str, at: datetime, *, open_task: bool = False) -> None:
    """A party's file written at `at`: its party row, an incident, and perhaps a task still open."""
    party = PartyRef(party_id=party_id, kind=PartyKind.INDIVIDUAL)
    report = incident(party, at).model_copy(update={"incident_id": f"{party_id}-inc"})
    effects: list = [
        PartySaved(party=party, stage=Stage.NONE, at=at),
        IncidentRecorded(report=report, received_at=at),
    ]
    if open_task:
        task = HumanTask(
            task_id=f"{party_id}-task",
            kind=TaskKind.COLLEAGUE_SUPPORT,
            subject_id=report.incident_id,
            created_at=at,
            summary="support",
            candidate_roles=[Role.MANAGER],
        )
        effects += [
            TaskSaved(party_id=party_id, task=task),
            NoticeQueued(
                notice_id=f"{task.task_id}:task_opened",
                party_id=party_id,
                task_id=task.task_id,
                notice=NoticeKind.TASK_OPENED,
                roles=[Role.MANAGER],
                at=at,
                text="New task",
            ),
        ]
    store.apply(EffectBatch(party_id=party_id, effects=effects))


def test_every_table_with_a_party_id_is_part_of_the_file_and_the_log_is_not() -> None:
    """A table added later with a `party_id` column is erased with the file, with no change to
    records.retention; the removal log and the staff's own tables are not part of any file."""
    names = {table.name for table in party_tables()}
    assert {"party", "incident", "task", "notice", "rejected_message", "decision", "adjustment"} <= names
    assert not names & {"removal_log", "staff", "api_token", "digest"}


def test_parties_past_retention_by_their_latest_instant_in_order(store: RecordStore) -> None:
    """The last activity is the latest instant anywhere in the file: a notice closed years
    later keeps the whole file."""
    for party_id in ("c", "a", "b"):
        old_file(store, party_id, OLD)
    old_file(store, "recent", datetime(2026, 1, 1, tzinfo=UTC))
    cutoff = datetime(2020, 1, 1, tzinfo=UTC)
    assert store.parties_past_retention(cutoff) == ["a", "b", "c"]
    assert store.parties_past_retention(cutoff, after="a", limit=1) == ["b"]
    assert store.last_activity("a") == OLD

    old_file(store, "d", OLD, open_task=True)
    assert "d" in store.parties_past_retention(cutoff)
    from policy.payloads import NoticeDelivery
    from policy.vocabulary import NoticeStatus

    store.close_notice(
        NoticeDelivery(notice_id="d-task:task_opened", status=NoticeStatus.SENT, at=datetime(2021, 6, 1, tzinfo=UTC))
    )
    assert store.last_activity("d") == datetime(2021, 6, 1, tzinfo=UTC)
    assert "d" not in store.parties_past_retention(cutoff)


def test_erasing_a_file_removes_its_rows_in_every_table_and_nobody_elses(store: RecordStore) -> None:
    old_file(store, "a", OLD, open_task=True)
    old_file(store, "b", OLD, open_task=True)
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])
    removed = store.erase_party_file("a")
    # Its events (issue 25: the incident recorded, the task opened) go with it.
    assert removed == {"party": 1, "incident": 1, "task": 1, "notice": 1, "event": 2}
    assert store.party_rows(["a"]) == {} and store.party_rows(["b"]) == removed
    assert store.erase_party_file("a") == {}
    assert store.staff("manager-1") is not None


def test_reading_a_letter_is_not_activity_on_the_file_and_its_log_goes_with_it(store: RecordStore) -> None:
    """A letter downloaded today does not put off R3 for a file last active years ago;
    erasing the file takes the log of who read its letters."""
    old_file(store, "a", OLD)
    letter = LetterRow(
        letter_id="letter:warning:a-w",
        party_id="a",
        kind="warning",
        subject_id="a-w",
        format="standard",
        decided_at=OLD,
        produced_at=OLD,
        content_hash="0" * 64,
        html="",
        pdf=b"",
    )
    store.record_letter_read(letter, "manager-1", "pdf", "inbox", datetime.now(UTC))
    assert store.last_activity("a") == OLD
    assert store.parties_past_retention(datetime(2020, 1, 1, tzinfo=UTC)) == ["a"]
    assert store.erase_party_file("a")["letter_read"] == 1
    assert store.letter_reads("letter:warning:a-w") == []


def test_the_retention_report_counts_what_would_go_and_names_nobody(
    store: RecordStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two old files, one with a task still open (held); a recent one untouched. The CLI
    prints the counts, and refuses without a retention period."""
    from starter.ubp import app

    old_file(store, "old-done", OLD)
    old_file(store, "old-open", OLD, open_task=True)
    old_file(store, "recent", datetime.now(UTC) - timedelta(days=10))
    found = retention_report(store, settings.model_copy(update={"retention_years": 6}), datetime.now(UTC))
    assert (found.parties, found.held, found.rows) == (1, 1, {"party": 1, "incident": 1, "event": 1})
    with pytest.raises(ValueError, match="UBP_RETENTION_YEARS is not set"):
        retention_report(store, settings, datetime.now(UTC))

    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        refused = runner.invoke(app, ["retention", "report"])
        assert refused.exit_code == 2 and "UBP_RETENTION_YEARS is not set" in refused.output
        monkeypatch.setenv("UBP_RETENTION_YEARS", "6")
        get_settings.cache_clear()
        report = runner.invoke(app, ["retention", "report"])
    finally:
        get_settings.cache_clear()
    assert report.exit_code == 0, report.output
    assert "parties whose file would go: 1" in report.output
    assert "parties past the period kept, something live: 1" in report.output
    assert "incident: 1 rows" in report.output
    assert "old-done" not in report.output and "old-open" not in report.output


# --- an erasure holds the file: a run started meanwhile waits for it ---------------------------


async def test_r3_a_run_started_while_an_erasure_holds_the_file_waits_and_starts_from_none(
    dev_server_env, dev_parties, store: RecordStore
):
    """A message that starts the party's workflow while an erasure holds its file: the run
    waits to read the file (activities.records: FileOnHold, retried), so it never starts from
    the file about to go; once the erasure removes the file and its hold, the run starts from
    no file and the new incident is on a new one. On the dev server: the run's reads are
    retried as activities, whose back-off would move the time-skipping server's clock on."""
    party = new_party()
    now = datetime.now(UTC)
    erased = incident(party, now - timedelta(days=400))
    store.apply(
        EffectBatch(
            party_id=party.party_id,
            effects=[
                PartySaved(party=party, stage=Stage.NONE, at=erased.occurred_at),
                IncidentRecorded(report=erased, received_at=erased.occurred_at),
            ],
        )
    )
    store.hold_file(party.party_id, "erase-test-1", now)
    assert store.file_on_hold(party.party_id)
    new = incident(party, now - timedelta(hours=1))
    await dev_parties.send_incident(new)
    await asyncio.sleep(3)
    assert [i.incident_id for i in store.incidents(party.party_id)] == [erased.incident_id]  # it waits

    assert store.erase_party_file(party.party_id) == {"incident": 1, "party": 1, "event": 1}
    assert not store.file_on_hold(party.party_id)
    status = await wait_for_status(dev_parties, party.party_id, lambda s: s.incident_count >= 1, timeout=90)
    assert status.incident_count == 1 and status.recent_incident_ids == [new.incident_id]
    deadline = asyncio.get_running_loop().time() + 30
    while [i.incident_id for i in store.incidents(party.party_id)] != [new.incident_id]:
        assert asyncio.get_running_loop().time() < deadline, store.incidents(party.party_id)
        await asyncio.sleep(0.2)


def test_r3_a_refused_erasure_releases_the_file(record_store: RecordStore):
    at = datetime(2026, 12, 7, 9, tzinfo=UTC)
    record_store.hold_file("p-1", "erase-1", at)
    record_store.hold_file("p-1", "erase-1", at)  # again (a retried activity): one hold
    assert record_store.file_on_hold("p-1") and not record_store.file_on_hold("p-2")
    record_store.release_file("p-1")
    assert not record_store.file_on_hold("p-1")
