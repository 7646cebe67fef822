"""The party's file (R3): effects written idempotently, and the state rebuilt from it;
every read of it logged, without its content.

Runs against a real SQLite file and, when reachable, PostgreSQL.
"""

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.database import DATABASE_ERROR
from activities.records import RecordActivities
from client.parties import PartyClient
from policy import rules
from policy.effects import Effect, EffectBatch, IncidentRecorded, PartySaved
from policy.fields import Door
from policy.messages import (
    AskRecord,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    WarningIssue,
)
from policy.payloads import LoadPartyInput
from policy.permissions import NotPermitted
from policy.replies import PartyStatus
from policy.state import PartyState, Rejection
from policy.vocabulary import (
    Category,
    Measure,
    PartyKind,
    RestrictionStatus,
    Role,
    Stage,
    TaskKind,
    TaskStatus,
    WarningStatus,
)
from records.db import make_engine
from records.party_state import REJECTIONS_IN_STATE
from records.store import RecordStore
from services.acting import Principal, PrincipalKind
from services.contacts import party_status
from services.letters import LetterPart, letter_document, letter_info, party_letters
from services.timeline import party_timeline
from tests.party_file import SUMMARY, write_party_file

TZ = "Europe/London"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


class PartyFile:
    """One party's state kept by the rules, with every effect written to the store."""

    def __init__(self, store: RecordStore, party: PartyRef) -> None:
        self.store = store
        self.state = PartyState(party=party, timezone=TZ)
        self.batches: list[EffectBatch] = []

    @property
    def party_id(self) -> str:
        return self.state.party.party_id

    def write(self, effects: list[Effect]) -> None:
        batch = EffectBatch(party_id=self.party_id, effects=effects)
        self.batches.append(batch)
        assert self.store.apply(batch) == len(effects)

    def incident(
        self,
        incident_id: str,
        at: datetime,
        category: Category = Category.AGGRESSIVE_OR_ABUSIVE,
        code: str = "verbal_abuse",
    ) -> IncidentReport:
        report = IncidentReport(
            incident_id=incident_id,
            party=self.state.party,
            category=category,
            behaviour_code=code,
            occurred_at=at,
            reported_by="staff-1",
            channel="phone",
            case_reference="CASE-1",
            summary=f"incident {incident_id}",
        )
        rules.check_incident(self.state, report, at)
        _, effects = rules.apply_incident(self.state, report, at)
        self.write(effects)
        return report

    def ask(self, ask_id: str, incident_ids: list[str], at: datetime, now: datetime | None = None) -> None:
        ask = AskRecord(
            ask_id=ask_id, party_id=self.party_id, incident_ids=incident_ids, asked_at=at, asked_by="staff-2"
        )
        rules.check_ask(self.state, ask, now or at)
        self.write(rules.apply_ask(self.state, ask, now or at))

    def warn(self, warning_id: str, incident_ids: list[str], at: datetime) -> None:
        warning = WarningIssue(
            warning_id=warning_id,
            party_id=self.party_id,
            incident_ids=incident_ids,
            communicated_at=at,
            issued_by="manager-1",
            reasons="repeated after being asked to stop",
        )
        rules.check_warning(self.state, warning, at)
        self.write(rules.apply_warning(self.state, warning, at))

    def restrict(self, restriction_id: str, incident_ids: list[str], measures: list[Measure], at: datetime) -> None:
        request = RestrictionRequest(
            restriction_id=restriction_id,
            party_id=self.party_id,
            incident_ids=incident_ids,
            measures=measures,
            proposed_by="manager-1",
            reasons="repeated during a warning",
            contact_arrangements="one named caseworker, by email",
            decided_at=at,
        )
        rules.check_restriction(self.state, request, at)
        self.write(rules.apply_restriction(self.state, request, at))

    def pass_time(self, now: datetime) -> None:
        self.write(rules.advance_time(self.state, now))

    def reject(self, at: datetime, message_id: str | None, reason: str = "not valid JSON") -> None:
        rejection = Rejection(
            received_at=at, message="report_incident", message_id=message_id, reason=reason, payload="{oops"
        )
        self.write(rules.record_rejection(self.state, rejection))

    def rebuilt(self) -> PartyState | None:
        return self.store.load_party_state(self.state.party, TZ)


def individual(party_id: str = "P-1") -> PartyRef:
    return PartyRef(party_id=party_id)


