"""Upgrades and rollbacks (issue 23): parties live for years across many deploys.

The previous release (tests/releases.json, installed from its commit by tests.releases)
runs its own worker in a process of its own, from its own tree. An upgrade: parties
started on it carry on under HEAD's worker after the records database is upgraded:
timers it set fire, tasks it opened are decided, a repeat moves a restriction's end
(R12), and nothing sent is lost. A rollback: a party that HEAD's worker continued as new
carries on under the previous release's worker, after `ubp db downgrade` to its schema.
"""

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ValidationError
from temporalio.testing import WorkflowEnvironment

from policy.effects import Acted
from policy.fields import CARRIED, Authority, Door
from policy.messages import IncidentReport, TaskDecision
from policy.payloads import PartyWorkflowInput
from policy.vocabulary import RestrictionStatus, Role, Stage, SupportOption, TaskOutcome, TaskStatus, WarningStatus
from records.db import make_engine
from records.schema import database_revision, downgrade_schema, upgrade_schema
from records.store import RecordStore
from settings import Settings
from tests import worker_process
from tests.conftest import TrackingPartyClient
from tests.faults import recorded_ids, stop_process
from tests.helpers import LONDON, ask, incident, new_party, restriction, wait_for_status, warning
from tests.policy_builders import Party as PolicyParty
from tests.policy_builders import incident as policy_incident
from tests.releases import PROJECT_ROOT, Release, install, previous_release
from worker import build_worker


def six_months_local(at: datetime) -> datetime:
    return at.astimezone(LONDON) + relativedelta(months=6)


@pytest.fixture(scope="module")
def previous() -> Release:
    """The latest release, installed under var/releases (kept between runs)."""
    tag = previous_release()
    if tag is None:
        pytest.skip("no release has been cut yet (tests/releases.json)")
    return install(tag, PROJECT_ROOT / "var" / "releases")


def _worker_env(settings: Settings) -> dict[str, str]:
    """What the previous release's worker needs from this test's settings: the keys."""
    assert settings.encryption_keys is not None
    return {
        "UBP_ENCRYPTION_KEYS": settings.encryption_keys.get_secret_value(),
        "UBP_DOOR_KEY_FILE": str(settings.door_key_file),
    }


def _at_schema_of(release: Release, database_url: str) -> None:
    """The records database at `release`'s schema, taken down by HEAD's migrations (as a
    rollback does; the test's database starts at HEAD's)."""
    engine = make_engine(database_url)
    try:
        if database_revision(engine) != release.schema_head():
            downgrade_schema(engine, release.schema_head())
    finally:
        engine.dispose()


