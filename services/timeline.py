"""A party's timeline for the inbox: the file read (records.timeline), then put in order in words
(policy.timeline), as the reader may see it (need to know), the read logged.

A file at the policy's bounds holds tens of thousands of entries (10,000
incidents and what followed them): the page shows them a page at a time.
"""

from dataclasses import dataclass

from policy.fields import Door
from policy.permissions import Action
from policy.timeline import PartyFile, TimelineEntry, Viewer
from records.store import RecordStore
from services.acting import Principal, permit
from services.file_reads import log_read

ENTRIES_PER_PAGE = 200


@dataclass(frozen=True)
class PartyTimeline:
    file: PartyFile  # without its incidents: `incidents` counts them, and this page's are among `entries`
    incidents: int
    entries: list[TimelineEntry]  # this page's, oldest first
    page: int  # from 1
    pages: int  # at least 1, even for an empty file
    first: int  # the position of this page's first entry in the whole timeline, from 1
    total: int


class NoSuchPage(Exception):
    """The timeline has fewer pages than the one asked for."""


def party_timeline(
    store: RecordStore, party_id: str, timezone: str, reader: Principal, door: Door, page: int = 1
) -> PartyTimeline | None:
    """One page of the party's file, oldest first, as `reader` may see it; None if the party has no file.

    The read is logged (`file_read`: who, which page, which door) before the page is handed back.

    Raises:
        NotPermitted: `reader` may not read a party's timeline (R3).
        NoSuchPage: If `page` is below 1 or past the last page.
    """
    permit(reader, Action.READ_TIMELINE)
    start = (page - 1) * ENTRIES_PER_PAGE
    # The database reads this page's incidents only (records.timeline): a file at the bounds holds 10,000.
    found = store.timeline_page(
        party_id, timezone, Viewer(staff_id=reader.id, roles=reader.roles), max(start, 0), ENTRIES_PER_PAGE
    )
    if found is None:
        return None
    pages = max(1, -(-found.total // ENTRIES_PER_PAGE))
    if not 1 <= page <= pages:
        raise NoSuchPage(f"No such page: the timeline of party {party_id} has pages 1 to {pages}.")
    log_read(store, reader, party_id, f"timeline page {page}", door)
    return PartyTimeline(
        file=found.file,
        incidents=found.incidents,
        entries=found.entries,
        page=page,
        pages=pages,
        first=start + 1,
        total=found.total,
    )
