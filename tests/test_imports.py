"""Bulk import (`ubp import`): parties adopted with their history, as the policy would
have made it (R3, R5, R7, R12, R13, R14, R17, R18)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.service import RPCError, RPCStatusCode

from policy.effects import EffectBatch, NoticeQueued, TaskSaved
from policy.imports import PartyImportRefused, replay_party
from policy.vocabulary import (
    Category,
    NoticeKind,
    PartyKind,
    RestrictionStatus,
    Role,
    Stage,
    TaskKind,
    TaskStatus,
    WarningStatus,
)
from records.tables import ImportedPartyRow
from services.imports import LineStatus, import_parties, read_lines
from settings import get_settings
from tests.helpers import wait_for_status
from tests.import_lines import incident_line, restriction_line, warning_line
from tests.test_contacts import cli  # noqa: F401  (the `ubp` fixture on the time-skipping server)

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)


def _history(pid: str, start: datetime, **party: Any) -> list[dict]:
    """Incident, warning, repeat, restriction: ten days from `start`."""
    return [
        incident_line(pid, 1, start, **party),
        warning_line(pid, 1, start + timedelta(days=1)),
        incident_line(pid, 2, start + timedelta(days=9), **party),
        restriction_line(pid, 2, start + timedelta(days=10)),
    ]


def _replay(lines: list[dict], now: datetime = NOW):
    grouped, orphans = read_lines(json.dumps(line) for line in lines)
    assert not orphans and len(grouped) == 1
    [party] = grouped.values()
    assert not party.invalid, party.invalid
    return replay_party(party.lines, now, "Europe/London", party.party_id)


# --- the replay, pure ---------------------------------------------------------------------------


def test_import_r12_r18_a_live_restriction_is_live_and_nothing_decided_is_asked_again():
    """R12: in force, ending six months after the last instance; R18: the old system's
    colleague support is not asked again; no notice for any of it."""
    start = NOW - timedelta(days=40)
    got = _replay(_history("p-live", start))
    state = got.state
    assert got.live and state.stage == Stage.RESTRICTED
    [r] = state.restrictions
    assert r.status == RestrictionStatus.IN_FORCE and r.starts_at == start + timedelta(days=10)
    # Six calendar months after the repeat (1 May 2027, 13:00 BST): 1 November, 13:00 GMT.
    assert r.ends_at == datetime(2027, 11, 1, 13, tzinfo=UTC)
    assert r.terms[0].measure == "single_contact_channel"
    assert state.tasks == []
    assert not any(isinstance(e, NoticeQueued | TaskSaved) for e in got.effects)
    [w] = state.warnings
    assert w.communicated_at == start + timedelta(days=1)  # original dates kept


def test_import_r5_r12_r13_what_expired_long_ago_is_expired_and_the_party_dormant():
    start = NOW - timedelta(days=3 * 365)
    got = _replay(_history("p-old", start))
    state = got.state
    assert not got.live and state.stage == Stage.NONE
    assert [w.status for w in state.warnings] == [WarningStatus.EXPIRED]
    [r] = state.restrictions
    assert r.status == RestrictionStatus.EXPIRED and r.recurrence_window_closed
    assert r.ended_at == r.ends_at and r.recurrence_window_ends_at < NOW


def test_import_r12_a_review_due_now_is_opened_as_of_the_import():
    """The review before a restriction ends (14 days before) is still to be decided: it opens at the import."""
    start = NOW - timedelta(days=180)
    got = _replay(_history("p-review", start))
    [review] = got.state.tasks
    assert review.kind == TaskKind.RESTRICTION_REVIEW and review.status == TaskStatus.OPEN
    assert review.created_at == NOW
    assert [e.notice for e in got.effects if isinstance(e, NoticeQueued)] == [NoticeKind.TASK_OPENED]


def test_import_r7_an_approval_is_recorded_with_its_date_and_an_alternates_too():
    start = NOW - timedelta(days=40)
    lines = _history("p-org", start, kind="organisation")
    approval = {
        "record": "approval",
        "party_id": "p-org",
        "restriction_id": "p-org-r2",
        "outcome": "approve",
        "decided_by": "ado-1",
        "role": "assistant_deputy_ombudsman",
        "decided_at": (start + timedelta(days=12)).isoformat(),
    }
    got = _replay([*lines, approval])
    [r] = got.state.restrictions
    assert r.status == RestrictionStatus.IN_FORCE and r.starts_at == start + timedelta(days=12)
    [task] = got.state.tasks
    assert task.kind == TaskKind.RESTRICTION_APPROVAL and task.status == TaskStatus.DONE
    assert task.escalated_at is not None and task.decisions[0].role == Role.ASSISTANT_DEPUTY_OMBUDSMAN
    assert not any(isinstance(e, NoticeQueued) for e in got.effects)


def test_import_r7_an_undecided_approval_is_opened_as_of_the_import():
    got = _replay(_history("p-org2", NOW - timedelta(days=40), kind="organisation"))
    [task] = got.state.tasks
    assert task.kind == TaskKind.RESTRICTION_APPROVAL and task.status == TaskStatus.OPEN
    assert task.created_at == NOW and got.live
    assert got.state.restrictions[0].status == RestrictionStatus.AWAITING_APPROVAL


def test_import_r15_a_zero_tolerance_stop_in_force_keeps_its_review():
    at = NOW - timedelta(days=5)
    got = _replay([incident_line("p-zt", 1, at, "zero_tolerance")])
    assert got.state.stage == Stage.ZERO_TOLERANCE
    assert [t.kind for t in got.state.tasks] == [TaskKind.ZERO_TOLERANCE_REVIEW]


def test_import_r14_the_policy_refuses_the_party_at_the_line():
    lines = [incident_line("p-bad", 1, NOW - timedelta(days=9)), restriction_line("p-bad", 1, NOW - timedelta(days=8))]
    with pytest.raises(PartyImportRefused) as refused:
        _replay(lines)
    assert refused.value.line_number == 2 and refused.value.reason.startswith("R14: a restriction only follows")


def test_import_r3_a_line_dated_after_the_import_is_refused():
    with pytest.raises(PartyImportRefused, match="R3: dated"):
        _replay([incident_line("p-future", 1, NOW + timedelta(days=1))])


# --- through the service, with the party's workflow ---------------------------------------------


def _file(tmp_path: Path, lines: list[dict | str]) -> Path:
    path = tmp_path / "import.jsonl"
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


async def test_import_whole_parties_idempotent_and_resumable(time_skipping_env, parties, store, tmp_path):
    """R3: each party whole or not at all, with a report per line; a re-run imports nothing
    twice; a party whose file was written before a crash gets its workflow started."""
    now = await time_skipping_env.get_current_time()
    tag = uuid.uuid4().hex[:8]
    live, old, bad, broken, crashed = (f"p-{name}-{tag}" for name in ("live", "old", "bad", "broken", "crashed"))
    naive = warning_line(broken, 1, now - timedelta(days=20)) | {"communicated_at": "2027-01-01T10:00:00"}
    lines: list[dict | str] = [
        *_history(live, now - timedelta(days=40)),
        *_history(old, now - timedelta(days=3 * 365)),
        incident_line(bad, 1, now - timedelta(days=9)),
        restriction_line(bad, 1, now - timedelta(days=8)),
        incident_line(broken, 1, now - timedelta(days=21)),
        naive,
        "{not json",
        *_history(crashed, now - timedelta(days=30)),
    ]
    grouped, orphans = read_lines(_file(tmp_path, lines).read_text().splitlines())
    assert [o.line for o in orphans] == [13]

    # A crash after the file was written and before the workflow started.
    crashed_only = {crashed: grouped.pop(crashed)}
    replayed = replay_party(crashed_only[crashed].lines, now, parties.timezone, crashed)
    ledger = ImportedPartyRow(
        party_id=crashed, digest=crashed_only[crashed].digest, lines=4, imported_at=now, live=True
    )
    assert store.import_party(EffectBatch(party_id=crashed, effects=replayed.effects), ledger)
    grouped |= crashed_only

    report = await import_parties(parties, store, grouped, now=now)
    by_line = {r.line: r for r in report.lines}
    assert report.parties_imported == 3 and report.parties_refused == 2 and report.workflows_started == 2
    assert {by_line[n].status for n in range(1, 9)} == {LineStatus.IMPORTED}
    assert (by_line[10].status, by_line[9].status) == (LineStatus.REFUSED, LineStatus.NOT_IMPORTED)
    assert by_line[10].reason.startswith("R14") and by_line[9].reason == "line 10 of the same party was refused"
    assert by_line[12].status == LineStatus.REFUSED and "communicated_at" in by_line[12].reason
    assert "time zone offset" in by_line[12].reason and by_line[11].status == LineStatus.NOT_IMPORTED
    assert by_line[14].reason == "its file was written by an earlier run"

    status = await wait_for_status(parties, live, lambda s: not s.loading)  # it reads its file first
    assert status.stage == Stage.RESTRICTED and status.open_tasks == []
    assert status.restrictions[0].status == RestrictionStatus.IN_FORCE
    assert (await wait_for_status(parties, crashed, lambda s: not s.loading)).stage == Stage.RESTRICTED
    with pytest.raises(RPCError) as missing:
        await parties.handle(old).describe()  # nothing live: no workflow, the file is enough
    assert missing.value.status == RPCStatusCode.NOT_FOUND
    assert store.party(old).stage == Stage.NONE and len(store.incidents(old)) == 2
    assert store.party(bad) is None and store.incidents(broken) == []
    assert store.notices(live) == [] and store.tasks(live) == []

    again = await import_parties(
        parties, store, read_lines(_file(tmp_path, lines).read_text().splitlines())[0], now=now
    )
    assert again.parties_imported == 0 and again.parties_already_imported == 3 and again.workflows_started == 0
    assert len(store.incidents(live)) == 2 and len(store.restrictions(live)) == 1


def test_cli_import_writes_a_report_per_line_and_exits_1_on_a_refusal(cli, store, tmp_path, monkeypatch):  # noqa: F811
    """`ubp import`, signed in as a manager: a party with nothing live needs no workflow (and no
    worker here); the ledger names who imported it."""
    store.add_staff("manager-1", "Morgan Manager", [Role.MANAGER])
    monkeypatch.setenv("UBP_TOKEN", store.issue_token("manager-1"))
    get_settings.cache_clear()
    pid = f"p-cli-{uuid.uuid4().hex[:8]}"
    path = _file(tmp_path, [*_history(pid, NOW - timedelta(days=3 * 365)), {"record": "incident"}])
    result = cli("import", str(path))
    assert result.exit_code == 1, result.output
    assert "1 parties imported (0 workflows started)" in result.output
    assert "line 5 (no party): no party_id" in result.output
    report = [json.loads(line) for line in (tmp_path / "import.jsonl.report.jsonl").read_text().splitlines()]
    assert [(r["line"], r["status"]) for r in report] == [(1, "imported"), (2, "imported"), (3, "imported"),
                                                          (4, "imported"), (5, "refused")]  # fmt: skip
    assert store.party(pid).kind == PartyKind.INDIVIDUAL
    assert store.imported_party(pid).imported_by == "manager-1"
    assert [i.category for i in store.incidents(pid)] == [Category.AGGRESSIVE_OR_ABUSIVE] * 2
    assert cli("import", str(path)).exit_code == 1  # the same refusal; the party is not imported twice
    assert len(store.incidents(pid)) == 2
