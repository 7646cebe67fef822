"""Need to know on a party's status, pure (policy.need_to_know.status_for): what every door
reads through services.contacts.party_status. A colleague's support (R18) is shown only to
the managers who arrange it and to the colleague concerned; a party's adjustments and the
advice on them (R16) only to those who decide and advise on them. Everyone else who may read
the status, case systems included, sees each of them with its ids, kind, state and dates,
and who may read the rest, in the timeline's words."""

from datetime import timedelta

import pytest

from policy.authority import HANDLER_ACTION
from policy.messages import PartyRef
from policy.need_to_know import (
    ADJUSTMENT_MESSAGES,
    ADJUSTMENT_READERS,
    BOTH_READERS,
    SUPPORT_READERS,
    TASK_DECISION_MESSAGE,
    WITHHELD_SUBJECT,
    Viewer,
    status_for,
)
from policy.permissions import PERMISSIONS, Action
from policy.replies import PartyStatus
from policy.state import AdjustmentEntry, DecisionEntry, HumanTask, Rejection
from policy.timeline import EntryKind, PartyFile, timeline
from policy.vocabulary import (
    AdjustmentStatus,
    LetterFormat,
    PartyKind,
    Role,
    Stage,
    SupportOption,
    TaskKind,
    TaskOutcome,
    in_words,
)
from tests.policy_builders import utc

T = utc(2027, 2, 1, 10)
TZ = "Europe/London"

# What only those who need to know may read.
SUPPORT_SUMMARY = "R18: discuss support with colleague colleague-2 after incident i1"
RECUSAL = "I line-manage colleague-2's partner"
DESCRIPTION = "Large print letters: the party has sight loss"
ADJUSTMENT_REASON = "Agreed on the adviser's advice"
ASKED_AGAIN = "Calls only in the morning: medication makes afternoons hard"
ADVISER_RECUSAL = "I advised the party's GP surgery on this"
REJECTED_ADJUSTMENT = '{"adjustment_id": "adj-3", "description": "Carer present at meetings: anxiety disorder"}'
REJECTED_DECISION = '{"decision_id": "d-9", "task_id": "support-i1", "reason": "Counselling booked"}'
REJECTED_INCIDENT = '{"incident_id": "i9", "summary": "Shouted at the caseworker"}'
SECRETS = (SUPPORT_SUMMARY, RECUSAL, DESCRIPTION, ADJUSTMENT_REASON, ASKED_AGAIN, ADVISER_RECUSAL, "sight loss")


def _viewer(staff_id: str, *roles: Role) -> Viewer:
    return Viewer(staff_id=staff_id, roles=frozenset(roles))


COLLEAGUE = _viewer("colleague-9", Role.COLLEAGUE)
CASE_SYSTEM = _viewer("case-system", Role.CASE_SYSTEM)
CONCERNED = _viewer("colleague-2", Role.COLLEAGUE)  # experienced the incident: the support is theirs
MANAGER = _viewer("manager-1", Role.MANAGER)
ADVISER = _viewer("adviser-1", Role.SPECIALIST_ADVISER)
EVERYONE = (COLLEAGUE, CASE_SYSTEM, CONCERNED, MANAGER, ADVISER)


def _recusal(task_id: str, by: str, role: Role, reason: str) -> DecisionEntry:
    """A recusal leaves the task open, its reason on it."""
    return DecisionEntry(
        decision_id=f"d-{task_id}",
        task_id=task_id,
        decided_by=by,
        role=role,
        outcome=TaskOutcome.RECUSE,
        reason=reason,
        decided_at=T + timedelta(hours=2),
    )


