"""A party's timeline for the inbox: the file read (records.timeline), then put in order in words (policy.timeline)."""

from dataclasses import dataclass

from policy.timeline import PartyFile, TimelineEntry, timeline
from records.store import RecordStore


@dataclass(frozen=True)
class PartyTimeline:
    file: PartyFile
    entries: list[TimelineEntry]


def party_timeline(store: RecordStore, party_id: str, timezone: str) -> PartyTimeline | None:
    """The party's file and its entries, oldest first; None if the party has no file."""
    file = store.party_file(party_id)
    return None if file is None else PartyTimeline(file, timeline(file, timezone))
