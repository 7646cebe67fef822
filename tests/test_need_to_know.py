"""Need to know on the timeline, pure (policy.timeline): the support a colleague was offered
after an incident (R18) is shown only to the managers who arrange it and to the colleague
concerned; a party's adjustments and the advice on them (R16) only to those who decide
and advise on them. Everyone else who may read the timeline sees that they exist, and who
may read them, never the details."""

from datetime import timedelta

import pytest

from policy.need_to_know import ADJUSTMENT_READERS, SUPPORT_READERS
from policy.permissions import PERMISSIONS, Action
from policy.state import AdjustmentEntry, DecisionEntry, HumanTask
from policy.timeline import (
    EntryKind,
    IncidentOnFile,
    PartyFile,
    TimelineEntry,
    Viewer,
    timeline,
)
from policy.vocabulary import (
    AdjustmentStatus,
    Category,
    LetterFormat,
    PartyKind,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    TaskStatus,
    in_words,
)
from tests.policy_builders import utc

T = utc(2027, 2, 1, 10)
TZ = "Europe/London"

# What only those who need to know may read.
SUPPORT_REASON = "Talked it through; time off agreed for counselling"
SUPPORT_SUMMARY = "R18: discuss support with colleague colleague-2 after incident i1"
DESCRIPTION = "Large print letters: the party has sight loss"
ADJUSTMENT_REASON = "Agreed on the adviser's advice"
ADVICE = "Sight loss is a disability: agree large print"


def _viewer(staff_id: str, *roles: Role) -> Viewer:
    return Viewer(staff_id=staff_id, roles=frozenset(roles))


COLLEAGUE = _viewer("colleague-9", Role.COLLEAGUE)
CONCERNED = _viewer("colleague-2", Role.COLLEAGUE)  # experienced the incident: the support is theirs
RECORDER = _viewer("colleague-1", Role.COLLEAGUE)  # recorded the adjustment request
MANAGER = _viewer("manager-1", Role.MANAGER)
OMBUDSMAN = _viewer("ombudsman-1", Role.OMBUDSMAN)
ADVISER = _viewer("adviser-1", Role.SPECIALIST_ADVISER)


def _file() -> PartyFile:
    support = HumanTask(
        task_id="support-i1",
        kind=TaskKind.COLLEAGUE_SUPPORT,
        subject_id="colleague-2",
        created_at=T,
        status=TaskStatus.DONE,
        summary=SUPPORT_SUMMARY,
        excluded_staff=["colleague-2"],
        decisions=[
            DecisionEntry(
                decision_id="d-support",
                task_id="support-i1",
                decided_by="manager-1",
                role=Role.MANAGER,
                outcome=TaskOutcome.SUPPORT_RECORDED,
                reason=SUPPORT_REASON,
                decided_at=T + timedelta(days=1),
                support_offered=[SupportOption.EMPLOYEE_ASSISTANCE_PROGRAMME, SupportOption.MANAGER_TAKES_OVER],
            )
        ],
    )
    advice = HumanTask(
        task_id="advice-adj-1",
        kind=TaskKind.ADJUSTMENT_ADVICE,
        subject_id="adj-1",
        created_at=T + timedelta(days=3),
        status=TaskStatus.DONE,
        summary="R16: specialist advice on requested adjustment adj-1",
        decisions=[
            DecisionEntry(
                decision_id="d-advice",
                task_id="advice-adj-1",
                decided_by="adviser-1",
                role=Role.SPECIALIST_ADVISER,
                outcome=TaskOutcome.ADVICE_GIVEN,
                reason=ADVICE,
                decided_at=T + timedelta(days=4),
            )
        ],
    )
    return PartyFile(
        party_id="p-1",
        kind=PartyKind.INDIVIDUAL,
        stage=Stage.NONE,
        incidents=[
            IncidentOnFile(
                incident_id="i1",
                category=Category.AGGRESSIVE_OR_ABUSIVE,
                behaviour_code="verbal_abuse",
                occurred_at=T,
                received_at=T,
                reported_by="colleague-1",
                experienced_by="colleague-2",
                channel="phone",
                summary="Shouted at the caseworker",
            )
        ],
        tasks=[support, advice],
        adjustments=[
            AdjustmentEntry(
                adjustment_id="adj-1",
                description=DESCRIPTION,
                requested_at=T + timedelta(days=2),
                recorded_by="colleague-1",
                status=AdjustmentStatus.AGREED,
                advice_task_id="advice-adj-1",
                decided_by="manager-1",
                decided_at=T + timedelta(days=5),
                reason=ADJUSTMENT_REASON,
                letter_format=LetterFormat.LARGE_PRINT,
            )
        ],
    )


def _facts(entries: list[TimelineEntry], kind: EntryKind, ref: str) -> dict[str, str]:
    (entry,) = [e for e in entries if e.kind == kind and e.ref == ref]
    return {f.label: f.text for f in entry.facts}


def _text(entries: list[TimelineEntry]) -> str:
    return " ".join(e.model_dump_json() for e in entries)


SUPPORT_WORDS = "employee assistance programme; manager takes over"


