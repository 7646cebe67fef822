"""A party's timeline for the inbox: the file read (records.timeline), then put in order in words (policy.timeline).

A file at the policy's bounds holds tens of thousands of entries (10,000
incidents and what followed them): the page shows them a page at a time.
"""

from dataclasses import dataclass

from policy.timeline import PartyFile, TimelineEntry, timeline
from records.store import RecordStore

ENTRIES_PER_PAGE = 200


@dataclass(frozen=True)
class PartyTimeline:
    file: PartyFile
    entries: list[TimelineEntry]  # this page's, oldest first
    page: int  # from 1
    pages: int  # at least 1, even for an empty file
    first: int  # the position of this page's first entry in the whole timeline, from 1
    total: int


class NoSuchPage(Exception):
    """The timeline has fewer pages than the one asked for."""


def party_timeline(store: RecordStore, party_id: str, timezone: str, page: int = 1) -> PartyTimeline | None:
    """One page of the party's file, oldest first; None if the party has no file.

    Raises:
        NoSuchPage: If `page` is below 1 or past the last page.
    """
    file = store.party_file(party_id)
    if file is None:
        return None
    entries = timeline(file, timezone)
    pages = max(1, -(-len(entries) // ENTRIES_PER_PAGE))
    if not 1 <= page <= pages:
        raise NoSuchPage(f"No such page: the timeline of party {party_id} has pages 1 to {pages}.")
    start = (page - 1) * ENTRIES_PER_PAGE
    return PartyTimeline(
        file=file,
        entries=entries[start : start + ENTRIES_PER_PAGE],
        page=page,
        pages=pages,
        first=start + 1,
        total=len(entries),
    )
