"""The contact gate: the one path the HTTP API, the CLI and Python callers take
for an inbound contact (R8, R9, R15, R17, R19).

The decision is the policy's (`policy.contacts.answer_contact`, pure); this
service gathers what it reads, where IO is allowed, and keeps the answer:

- the party's gate view from its open workflow by a query, which adds no
  event to its history however many contacts arrive; a party with no open
  workflow is read from its file, and no workflow is started for it; nor is
  one whose workflow does not answer in time (the gate always answers);
- the England and Wales bank holidays the respond-by date needs;
- the contacts already logged in the periods a volume limit counts over;
- the answer, into the contact log, keyed by the contact id: the same
  contact sent again gets the answer on file.
"""

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from temporalio.client import RPCTimeoutOrCancelledError, WorkflowQueryFailedError
from temporalio.service import RPCError

from client.parties import PartyClient
from holiday_calendar import england_and_wales
from policy import contacts
from policy.contacts import ContactAnswer, GateSource, GateView, LimitPeriod
from policy.fields import Door
from policy.messages import InboundContact
from policy.need_to_know import Viewer, status_for
from policy.permissions import Action
from policy.replies import PartyStatus
from records.store import RecordStore
from services.acting import Principal, permit
from services.file_reads import log_read
from services.message_ids import IdKind, IdOfAnotherParty

# As many as the party's status shows; the whole log is on its file.
RECENT_CONTACTS = 20
# How long the gate waits for the party's workflow before it reads the file instead: a
# member of staff is on the phone, and a query answers in milliseconds when a worker is
# polling; past this, one is not (down, or replaying a long history), and the file, at
# most one write behind the workflow, answers.
GATE_QUERY_DEADLINE = timedelta(seconds=2)
logger = logging.getLogger(__name__)


async def answer_contact(parties: PartyClient, store: RecordStore, contact: InboundContact) -> ContactAnswer:
    """How to handle an inbound contact and by when, recorded in the party's contact log.

    Args:
        parties: The Temporal client module: the party's workflow is queried, never started.
        store: The records database: the party's file and its contact log.
        contact: The contact, validated.

    Returns:
        The answer; `duplicate` is true when the contact id was answered before
        (that answer stands, and nothing is recorded again).

    Raises:
        IdOfAnotherParty: The contact id is on file for another party.
    """
    view, source = await _view(parties, store, contact.party_id)
    counts = await asyncio.to_thread(_counts, store, view, contact)
    answer = contacts.answer_contact(
        view,
        contact,
        calendar=england_and_wales(*contacts.calendar_years(view, contact)),
        prior_contacts=counts,
        answered_from=source,
        answered_at=datetime.now(UTC),
    )
    stored, recorded = await asyncio.to_thread(store.record_contact, answer)
    if recorded:
        return stored
    if stored.contact.party_id != contact.party_id:
        raise IdOfAnotherParty(IdKind.CONTACT, contact.contact_id)
    return stored.model_copy(update={"duplicate": True})


async def _view(parties: PartyClient, store: RecordStore, party_id: str) -> tuple[GateView, GateSource]:
    try:
        view = await asyncio.wait_for(parties.gate_view(party_id), GATE_QUERY_DEADLINE.total_seconds())
    except (TimeoutError, RPCError, RPCTimeoutOrCancelledError, WorkflowQueryFailedError) as err:
        # Only the kind of failure: a party id may be a case system's reference to a person.
        logger.warning("the contact gate read a party's file: its workflow did not answer (%s)", type(err).__name__)
        late = True
    else:
        if view is not None:
            return view, GateSource.WORKFLOW
        late = False
    filed = await asyncio.to_thread(store.load_gate_view, party_id, parties.timezone)
    if filed is not None:
        return filed, GateSource.FILE_FALLBACK if late else GateSource.FILE
    return GateView(party_id=party_id, timezone=parties.timezone), GateSource.NONE


def _counts(store: RecordStore, view: GateView, contact: InboundContact) -> dict[LimitPeriod, int]:
    return {
        period: store.count_contacts(contact.party_id, period.starts_at, period.ends_at, excluding=contact.contact_id)
        for period in contacts.limit_periods(view, contact)
    }


async def party_status(
    parties: PartyClient, store: RecordStore, party_id: str, reader: Principal, door: Door
) -> PartyStatus:
    """The party's status from its workflow, with its contact log's latest answers from its file;
    the read logged (`file_read`) before it is handed back.

    Every door reads a status here (the API's GET /parties/{id}, `ubp status`, the
    inbox's party summary), so need to know is applied here: a colleague's support
    (R18) and a party's adjustments and the advice on them (R16) are handed back in
    detail only if `reader` may read them (policy.need_to_know.status_for); anyone
    else gets each of them, its ids, state and dates, and who may read the rest.

    Raises:
        NotPermitted: `reader` may not read a party's status (R3).
    """
    permit(reader, Action.READ_STATUS)
    status = await parties.status(party_id)

    def from_file() -> tuple[list[ContactAnswer], int]:
        recent, count = store.contacts(party_id, RECENT_CONTACTS), store.contact_count(party_id)
        log_read(store, reader, party_id, "status", door)
        return recent, count

    recent, count = await asyncio.to_thread(from_file)
    shown = status_for(status, Viewer(staff_id=reader.id, roles=reader.roles))
    return shown.model_copy(update={"recent_contacts": recent, "contact_count": count})
