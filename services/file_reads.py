"""Every read of a party's file logged, for every door: who, what, through which door, when.

The services that read a party's file (its status, timeline and letters) check
the permission table first (`services.acting.permit`), read, and log the read
here before they hand back what was read; never the content.
"""

from datetime import UTC, datetime

from policy.fields import Door
from records.store import RecordStore
from services.acting import Principal


def log_read(store: RecordStore, reader: Principal, party_id: str, what: str, door: Door) -> None:
    """Log that `reader` read `what` of the party's file through `door`.

    A read is always the principal's own (a case system reads for itself, never
    for a member of staff), so no system carried it: `via` is None.
    """
    store.record_read(party_id, reader.id, None, what, door.value, datetime.now(UTC))
