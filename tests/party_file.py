"""A party's file written to a records database as the workflow writes it, letters
included, without Temporal: for the letters' doors and the timeline."""

from dataclasses import dataclass, field
from datetime import timedelta

from activities.letters import LetterActivities
from policy import letters
from policy.effects import Effect, EffectBatch, IncidentRecorded, PartySaved
from policy.letters import LetterKind
from policy.messages import PartyRef
from policy.payloads import LetterRequest
from policy.vocabulary import Measure, PartyKind, Stage
from records.store import RecordStore
from settings import Settings
from tests.policy_builders import PARTY_ID, Party, ask, incident, restriction, utc, warning

# In the past, so a letter made then may be marked sent now.
T0 = utc(2026, 3, 2, 10)
SUMMARY = "Shouted insults at the caseworker on a call"


@dataclass
class PartyOnFile:
    party_id: str = PARTY_ID
    letter_ids: dict[LetterKind, str] = field(default_factory=dict)


def write_party_file(store: RecordStore, settings: Settings) -> PartyOnFile:
    """Incidents, an ask, a warning, a restriction in force and its end moved (R12), each
    letter made and kept as the `make_letter` activity keeps it."""
    party, on_file = Party(), PartyOnFile()
    maker = LetterActivities(store, settings.letters)

    def write(effects: list[Effect], at) -> None:
        store.apply(EffectBatch(party_id=PARTY_ID, effects=effects))
        for letter in letters.letters_due(party.state, effects):
            maker.make_letter(LetterRequest(letter=letter, requested_at=at))
            on_file.letter_ids[letter.kind] = letter.letter_id

    def report(incident_id: str, at) -> None:
        write(party.incident(incident(incident_id, at).model_copy(update={"summary": SUMMARY}), at)[1], at)

    report("i1", T0)
    write(party.ask(ask("a1", ["i1"], T0 + timedelta(hours=1)), T0 + timedelta(hours=1)), T0 + timedelta(hours=1))
    report("i2", T0 + timedelta(days=3))
    w = T0 + timedelta(days=4)
    write(party.warn(warning("w1", ["i2"], w), w), w)
    report("i3", T0 + timedelta(days=10))
    r = T0 + timedelta(days=11)
    write(party.restrict(restriction("r1", ["i3"], r, measures=[Measure.SINGLE_NAMED_CONTACT]), r), r)
    report("i4", T0 + timedelta(days=20))
    return on_file


def write_long_file(store: RecordStore, party_id: str, incidents: int) -> None:
    """A party with `incidents` incidents an hour apart from T0, ids `long-000` on: a timeline of many pages."""
    party = PartyRef(party_id=party_id, kind=PartyKind.INDIVIDUAL)
    reports = [incident(f"long-{n:03d}", T0 + timedelta(hours=n), party=party) for n in range(incidents)]
    effects: list[Effect] = [PartySaved(party=party, stage=Stage.NONE, at=T0)]
    effects += [IncidentRecorded(report=r, received_at=r.occurred_at) for r in reports]
    store.apply(EffectBatch(party_id=party_id, effects=effects))