@pytest.mark.parametrize("viewer", [MANAGER, OMBUDSMAN, CONCERNED], ids=lambda v: v.staff_id)
def test_r18_support_is_shown_to_managers_and_to_the_colleague_concerned(viewer: Viewer):
    entries = timeline(_file(), TZ, viewer)
    assert _facts(entries, EntryKind.TASK, "support-i1")["About"] == SUPPORT_SUMMARY
    decided = _facts(entries, EntryKind.DECISION, "support-i1")
    assert decided["Support offered (R18)"] == SUPPORT_WORDS and decided["Reason"] == SUPPORT_REASON
    assert "shown only to" not in _text([e for e in entries if e.ref == "support-i1"])


@pytest.mark.parametrize("viewer", [COLLEAGUE, ADVISER], ids=lambda v: v.staff_id)
def test_r18_others_see_that_support_was_recorded_and_who_may_read_it(viewer: Viewer):
    entries = timeline(_file(), TZ, viewer)
    assert _facts(entries, EntryKind.DECISION, "support-i1") == {
        "Task": "Support for a colleague (R18)",
        "Details": "Support was recorded for a colleague: shown only to the roles manager, ombudsman and "
        "executive team, and to the colleague concerned (R18)",
    }
    opened = _facts(entries, EntryKind.TASK, "support-i1")
    assert opened["Details"] == f"Support for a colleague after an incident: shown only to {SUPPORT_READERS}"
    assert "About" not in opened and opened["Status now"] == "done"
    text = _text(entries)
    for detail in (SUPPORT_REASON, SUPPORT_SUMMARY, "employee assistance", "manager takes over"):
        assert detail not in text


@pytest.mark.parametrize("viewer", [MANAGER, OMBUDSMAN, ADVISER], ids=lambda v: v.staff_id)
def test_r16_adjustments_and_advice_are_shown_to_those_who_decide_and_advise(viewer: Viewer):
    entries = timeline(_file(), TZ, viewer)
    assert _facts(entries, EntryKind.ADJUSTMENT, "adj-1") == {"Asked for": DESCRIPTION}
    assert _facts(entries, EntryKind.ADJUSTMENT_DECIDED, "adj-1") == {
        "Reason": ADJUSTMENT_REASON,
        "Letters from now on": "large print",
    }
    assert _facts(entries, EntryKind.DECISION, "advice-adj-1")["Reason"] == ADVICE


@pytest.mark.parametrize("viewer", [COLLEAGUE, RECORDER, CONCERNED], ids=lambda v: v.staff_id)
def test_r16_others_see_that_an_adjustment_exists_not_what_it_is(viewer: Viewer):
    """Not even the colleague who recorded the request: R16's details are for the roles that handle them."""
    entries = timeline(_file(), TZ, viewer)
    assert _facts(entries, EntryKind.ADJUSTMENT, "adj-1") == {
        "Details": f"What was asked for: shown only to {ADJUSTMENT_READERS}"
    }
    # The letter format is how to write to the party, not why: colleagues send their letters (R10).
    assert _facts(entries, EntryKind.ADJUSTMENT_DECIDED, "adj-1") == {
        "Details": f"What was decided (reason): shown only to {ADJUSTMENT_READERS}",
        "Letters from now on": "large print",
    }
    assert _facts(entries, EntryKind.DECISION, "advice-adj-1") == {
        "Task": "Specialist advice on an adjustment (R16)",
        "Details": f"The specialist's advice: shown only to {ADJUSTMENT_READERS}",
    }
    # The advice task's summary names the adjustment's id only: it stays.
    assert _facts(entries, EntryKind.TASK, "advice-adj-1")["About"].endswith("adjustment adj-1")
    text = _text(entries)
    for detail in (DESCRIPTION, ADJUSTMENT_REASON, ADVICE, "sight loss"):
        assert detail not in text


def test_r16_the_letter_format_is_withheld_from_whoever_neither_sends_letters_nor_handles_adjustments():
    """Operations reads no party's file through any door; were it shown one, the format would be withheld too."""
    entries = timeline(_file(), TZ, _viewer("ops-1", Role.OPERATIONS))
    assert _facts(entries, EntryKind.ADJUSTMENT_DECIDED, "adj-1") == {
        "Details": f"What was decided (reason and letters from now on): shown only to {ADJUSTMENT_READERS}"
    }
    assert "large print" not in _text(entries)


def test_r16_r18_need_to_know_hides_details_never_entries():
    """Every viewer sees the same entries, at the same times, by the same people: only details differ."""
    shape = {
        viewer.staff_id: [(e.at, e.kind, e.title, e.ref, e.by) for e in timeline(_file(), TZ, viewer)]
        for viewer in (COLLEAGUE, CONCERNED, MANAGER, ADVISER)
    }
    assert len({tuple(entries) for entries in shape.values()}) == 1


def test_r16_r18_who_may_read_is_named_from_the_permission_table():
    for readers, action in ((SUPPORT_READERS, Action.READ_SUPPORT), (ADJUSTMENT_READERS, Action.READ_ADJUSTMENTS)):
        assert all(in_words(role) in readers for role in PERMISSIONS[action].roles)
        assert PERMISSIONS[action].rule in readers
    assert MANAGER.sees_support_of("colleague-2")  # a manager holds READ_SUPPORT
    assert CONCERNED.sees_support_of("colleague-2") and not COLLEAGUE.sees_support_of("colleague-2")
    assert ADVISER.sees_adjustments() and not CONCERNED.sees_adjustments()