def _upgraded(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()


def _address(env: WorkflowEnvironment) -> str:
    return env.client.service_client.config.target_host


@pytest.fixture
def released_worker() -> Iterator[list]:
    """Processes of the previous release's worker the test started, stopped at the end."""
    processes: list = []
    yield processes
    for process in processes:
        stop_process(process)


async def test_parties_started_on_the_previous_release_carry_on_under_head(
    time_skipping_env: WorkflowEnvironment,
    settings: Settings,
    door_keys,
    store: RecordStore,
    previous: Release,
    released_worker: list,
    tmp_path: Path,
):
    env = time_skipping_env
    parties = TrackingPartyClient(env.client, settings.task_queue, settings.timezone, door=door_keys)
    restricted, supported, warned = new_party(), new_party(), new_party()
    sent: dict[str, set[str]] = {restricted.party_id: set(), supported.party_id: set(), warned.party_id: set()}

    async def report(party, at):
        report = incident(party, at)
        await parties.report_incident(report)
        sent[party.party_id].add(report.incident_id)
        return report

    _at_schema_of(previous, settings.database_url)
    old = worker_process.start(
        _address(env),
        settings.database_url,
        settings.task_queue,
        tmp_path / "previous-worker.log",
        release=previous,
        # No cache, so no sticky queue: the time-skipping server sends a party's next workflow
        # task and queries to the sticky queue of a worker that has gone, for ever.
        env=_worker_env(settings) | {"UBP_MAX_CACHED_WORKFLOWS": "0"},
    )
    released_worker.append(old)
    try:
        # On the previous release: a party restricted (R6), one with a colleague-support task
        # open (R18), one warned (R5) whose warning's expiry timer is set.
        now = await env.get_current_time()
        first = await report(restricted, now - timedelta(days=3))
        await parties.record_ask(ask(restricted, [first.incident_id], now - timedelta(days=3)))
        second = await report(restricted, now - timedelta(days=2))
        await parties.issue_warning(warning(restricted, [second.incident_id], now - timedelta(days=2)))
        repeat = await report(restricted, now - timedelta(days=1))
        applied = await parties.apply_restriction(restriction(restricted, [repeat.incident_id], repeat.occurred_at))
        r1 = applied.restriction
        assert r1.status == RestrictionStatus.IN_FORCE

        support = await report(supported, now - timedelta(days=1))
        w_first = await report(warned, now - timedelta(days=5))
        await parties.record_ask(ask(warned, [w_first.incident_id], now - timedelta(days=5)))
        w_second = await report(warned, now - timedelta(days=4))
        given = await parties.issue_warning(warning(warned, [w_second.incident_id], now - timedelta(days=4)))
        warning_expires = given.warning.expires_at
        assert (await parties.status(warned.party_id)).stage == Stage.WARNED

        # The deploy: the previous release's worker stops, the records database is upgraded,
        # HEAD's worker takes the task queue.
        stop_process(old)
        _upgraded(settings.database_url)
        async with build_worker(env.client, settings):
            await env.sleep(timedelta(days=30))
            # R12: a repeat moves the restriction's end to six months after it.
            later = incident(restricted, await env.get_current_time())
            outcome = await parties.report_incident(later)
            sent[restricted.party_id].add(later.incident_id)
            assert outcome.restrictions_extended == {r1.restriction_id: six_months_local(later.occurred_at)}
            moved_end = outcome.restrictions_extended[r1.restriction_id]

            # R18: the task the previous release opened is decided under HEAD.
            decided = await parties.decide_task(
                TaskDecision(
                    decision_id="support-after-upgrade",
                    party_id=supported.party_id,
                    task_id=f"support-{support.incident_id}",
                    decided_by="manager-1",
                    role=Role.MANAGER,
                    outcome=TaskOutcome.SUPPORT_RECORDED,
                    support_offered=[SupportOption.MENTAL_HEALTH_FIRST_AIDER],
                    decided_at=await env.get_current_time(),
                )
            )
            assert decided.task.status == TaskStatus.DONE

            # Timers: the warning's expiry, set by the previous release; the moved end, by HEAD.
            await env.sleep(moved_end - await env.get_current_time() + timedelta(days=1))
            status = await wait_for_status(
                parties, warned.party_id, lambda s: s.warnings[0].status != WarningStatus.LIVE
            )
            assert status.warnings[0].status == WarningStatus.EXPIRED
            assert status.warnings[0].expires_at == warning_expires
            status = await wait_for_status(parties, restricted.party_id, lambda s: s.stage == Stage.RECURRENCE_WINDOW)
            [expired] = status.restrictions
            assert expired.status == RestrictionStatus.EXPIRED and expired.ended_at == moved_end

            # Nothing sent is lost, nothing recorded twice.
            for party_id, incident_ids in sent.items():
                assert recorded_ids(store, party_id) == sorted(incident_ids), party_id
                assert (await parties.status(party_id)).incident_count == len(incident_ids)
    finally:
        await parties.terminate_all()


async def test_a_party_continued_as_new_by_head_carries_on_on_the_previous_release(
    dev_server_env: WorkflowEnvironment,
    settings: Settings,
    door_keys,
    store: RecordStore,
    previous: Release,
    released_worker: list,
    tmp_path: Path,
):
    env = dev_server_env
    parties = TrackingPartyClient(env.client, settings.task_queue, settings.timezone, door=door_keys)
    party = new_party()
    sent: set[str] = set()
    now = await env.get_current_time()
    try:
        async with build_worker(env.client, settings):
            first_run = None
            for n in range(200):
                report = incident(party, now - timedelta(days=2, minutes=-n))
                await parties.report_incident(report)
                sent.add(report.incident_id)
                run_id = (await parties.handle(party.party_id).describe()).run_id
                first_run = first_run or run_id
                if run_id != first_run:
                    break
            assert run_id != first_run, "HEAD's worker never continued the party as new"
        # The rollback: HEAD's workers stop, the database goes back to the previous release's
        # schema (by HEAD's migrations), and the previous release's workers start.
        _at_schema_of(previous, settings.database_url)
        released_worker.append(
            worker_process.start(
                _address(env),
                settings.database_url,
                settings.task_queue,
                tmp_path / "previous-worker.log",
                release=previous,
                env=_worker_env(settings),
            )
        )
        after = incident(party, now - timedelta(days=1))
        outcome = await asyncio.wait_for(parties.report_incident(after), timeout=60)
        sent.add(after.incident_id)
        assert not outcome.duplicate
        status = await parties.status(party.party_id)
        assert status.incident_count == len(sent) and not status.rejections
        assert recorded_ids(store, party.party_id) == sorted(sent)
    finally:
        await parties.terminate_all()


def _with_unknown_fields(value: object, dumped: object) -> object:
    """`value`'s JSON (`dumped`) with a field no release knows added to every model in it, as
    a later release that added fields everywhere would have written it."""
    if isinstance(value, BaseModel):
        assert isinstance(dumped, dict)
        fields = {key: _with_unknown_fields(getattr(value, key), item) for key, item in dumped.items()}
        return fields | {"added_by_a_later_release": "x"}
    if isinstance(value, list | tuple):
        assert isinstance(dumped, list)
        return [_with_unknown_fields(v, d) for v, d in zip(value, dumped, strict=True)]
    if isinstance(value, dict):
        assert isinstance(dumped, dict)
        return {key: _with_unknown_fields(value[key], item) for key, item in dumped.items()}
    return dumped


def test_a_rollback_reads_a_later_releases_carried_state_dropping_what_it_added():
    """What a party's workflow carries across continue-as-new (its state, unwritten effects and
    letters) is read by an earlier release with the fields a later one added dropped, not refused;
    the same fields in a message from outside are still refused (policy.fields.Closed)."""
    party = PolicyParty()
    now = datetime(2026, 7, 1, 10, tzinfo=UTC)
    report = policy_incident("i-1", now - timedelta(days=1), party=party.state.party)
    _, effects = party.incident(report, now)
    authority = Authority(
        actor="colleague-1", role=Role.COLLEAGUE, door=Door.API, sealed_at=now, key_id="k-1", signature="c2ln"
    )
    effects.append(Acted(party_id=party.state.party.party_id, message_kind="incident", message_id="i-1",
                         authority=authority, at=now))  # fmt: skip
    carried = PartyWorkflowInput(party=party.state.party, state=party.state, unwritten=effects)
    later = json.dumps(_with_unknown_fields(carried, carried.model_dump(mode="json")))

    assert PartyWorkflowInput.model_validate_json(later, context=CARRIED) == carried
    with pytest.raises(ValidationError, match="added_by_a_later_release"):
        PartyWorkflowInput.model_validate_json(later)
    with pytest.raises(ValidationError, match="added_by_a_later_release"):
        IncidentReport.model_validate({**report.model_dump(mode="json"), "added_by_a_later_release": "x"})
