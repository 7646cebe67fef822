"""Data protection's rules, pure: what a subject access export holds and leaves out (Art. 15), a
correction or dispute beside its record (Art. 16), and the register of markers in force at a date,
checked at the dates the policy's own tests hold (tests/test_policy_rules.py)."""

import csv
import io
from datetime import timedelta

import pytest

from policy.corrections import AnnexKind, CorrectionEntry, CorrectionForm, RecordKind, check_about
from policy.fields import Door
from policy.markers import Marker, MarkerRow, ReviewState, register
from policy.markers import MarkerFile as File
from policy.refusals import PolicyRefusal
from policy.state import DecisionEntry
from policy.subject_access import A_MEMBER_OF_STAFF, StaffNames, subject_access_export
from policy.timeline import EntryKind, IncidentOnFile, PartyFile
from policy.vocabulary import Category, PartyKind, Role, SupportOption, TaskKind, TaskOutcome, TaskStatus
from services.markers import as_csv
from tests.policy_builders import PARTY_ID, incident, utc
from tests.test_policy_rules import (
    HOUR,
    R1_ENDS,
    T_I1,
    T_R1,
    Party,
    restricted_party,
)

SECOND = timedelta(seconds=1)
STAFF = {"staff-1": "Sam Staff", "staff-2": "Wren Warner", "staff-3": "Rita Restrictor", "manager-1": "Morgan Manager"}
SUPPORT_WORDS = "mental health first aider"


def _file(p: Party) -> PartyFile:
    """The party's state as its file holds it, each incident's report as the builders send it."""
    s = p.state
    incidents = [
        IncidentOnFile(
            incident_id=incident_id,
            category=brief.category,
            behaviour_code="verbal_abuse",
            occurred_at=brief.occurred_at,
            received_at=brief.occurred_at + HOUR,
            reported_by="staff-1",
            experienced_by="staff-1",
            channel="phone",
            summary="Shouted at the caseworker",
        )
        for incident_id, brief in s.incidents.items()
    ]
    return PartyFile(
        party_id=PARTY_ID,
        kind=PartyKind.INDIVIDUAL,
        stage=s.stage,
        incidents=incidents,
        asks=s.asks,
        warnings=s.warnings,
        restrictions=s.restrictions,
        tasks=s.tasks,
        adjustments=s.adjustments,
        rejections=s.rejections,
    )


def _supported(p: Party) -> Party:
    """A manager recorded the support offered to the colleague after the first incident (R18)."""
    [support, *_] = [t for t in p.state.tasks if t.kind == TaskKind.COLLEAGUE_SUPPORT]
    support.status = TaskStatus.DONE
    support.decisions.append(
        DecisionEntry(
            decision_id="d-support",
            task_id=support.task_id,
            decided_by="manager-1",
            role=Role.MANAGER,
            outcome=TaskOutcome.SUPPORT_RECORDED,
            reason="Talked it through with staff-1.",
            decided_at=T_I1 + 2 * HOUR,
            support_offered=[SupportOption.MENTAL_HEALTH_FIRST_AIDER],
        )
    )
    return p


@pytest.mark.parametrize("names", list(StaffNames))
def test_art15_the_export_holds_the_file_and_leaves_out_a_colleagues_support_and_other_peoples_details(names):
    file = _file(_supported(restricted_party()))
    assert any(t.kind == TaskKind.COLLEAGUE_SUPPORT for t in file.tasks)
    export = subject_access_export(file, [], STAFF, names, T_R1 + HOUR, "Europe/London")

    assert [i.incident_id for i in export.file.incidents] == ["i1", "i2", "i3"]
    assert [a.ask_id for a in export.file.asks] == ["a1"]
    assert [w.warning_id for w in export.file.warnings] == ["w1"]
    assert [r.restriction_id for r in export.file.restrictions] == ["r1"]
    assert export.counts()["restrictions"] == 1
    # R18: the colleague's support, its task and decision, are nowhere in it, as data or in words.
    assert all(t.kind != TaskKind.COLLEAGUE_SUPPORT for t in export.file.tasks)
    everything = export.model_dump_json() + " ".join(
        f"{e.title} {e.by} " + " ".join(f.text for f in e.facts) for e in export.entries()
    )
    assert "d-support" not in everything and SUPPORT_WORDS not in everything.replace("_", " ")
    assert "Talked it through" not in everything
    # Staff as the body chose: their names from the staff list, or "a member of staff".
    shown = export.file.incidents[0].reported_by
    assert shown == ("Sam Staff" if names == StaffNames.KEEP else A_MEMBER_OF_STAFF)
    assert export.file.warnings[0].issued_by == ("Wren Warner" if names == StaffNames.KEEP else A_MEMBER_OF_STAFF)
    assert "staff-1" not in everything and "staff-3" not in everything
    assert export.file.rejections == []
    assert all(not t.eligible_staff and not t.excluded_staff for t in export.file.tasks)
    # The file itself is unchanged: the export is a copy.
    assert file.incidents[0].reported_by == "staff-1"