def _status() -> PartyStatus:
    support = HumanTask(
        task_id="support-i1",
        kind=TaskKind.COLLEAGUE_SUPPORT,
        subject_id="colleague-2",
        created_at=T,
        summary=SUPPORT_SUMMARY,
        candidate_roles=[Role.MANAGER],
        excluded_staff=["colleague-2"],
        eligible_staff=["manager-1", "manager-2"],
        due_at=T + timedelta(days=5),
        decisions=[_recusal("support-i1", "manager-2", Role.MANAGER, RECUSAL)],
    )
    advice = HumanTask(
        task_id="advice-adj-2",
        kind=TaskKind.ADJUSTMENT_ADVICE,
        subject_id="adj-2",
        created_at=T + timedelta(days=3),
        summary="R16: specialist advice on requested adjustment adj-2",
        candidate_roles=[Role.SPECIALIST_ADVISER],
        due_at=T + timedelta(days=8),
        decisions=[_recusal("advice-adj-2", "adviser-2", Role.SPECIALIST_ADVISER, ADVISER_RECUSAL)],
    )
    agreed = AdjustmentEntry(
        adjustment_id="adj-1",
        description=DESCRIPTION,
        requested_at=T + timedelta(days=1),
        recorded_by="colleague-1",
        status=AdjustmentStatus.AGREED,
        decided_by="manager-1",
        decided_at=T + timedelta(days=2),
        reason=ADJUSTMENT_REASON,
        letter_format=LetterFormat.LARGE_PRINT,
    )
    asked = AdjustmentEntry(
        adjustment_id="adj-2",
        description=ASKED_AGAIN,
        requested_at=T + timedelta(days=3),
        recorded_by="colleague-1",
        advice_task_id="advice-adj-2",
        letter_format=LetterFormat.PLAIN_TEXT,
    )
    return PartyStatus(
        party=PartyRef(party_id="p-1", kind=PartyKind.INDIVIDUAL),
        stage=Stage.NONE,
        next_deadline=T + timedelta(days=5),
        incident_count=1,
        recent_incident_ids=["i1"],
        asks=[],
        warnings=[],
        restrictions=[],
        open_tasks=[support, advice],
        adjustments=[agreed, asked],
        rejections=[
            Rejection(received_at=T, message=m, message_id=None, reason="unencrypted", payload=p)
            for m, p in (
                ("request_adjustment", REJECTED_ADJUSTMENT),
                ("decide_task", REJECTED_DECISION),
                ("report_incident", REJECTED_INCIDENT),
            )
        ],
    )


def _task(status: PartyStatus, task_id: str) -> HumanTask:
    (task,) = [t for t in status.open_tasks if t.task_id == task_id]
    return task


def _adjustment(status: PartyStatus, adjustment_id: str) -> AdjustmentEntry:
    (adjustment,) = [a for a in status.adjustments if a.adjustment_id == adjustment_id]
    return adjustment


def _payloads(status: PartyStatus) -> dict[str, str]:
    return {r.message: r.payload for r in status.rejections}


# --- R18: a colleague's support ------------------------------------------------------------


@pytest.mark.parametrize("viewer", [MANAGER, CONCERNED], ids=lambda v: v.staff_id)
def test_r18_a_manager_and_the_colleague_concerned_read_the_support_task(viewer: Viewer):
    original = _status()
    assert _task(status_for(original, viewer), "support-i1") == _task(original, "support-i1")


@pytest.mark.parametrize("viewer", [COLLEAGUE, CASE_SYSTEM, ADVISER], ids=lambda v: v.staff_id)
def test_r18_others_see_an_open_support_task_and_who_may_read_it(viewer: Viewer):
    original = _task(_status(), "support-i1")
    shown = _task(status_for(_status(), viewer), "support-i1")
    assert shown.summary == f"Support for a colleague after an incident: shown only to {SUPPORT_READERS}"
    # The subject and the conflict of interest both name the colleague the support is for.
    assert shown.subject_id == WITHHELD_SUBJECT and shown.excluded_staff == []
    (recusal,) = shown.decisions
    assert recusal.reason == f"The reason: shown only to {SUPPORT_READERS}" and recusal.support_offered == []
    # That it exists, its kind, state, dates and who handles it: a case system still sees them.
    kept = {"task_id", "kind", "status", "created_at", "due_at", "candidate_roles", "eligible_staff"}
    assert shown.model_dump(include=kept) == original.model_dump(include=kept)
    assert (recusal.decided_by, recusal.outcome, recusal.decided_at) == (
        "manager-2",
        TaskOutcome.RECUSE,
        T + timedelta(hours=2),
    )


