"""The parties list (issue 26): search by id, and the filters by what is in force or coming due,
counted and paged in SQL, on SQLite and PostgreSQL (each in its pass)."""

from datetime import UTC, datetime, timedelta

from policy.effects import EffectBatch, PartySaved, RestrictionSaved, TaskSaved, WarningSaved
from policy.messages import PartyRef
from policy.state import HumanTask, RestrictionEntry, WarningEntry
from policy.vocabulary import (
    Category,
    Measure,
    PartyKind,
    RestrictionGrounds,
    RestrictionStatus,
    Role,
    Stage,
    TaskKind,
    WarningMethod,
)
from records.party_list import PartyFilter
from records.store import RecordStore

NOW = datetime(2026, 12, 7, 10, tzinfo=UTC)


def warning(expires_in: timedelta) -> WarningEntry:
    return WarningEntry(
        warning_id=f"w-{expires_in.days}",
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=["i-1"],
        communicated_at=NOW - timedelta(days=90),
        expires_at=NOW + expires_in,
        issued_by="col-1",
        method=WarningMethod.WRITTEN,
        reasons="Abuse on the phone.",
    )


def restriction(restriction_id: str, grounds: RestrictionGrounds, status: RestrictionStatus) -> RestrictionEntry:
    return RestrictionEntry(
        restriction_id=restriction_id,
        categories=[Category.AGGRESSIVE_OR_ABUSIVE],
        incident_ids=["i-2"],
        measures=[
            Measure.SINGLE_NAMED_CONTACT
            if grounds != RestrictionGrounds.ZERO_TOLERANCE
            else Measure.STOP_DIRECT_CONTACT
        ],
        grounds=grounds,
        status=status,
        proposed_by="col-1",
        reasons="It went on.",
        contact_arrangements="Only Cora.",
        decided_at=NOW - timedelta(days=10),
        last_instance_at=NOW - timedelta(days=10),
        starts_at=NOW - timedelta(days=10),
        ends_at=NOW + timedelta(days=170),
    )


def party(store: RecordStore, party_id: str, stage: Stage, *effects) -> None:
    ref = PartyRef(party_id=party_id, kind=PartyKind.INDIVIDUAL)
    store.apply(EffectBatch(party_id=party_id, effects=[PartySaved(party=ref, stage=stage, at=NOW), *effects]))


def ids(store: RecordStore, **where) -> list[str]:
    page = store.party_page(PartyFilter(now=NOW, **where), limit=50)
    assert page.total == len(page.parties)
    return [p.party_id for p in page.parties]


def test_parties_are_found_by_id_and_by_what_is_in_force_or_coming_due(store: RecordStore) -> None:
    party(store, "p-none", Stage.NONE)
    party(store, "p-warned", Stage.WARNED, WarningSaved(party_id="p-warned", warning=warning(timedelta(days=10))))
    party(
        store,
        "p-warned-long",
        Stage.WARNED,
        WarningSaved(party_id="p-warned-long", warning=warning(timedelta(days=100))),
    )
    review = HumanTask(
        task_id="review-r1",
        kind=TaskKind.RESTRICTION_REVIEW,
        subject_id="r1",
        created_at=NOW,
        summary="Review",
        candidate_roles=[Role.MANAGER],
    )
    party(
        store,
        "p-restricted",
        Stage.RESTRICTED,
        RestrictionSaved(
            party_id="p-restricted",
            restriction=restriction("r1", RestrictionGrounds.WARNING_IN_PLACE, RestrictionStatus.IN_FORCE),
        ),
        TaskSaved(party_id="p-restricted", task=review),
    )
    party(
        store,
        "p_stop",
        Stage.ZERO_TOLERANCE,
        RestrictionSaved(
            party_id="p_stop",
            restriction=restriction("r2", RestrictionGrounds.ZERO_TOLERANCE, RestrictionStatus.IN_FORCE),
        ),
    )
    party(
        store,
        "p-expired",
        Stage.RECURRENCE_WINDOW,
        RestrictionSaved(
            party_id="p-expired",
            restriction=restriction("r3", RestrictionGrounds.WARNING_IN_PLACE, RestrictionStatus.EXPIRED),
        ),
    )

    assert ids(store) == ["p-expired", "p-none", "p-restricted", "p-warned", "p-warned-long", "p_stop"]
    assert ids(store, id_starts="p-warned") == ["p-warned", "p-warned-long"]
    # An underscore in what is searched for is itself, not any one character.
    assert ids(store, id_starts="p_") == ["p_stop"]
    assert ids(store, stage=Stage.WARNED) == ["p-warned", "p-warned-long"]
    assert ids(store, restricted=True) == ["p-restricted", "p_stop"]
    assert ids(store, zero_tolerance=True) == ["p_stop"]
    assert ids(store, review_due=True) == ["p-restricted"]
    assert ids(store, warning_lapsing=True) == ["p-warned"]
    assert ids(store, restricted=True, review_due=True) == ["p-restricted"]

    [line] = store.party_page(PartyFilter(now=NOW, id_starts="p-restricted"), limit=5).parties
    assert (line.stage, line.restrictions_in_force, line.restricted_until, line.open_tasks) == (
        Stage.RESTRICTED,
        1,
        NOW + timedelta(days=170),
        1,
    )
    second = store.party_page(PartyFilter(now=NOW), limit=2, offset=2)
    assert (second.total, [p.party_id for p in second.parties]) == (6, ["p-restricted", "p-warned"])