def test_art16_a_correction_and_a_dispute_sit_beside_their_record_which_is_unchanged():
    file = _file(restricted_party())
    correction = CorrectionForm(
        correction_id="c-1", about_kind=RecordKind.INCIDENT, about_id="i1", text="It was a letter."
    )
    check_about(file, correction)
    with pytest.raises(PolicyRefusal) as refused:
        check_about(file, correction.model_copy(update={"about_id": "i9"}))
    assert refused.value.rule == "Art. 16"
    with pytest.raises(PolicyRefusal):
        check_about(file, correction.model_copy(update={"about_kind": RecordKind.WARNING}))

    at = T_R1 + HOUR
    file.corrections = [
        CorrectionEntry(
            **correction.model_dump(), kind=AnnexKind.CORRECTION, recorded_at=at, recorded_by="manager-1",
            role=Role.MANAGER, door=Door.INBOX,
        ),
        CorrectionEntry(
            correction_id="c-2", about_kind=RecordKind.WARNING, about_id="w1", text="I never shouted.",
            kind=AnnexKind.DISPUTE, recorded_at=at, recorded_by="staff-1", role=Role.COLLEAGUE, door=Door.API,
        ),
    ]  # fmt: skip
    export = subject_access_export(file, [], STAFF, StaffNames.KEEP, at, "Europe/London")
    annexes = [e for e in export.entries() if e.kind == EntryKind.CORRECTION]
    assert [(e.title, e.ref, e.by) for e in annexes] == [
        ("Correction to the record (Art. 16)", "i1", "Morgan Manager (manager)"),
        ("The person disputes the record (Art. 16)", "w1", "Sam Staff (colleague)"),
    ]
    assert [f.text for f in annexes[1].facts] == ["warning w1", "I never shouted.", "kept on file as it was"]
    assert export.file.incidents[0].summary == "Shouted at the caseworker"


def _in_force(p: Party, at) -> list[str]:
    return [row.restriction_id for row in register([File(party_id=PARTY_ID, restrictions=p.state.restrictions,
                                                          tasks=p.state.tasks)], at)]  # fmt: skip


def test_the_register_lists_exactly_the_restrictions_in_force_at_the_policy_tests_dates():
    """R12 and R6's dates (tests/test_policy_rules.py): in force from T_R1 to R1_ENDS, never after;
    a repeat moves the end, and a date before the move is answered as it stood."""
    p = restricted_party()
    assert _in_force(p, T_R1 - SECOND) == []
    assert _in_force(p, T_R1) == ["r1"]
    assert _in_force(p, R1_ENDS - SECOND) == ["r1"]
    assert _in_force(p, R1_ENDS) == []
    # R12: a repeat on 10 March moves the end to 10 September (test_r12_three_repeats_...).
    moved = utc(2026, 9, 10, 11, 0)
    p.incident(incident("i4", utc(2026, 3, 10, 12, 0)), utc(2026, 3, 10, 13, 0))
    assert _in_force(p, R1_ENDS) == ["r1"] and _in_force(p, moved - SECOND) == ["r1"]
    assert _in_force(p, moved) == []
    # It expires on its date and stays on record: a date while it ran still finds it.
    p.advance(moved)
    assert _in_force(p, moved - SECOND) == ["r1"] and _in_force(p, moved) == []


def test_the_register_names_a_stops_review_and_flags_it_once_past_due():
    """R15: a threat stops direct contact at once (in force from T_I1 + 1 h, until 5 July 2026);
    its review is due on a working day, and open after that date it is flagged."""
    p = Party()
    p.incident(incident("z1", T_I1, Category.ZERO_TOLERANCE), T_I1 + HOUR)
    [review] = [t for t in p.state.tasks if t.kind == TaskKind.ZERO_TOLERANCE_REVIEW]
    review.due_at = T_I1 + timedelta(days=5)
    file = File(party_id=PARTY_ID, restrictions=p.state.restrictions, tasks=p.state.tasks)
    assert register([file], T_I1) == []
    [row] = register([file], review.due_at)
    assert (row.restriction_id, row.marker, row.review_task_id) == ("zt-z1", Marker.ZERO_TOLERANCE_STOP, "zt-review-z1")
    assert row.review == ReviewState.OPEN and not row.review_overdue and row.approved_by is None
    [late] = register([file], review.due_at + SECOND)
    assert late.review_overdue
    assert register([file], utc(2026, 7, 5, 9, 0)) == []


def test_the_registers_csv_shows_staffs_words_as_written_never_as_a_formula():
    """A reason that starts like a spreadsheet formula is quoted, so the register opened in a
    spreadsheet shows it as text rather than running it (OWASP: CSV injection)."""
    row = MarkerRow(
        party_id=PARTY_ID,
        restriction_id="r-1",
        marker=Marker.RESTRICTION,
        grounds="=1+1",
        reasons='=HYPERLINK("http://example.invalid","Click")',
        measures=["single_named_contact"],
        started_at=utc(2026, 6, 1),
        ends_at=None,
        approved_by=None,
        put_in_force_by="manager-1",
        review_task_id=None,
        review_due_at=None,
        review=ReviewState.NOT_OPEN,
    )
    [parsed] = list(csv.DictReader(io.StringIO(as_csv([row]))))
    assert parsed["grounds"] == "'=1+1" and parsed["reasons"].startswith("'=HYPERLINK(")
    assert parsed["party_id"] == PARTY_ID and parsed["started_at"].startswith("2026-06-01")
