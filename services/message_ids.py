"""Ids per party: an id a case system chose for one party is never taken by another.

Each party's workflow keeps its own ids unique (a message sent again is a
duplicate), but the file's rows are keyed by the id alone: another party's
message with the same id would be dropped by an insert-if-absent write, or
would move a row between parties by an upsert. So every door claims the id
for its party (records.message_ids) before the message is sent, and an id
already on file for another party is refused (409 `ids-per-party`), naming
neither that party nor anything else on its file. Refusing, rather than
keying the file's rows by party and id, keeps every id (and a task derived
from a restriction's) naming one thing wherever it is quoted: in the task
list's addresses, letters' references and the decisions on them.
"""

import asyncio
from datetime import UTC, datetime
from enum import StrEnum

from records.store import RecordStore

RULE = "ids-per-party"


class IdKind(StrEnum):
    """The ids a case system chooses, one register each (the contact log keeps contact ids)."""

    INCIDENT = "incident"
    ASK = "ask"
    ENDED_CALL = "ended_call"  # R4a: a call ended after an ask, recorded later (with its ask, it takes the ask's id)
    WARNING = "warning"
    RESTRICTION = "restriction"
    DECISION = "decision"
    ADJUSTMENT = "adjustment"
    CONTACT = "contact"


class IdOfAnotherParty(Exception):
    """A message whose id is on file for another party: nothing was sent or written."""

    rule = RULE

    def __init__(self, kind: IdKind, message_id: str) -> None:
        super().__init__(
            f"{RULE}: {kind.value} id {message_id!r} is already on file for another party; an id names one "
            f"party's {kind.value} only, so choose a new one"
        )


async def claim(store: RecordStore, kind: IdKind, message_id: str, party_id: str) -> None:
    """Claim `message_id` for `party_id` (again, for a message sent again).

    Raises:
        IdOfAnotherParty: The id is another party's.
    """
    owner = await asyncio.to_thread(store.claim_message_id, kind.value, message_id, party_id, datetime.now(UTC))
    if owner != party_id:
        raise IdOfAnotherParty(kind, message_id)