def test_same_batch_twice_records_once(record_store: RecordStore) -> None:
    """R3: a retried write (the same batch again) records every entry once."""
    file = PartyFile(record_store, individual())
    file.incident("i-1", day(0))
    file.ask("a-1", ["i-1"], day(1))
    file.incident("i-2", day(2))
    file.warn("w-1", ["i-2"], day(3))
    file.reject(day(3), "i-x")
    for batch in file.batches:
        record_store.apply(batch)

    assert [i.incident_id for i in record_store.incidents("P-1")] == ["i-1", "i-2"]
    assert len(record_store.asks("P-1")) == 1
    assert len(record_store.warnings("P-1")) == 1
    assert len(record_store.rejections("P-1")) == 1
    assert len(record_store.stage_changes("P-1")) == file.state.stage_change_count == 2
    assert file.rebuilt().model_dump() == file.state.model_dump()


def test_resent_incident_is_recorded_once_as_first_received(record_store: RecordStore) -> None:
    """R3: an incident re-sent in a later batch (e.g. after continue-as-new) keeps its first record."""
    file = PartyFile(record_store, individual())
    report = file.incident("i-1", day(0))
    resent = EffectBatch(
        party_id="P-1",
        effects=[IncidentRecorded(report=report.model_copy(update={"summary": "changed"}), received_at=day(5))],
    )
    record_store.apply(resent)

    [row] = record_store.incidents("P-1")
    assert (row.summary, row.received_at) == ("incident i-1", day(0))


def test_rebuilt_state_equals_the_workflows_state(record_store: RecordStore) -> None:
    """R3-R6, R12, R13, R15: ask, warn, restrict, extend, expire; the file rebuilds the exact state."""
    file = PartyFile(record_store, individual())
    file.incident("i-1", day(0))
    file.ask("a-1", ["i-1"], day(1))
    file.incident("i-2", day(10))
    file.warn("w-1", ["i-2"], day(11))
    file.incident("i-3", day(20))  # a repeat while warned
    file.restrict("r-1", ["i-3"], [Measure.SINGLE_NAMED_CONTACT, Measure.SINGLE_CONTACT_CHANNEL], day(21))
    file.incident("i-4", day(40))  # R12: extends r-1
    file.incident("i-5", day(41), Category.UNACCEPTABLE_CONTACT_LEVELS, "excessive_contact")
    file.reject(day(42), None)
    assert file.rebuilt().model_dump() == file.state.model_dump()

    file.pass_time(day(300))  # warning and restriction over; recurrence window open
    assert file.state.stage == Stage.RECURRENCE_WINDOW
    assert file.rebuilt().model_dump() == file.state.model_dump()

    file.incident("i-6", day(301), Category.ZERO_TOLERANCE, "threat_of_harm")  # R15
    file.pass_time(day(600))
    state = file.state
    assert state.warnings[0].status == WarningStatus.EXPIRED
    assert [r.status for r in state.restrictions] == [RestrictionStatus.EXPIRED, RestrictionStatus.EXPIRED]
    # (Colleague-support follow-ups (R18) and restriction reviews are tasks too.)
    assert [t.kind for t in state.tasks if t.kind == TaskKind.ZERO_TOLERANCE_REVIEW] == [TaskKind.ZERO_TOLERANCE_REVIEW]
    rebuilt = file.rebuilt()
    assert rebuilt is not None
    assert rebuilt.model_dump() == state.model_dump()

    # The rules read the rebuilt state as they read their own.
    assert rules.stage_of(rebuilt, day(600)) == rules.stage_of(state, day(600))
    assert rules.deadlines(rebuilt) == rules.deadlines(state)
    [r1, zt] = record_store.restrictions("P-1")
    assert r1.measures == ["single_named_contact", "single_contact_channel"]
    assert r1.ends_at == state.restrictions[0].ends_at
    assert zt.grounds == "zero_tolerance"
    assert [(c.from_stage, c.to_stage) for c in record_store.stage_changes("P-1")][:4] == [
        ("none", "asked"),
        ("asked", "warned"),
        ("warned", "restricted"),
        ("restricted", "recurrence_window"),
    ]