def test_r18_support_offered_on_a_decision_is_withheld_with_its_reason():
    status = _status()
    support = _task(status, "support-i1")
    offered = support.decisions[0].model_copy(
        update={
            "outcome": TaskOutcome.SUPPORT_RECORDED,
            "reason": "",
            "support_offered": [SupportOption.EMPLOYEE_ASSISTANCE_PROGRAMME],
        }
    )
    status.open_tasks[0] = support.model_copy(update={"decisions": [offered]})
    (shown,) = _task(status_for(status, CASE_SYSTEM), "support-i1").decisions
    assert shown.support_offered == []
    assert shown.reason == f"Support was recorded for a colleague: shown only to {SUPPORT_READERS}"
    assert _task(status_for(status, CONCERNED), "support-i1").decisions == [offered]


# --- R16: adjustments and the advice on them ----------------------------------------------------


@pytest.mark.parametrize("viewer", [MANAGER, ADVISER], ids=lambda v: v.staff_id)
def test_r16_a_manager_and_a_specialist_adviser_read_adjustments_and_advice(viewer: Viewer):
    original, shown = _status(), status_for(_status(), viewer)
    assert shown.adjustments == original.adjustments
    assert _task(shown, "advice-adj-2") == _task(original, "advice-adj-2")
    assert _payloads(shown)["request_adjustment"] == REJECTED_ADJUSTMENT


@pytest.mark.parametrize("viewer", [COLLEAGUE, CASE_SYSTEM, CONCERNED], ids=lambda v: v.staff_id)
def test_r16_others_see_that_adjustments_exist_their_state_and_the_letter_format(viewer: Viewer):
    original, shown = _status(), status_for(_status(), viewer)
    asked_for = f"What was asked for: shown only to {ADJUSTMENT_READERS}"
    agreed = _adjustment(shown, "adj-1")
    assert agreed.description == asked_for
    assert agreed.reason == f"What was decided (reason): shown only to {ADJUSTMENT_READERS}"
    # Letters, and all the party's correspondence, go in the agreed format: those who send them need it.
    assert agreed.letter_format == LetterFormat.LARGE_PRINT
    # Before it is agreed, a format asked for is part of what was asked for.
    asked = _adjustment(shown, "adj-2")
    assert asked.description == asked_for and asked.reason is None and asked.letter_format is None
    kept = {"adjustment_id", "status", "requested_at", "recorded_by", "advice_task_id", "decided_by", "decided_at"}
    assert [a.model_dump(include=kept) for a in shown.adjustments] == [
        a.model_dump(include=kept) for a in original.adjustments
    ]
    # The advice task names only the adjustment's id: it stays; a recusal's reason does not.
    advice = _task(shown, "advice-adj-2")
    assert advice.summary == _task(original, "advice-adj-2").summary and advice.subject_id == "adj-2"
    assert advice.decisions[0].reason == f"The reason: shown only to {ADJUSTMENT_READERS}"


def test_r16_a_declined_adjustments_letter_format_is_what_was_asked_for_not_how_to_write():
    """Declined (after advice), the format it asked for is withheld with the reason, on the status and the timeline."""
    status = _status()
    declined = _adjustment(status, "adj-1").model_copy(update={"status": AdjustmentStatus.DECLINED})
    status.adjustments = [declined]
    words = f"What was decided (reason and letters from now on): shown only to {ADJUSTMENT_READERS}"
    shown = _adjustment(status_for(status, CASE_SYSTEM), "adj-1")
    assert shown.letter_format is None and shown.reason == words and shown.status == AdjustmentStatus.DECLINED
    file = PartyFile(party_id="p-1", kind=PartyKind.INDIVIDUAL, stage=Stage.NONE, adjustments=[declined])
    (decided,) = [e for e in timeline(file, TZ, COLLEAGUE) if e.kind == EntryKind.ADJUSTMENT_DECIDED]
    assert [(f.label, f.text) for f in decided.facts] == [("Details", words)]
    assert _adjustment(status_for(status, ADVISER), "adj-1") == declined