def test_parties_files_are_kept_apart(record_store: RecordStore) -> None:
    """R3, R7: an organisation's restriction awaits approval; another party's file is not mixed in."""
    person = PartyFile(record_store, individual("P-1"))
    person.incident("i-1", day(0))
    organisation = PartyFile(
        record_store, PartyRef(party_id="ORG-1", kind=PartyKind.ORGANISATION, professional_capacity=True)
    )
    organisation.incident("o-1", day(0), Category.REFUSING_TO_COOPERATE, "withholding_information")
    organisation.ask("o-a", ["o-1"], day(1))
    organisation.incident("o-2", day(2), Category.REFUSING_TO_COOPERATE, "late_responses")
    organisation.warn("o-w", ["o-2"], day(3))
    organisation.incident("o-3", day(4), Category.REFUSING_TO_COOPERATE, "late_responses")
    organisation.restrict("o-r", ["o-3"], [Measure.RESTRICT_TIME_OR_VOLUME], day(5))

    assert organisation.rebuilt().model_dump() == organisation.state.model_dump()
    assert person.rebuilt().model_dump() == person.state.model_dump()
    [task] = [t for t in record_store.tasks(status=TaskStatus.OPEN) if t.kind == TaskKind.RESTRICTION_APPROVAL]
    assert (task.party_id, task.kind, task.subject_id) == ("ORG-1", "restriction_approval", "o-r")
    assert record_store.task(task.task_id) == task
    assert all(
        t.party_id == "P-1" and t.kind != TaskKind.RESTRICTION_APPROVAL for t in record_store.tasks(party_id="P-1")
    )
    assert record_store.party("ORG-1").kind == "organisation"


def test_entries_keep_the_order_they_were_made_in(record_store: RecordStore) -> None:
    """R3, R4: a backdated ask stays second, as in the workflow's state."""
    file = PartyFile(record_store, individual())
    file.incident("i-1", day(0))
    file.incident("i-2", day(1), Category.UNACCEPTABLE_DEMANDS, "unreasonable_timescales")
    file.ask("a-late", ["i-2"], day(3))
    file.ask("a-backdated", ["i-1"], day(2), now=day(3))

    assert [a.ask_id for a in file.rebuilt().asks] == ["a-late", "a-backdated"]
    assert file.rebuilt().model_dump() == file.state.model_dump()


def test_latest_save_wins_within_and_across_batches(record_store: RecordStore) -> None:
    """R12: a restriction saved several times keeps its latest end and its first position."""
    file = PartyFile(record_store, individual())
    file.incident("i-1", day(0))
    file.ask("a-1", ["i-1"], day(0))
    file.incident("i-2", day(1))
    file.warn("w-1", ["i-2"], day(1))
    file.incident("i-3", day(2))
    file.restrict("r-1", ["i-3"], [Measure.TIME_OUT], day(2))
    first_end = file.state.restrictions[0].ends_at
    assert first_end is not None
    file.incident("i-4", day(30))
    file.incident("i-5", day(60))

    [row] = record_store.restrictions("P-1")
    ends_at = file.state.restrictions[0].ends_at
    assert ends_at is not None
    assert row.ends_at == ends_at > first_end
    assert row.last_instance_at == day(60)
    assert file.rebuilt().model_dump() == file.state.model_dump()


def test_datetimes_come_back_aware_utc(record_store: RecordStore) -> None:
    """R3: every stored instant comes back timezone-aware in UTC, whatever offset it was sent with."""
    file = PartyFile(record_store, individual())
    paris = timezone(timedelta(hours=2))
    file.incident("i-1", datetime(2025, 6, 1, 12, 30, 15, 123456, tzinfo=paris))
    file.ask("a-1", ["i-1"], datetime(2025, 6, 2, 9, 0, tzinfo=paris))

    [incident] = record_store.incidents("P-1")
    assert incident.occurred_at == datetime(2025, 6, 1, 10, 30, 15, 123456, tzinfo=UTC)
    [ask] = record_store.asks("P-1")
    party = record_store.party("P-1")
    [change] = record_store.stage_changes("P-1")
    for value in (incident.occurred_at, incident.received_at, ask.asked_at, party.created_at, change.at):
        assert value.tzinfo is UTC
    rebuilt = file.rebuilt()
    assert rebuilt.incidents["i-1"].occurred_at.tzinfo is UTC
    assert rebuilt.model_dump() == file.state.model_dump()


def test_six_months_from_31_august_survives_the_round_trip(record_store: RecordStore) -> None:
    """R5: a warning communicated on 31 August expires on the last day of February, exactly."""
    file = PartyFile(record_store, individual())
    communicated = datetime(2025, 8, 31, 9, 0, tzinfo=UTC)  # 10:00 in London (BST)
    file.incident("i-1", communicated - timedelta(days=2))
    file.ask("a-1", ["i-1"], communicated - timedelta(days=1))
    file.incident("i-2", communicated - timedelta(hours=1))
    file.warn("w-1", ["i-2"], communicated)

    expected = datetime(2026, 2, 28, 10, 0, tzinfo=UTC)  # 10:00 in London (GMT)
    [row] = record_store.warnings("P-1")
    assert row.expires_at == expected
    assert file.rebuilt().warnings[0].expires_at == expected


def test_rejections_are_stored_and_the_latest_kept_in_state(record_store: RecordStore) -> None:
    """R3: a rejected message is on file (once, even without a message id); the state keeps the latest 50."""
    file = PartyFile(record_store, individual())
    file.reject(day(0), None, "first")
    for batch in file.batches:
        record_store.apply(batch)
    [row] = record_store.rejections("P-1")
    assert (row.message, row.message_id, row.reason, row.payload) == ("report_incident", None, "first", "{oops")
    assert row.received_at == day(0)
    # A file of rejections only does not make a party.
    assert file.rebuilt() is None

    record_store.apply(
        EffectBatch(party_id="P-1", effects=[PartySaved(party=individual(), stage=Stage.NONE, at=day(0))])
    )
    for n in range(60):
        file.reject(day(1), f"m-{n}")  # one workflow instant: order is the order received
    assert len(record_store.rejections("P-1")) == 61
    rebuilt = file.rebuilt()
    assert len(rebuilt.rejections) == REJECTIONS_IN_STATE
    assert rebuilt.model_dump() == file.state.model_dump()