# --- every viewer -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", [COLLEAGUE, CASE_SYSTEM, CONCERNED, ADVISER], ids=lambda v: v.staff_id)
def test_r16_r18_rejected_messages_keep_what_why_and_when_not_a_payload_that_may_hold_details(viewer: Viewer):
    """A rejected task decision may be on a support task or an advice task: its payload is for
    those who may read both. An incident's is not special category: it stays."""
    payloads = _payloads(status_for(_status(), viewer))
    assert payloads["decide_task"] == f"The message as received: shown only to {BOTH_READERS}"
    assert payloads["report_incident"] == REJECTED_INCIDENT
    if viewer is not ADVISER:
        assert payloads["request_adjustment"] == f"The message as received: shown only to {ADJUSTMENT_READERS}"
    shown = status_for(_status(), viewer).rejections
    assert [(r.received_at, r.message, r.reason) for r in shown] == [
        (r.received_at, r.message, r.reason) for r in _status().rejections
    ]


def test_r16_r18_a_manager_reads_the_status_whole():
    assert status_for(_status(), MANAGER) == _status()


@pytest.mark.parametrize("viewer", [COLLEAGUE, CASE_SYSTEM], ids=lambda v: v.staff_id)
def test_r16_r18_no_detail_reaches_a_colleague_or_a_case_system(viewer: Viewer):
    text = status_for(_status(), viewer).model_dump_json()
    for detail in (*SECRETS, "Counselling booked", "anxiety", "colleague-2", "employee_assistance"):
        assert detail not in text


def test_r16_r18_need_to_know_hides_details_never_entries():
    """Every viewer sees the same tasks, adjustments and rejections, in the same states, on the same dates."""

    def shape(status: PartyStatus) -> tuple:
        return (
            tuple((t.task_id, t.kind, t.status, t.created_at, t.due_at, len(t.decisions)) for t in status.open_tasks),
            tuple((a.adjustment_id, a.status, a.requested_at, a.decided_at) for a in status.adjustments),
            tuple((r.message, r.received_at) for r in status.rejections),
            status.next_deadline,
        )

    assert len({shape(status_for(_status(), viewer)) for viewer in EVERYONE}) == 1


@pytest.mark.parametrize("viewer", [COLLEAGUE, CASE_SYSTEM, CONCERNED, ADVISER], ids=lambda v: v.staff_id)
def test_r16_r18_the_status_says_what_the_timeline_says(viewer: Viewer):
    """One decision, one set of words: the status withholds what the timeline withholds, the same way."""
    status = _status()
    file = PartyFile(
        party_id="p-1",
        kind=PartyKind.INDIVIDUAL,
        stage=Stage.NONE,
        tasks=status.open_tasks,
        adjustments=status.adjustments,
    )
    details = {(e.kind, e.ref): f.text for e in timeline(file, TZ, viewer) for f in e.facts if f.label == "Details"}
    shown = status_for(status, viewer)
    support, advice = _task(shown, "support-i1"), _task(shown, "advice-adj-2")
    if viewer.sees_support_of("colleague-2"):
        assert (EntryKind.TASK, "support-i1") not in details
    else:
        assert details[(EntryKind.TASK, "support-i1")] == support.summary
        assert details[(EntryKind.DECISION, "support-i1")] == support.decisions[0].reason
    if viewer.sees_adjustments():
        assert not {key for key in details if key[1] in ("adj-1", "adj-2", "advice-adj-2")}
    else:
        assert details[(EntryKind.ADJUSTMENT, "adj-1")] == _adjustment(shown, "adj-1").description
        assert details[(EntryKind.ADJUSTMENT_DECIDED, "adj-1")] == _adjustment(shown, "adj-1").reason
        assert details[(EntryKind.DECISION, "advice-adj-2")] == advice.decisions[0].reason


def test_r16_r18_the_handlers_whose_payloads_are_withheld_are_the_workflows():
    assert {*ADJUSTMENT_MESSAGES, TASK_DECISION_MESSAGE} <= set(HANDLER_ACTION)
    both = PERMISSIONS[Action.READ_SUPPORT].roles & PERMISSIONS[Action.READ_ADJUSTMENTS].roles
    assert all(in_words(role) in BOTH_READERS for role in both) and Role.MANAGER in both