def test_racing_batches_are_all_recorded(record_store: RecordStore) -> None:
    """R3: batches written at once from several threads are all recorded, once."""
    party = individual()
    batches = [
        EffectBatch(
            party_id="P-1",
            effects=[
                PartySaved(party=party, stage=Stage.NONE, at=day(n)),
                *[
                    IncidentRecorded(
                        report=IncidentReport(
                            incident_id=f"i-{n}-{k}",
                            party=party,
                            category=Category.UNACCEPTABLE_DEMANDS,
                            behaviour_code="other",
                            occurred_at=day(n),
                            reported_by="staff-1",
                        ),
                        received_at=day(n),
                    )
                    for k in range(50)
                ],
            ],
        )
        for n in range(8)
    ]
    errors: list[BaseException] = []

    def write(batch: EffectBatch) -> None:
        try:
            record_store.apply(batch)
            record_store.apply(batch)
        except BaseException as err:  # reported below, from the test's thread
            errors.append(err)

    threads = [threading.Thread(target=write, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(record_store.incidents("P-1")) == 400
    assert record_store.load_party_state(party, TZ).incident_count == 400


def test_no_file_means_no_state(record_store: RecordStore) -> None:
    """R3: a party never written has no file, and the workflow starts afresh."""
    assert record_store.load_party_state(individual("P-nobody"), TZ) is None
    assert record_store.party("P-nobody") is None


def test_activities_write_and_load(record_store: RecordStore) -> None:
    """R3: the activities write a batch and read the state back."""
    file = PartyFile(record_store, individual())
    file.incident("i-1", day(0))
    activities = RecordActivities(record_store)
    env = ActivityEnvironment()

    assert env.run(activities.write_effects, file.batches[0]) == len(file.batches[0].effects)
    loaded = env.run(activities.load_party_state, LoadPartyInput(party=individual(), timezone=TZ))
    assert loaded.model_dump() == file.state.model_dump()


def test_database_errors_are_retryable(tmp_path) -> None:
    """R3: a database that is not there fails the activity retryably; the workflow tries again."""
    engine = make_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # no schema created
    activities = RecordActivities(RecordStore(engine))
    batch = EffectBatch(party_id="P-1", effects=[PartySaved(party=individual(), stage=Stage.NONE, at=T0)])
    for run in (
        lambda: ActivityEnvironment().run(activities.write_effects, batch),
        lambda: ActivityEnvironment().run(activities.load_party_state, LoadPartyInput(party=individual(), timezone=TZ)),
    ):
        with pytest.raises(ApplicationError) as raised:
            run()
        assert raised.value.type == DATABASE_ERROR
        assert not raised.value.non_retryable
    engine.dispose()


MANAGER = Principal(id="manager-1", kind=PrincipalKind.PERSON, roles=frozenset({Role.MANAGER}))
CASE_SYSTEM = Principal(
    id="case-system", kind=PrincipalKind.SYSTEM, roles=frozenset({Role.CASE_SYSTEM}), acts_for=frozenset({"*"})
)
OPERATIONS = Principal(id="ops-1", kind=PrincipalKind.PERSON, roles=frozenset({Role.OPERATIONS}))


class StatusFromFile:
    """The party's status query, answered from its file: no Temporal needed to read it."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    async def status(self, party_id: str) -> PartyStatus:
        state = self.store.load_party_state(individual(party_id), TZ)
        assert state is not None
        return rules.status_of(state, datetime.now(UTC))


async def test_every_read_of_a_partys_file_is_logged_without_its_content(store, settings) -> None:
    """Status, timeline, the letter list and a letter's metadata: who, what, which door, when;
    a download goes to the letter's own log. Never what was read."""
    on_file = write_party_file(store, settings)
    pid, before = on_file.party_id, datetime.now(UTC)
    parties = cast(PartyClient, StatusFromFile(store))

    await party_status(parties, store, pid, CASE_SYSTEM, Door.API)
    assert party_timeline(store, pid, TZ, MANAGER, Door.INBOX) is not None
    party_letters(store, pid, CASE_SYSTEM, Door.API)
    letter_info(store, "letter:warning:w1", MANAGER, Door.INBOX)
    letter_document(store, "letter:warning:w1", LetterPart.PDF, MANAGER, Door.INBOX)

    reads = store.file_reads(pid)
    assert [(r.staff_id, r.via, r.what, r.door) for r in reads] == [
        ("case-system", None, "status", "api"),
        ("manager-1", None, "timeline page 1", "inbox"),
        ("case-system", None, "letters", "api"),
        ("manager-1", None, "letter letter:warning:w1", "inbox"),
    ]
    assert all(before <= r.at <= datetime.now(UTC) for r in reads)
    assert [(r.staff_id, r.part, r.door) for r in store.letter_reads("letter:warning:w1")] == [
        ("manager-1", "pdf", "inbox")
    ]
    with store.engine.connect() as connection:
        logged = " ".join(str(row) for row in connection.exec_driver_sql("SELECT * FROM file_read"))
    letter = store.letter("letter:warning:w1")
    assert SUMMARY not in logged and letter is not None and letter.content_hash not in logged
    assert "Abuse continued" not in logged and "staff-1" not in logged


async def test_a_read_refused_by_the_permission_table_reads_and_logs_nothing(store, settings) -> None:
    """Operations reads no party's file; a case system reads status and letters, never the timeline."""
    pid = write_party_file(store, settings).party_id
    refused = [
        lambda: party_timeline(store, pid, TZ, OPERATIONS, Door.INBOX),
        lambda: party_timeline(store, pid, TZ, CASE_SYSTEM, Door.API),
        lambda: party_letters(store, pid, OPERATIONS, Door.API),
        lambda: letter_document(store, "letter:warning:w1", LetterPart.HTML, OPERATIONS, Door.INBOX),
    ]
    for read in refused:
        with pytest.raises(NotPermitted):
            read()
    with pytest.raises(NotPermitted, match=r"^R3: ops-1 may not read status"):
        await party_status(cast(PartyClient, StatusFromFile(store)), store, pid, OPERATIONS, Door.API)
    assert store.file_reads(pid) == [] and store.letter_reads("letter:warning:w1") == []


def test_r3_a_read_is_not_activity_and_the_log_goes_with_the_file(store, settings) -> None:
    """R3: reading a file does not put off its retention (`file_read` is not activity), and
    erasing the file takes the log of who read it."""
    pid = write_party_file(store, settings).party_id
    last = store.last_activity(pid)
    store.record_read(pid, "manager-1", None, "status", "api", datetime.now(UTC))
    assert last is not None and store.last_activity(pid) == last
    assert store.erase_party_file(pid)["file_read"] == 1
    assert store.file_reads(pid) == []
