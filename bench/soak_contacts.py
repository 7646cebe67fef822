"""The soak's inbound contacts, answered by the contact gate (`services.contacts`).

Contacts for restricted parties, for parties with no restriction, and for
parties the body has never heard of (no workflow, nothing on file); one in
ten is sent again with the same contact id. At the end every contact sent is
on the contact log exactly once, and the repeats got the answer on file.
"""

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import col, select

from client.parties import PartyClient
from policy.contacts import ContactAnswer
from policy.messages import InboundContact
from policy.vocabulary import ContactChannel, ContactHandling
from records.store import RecordStore
from records.tables import ContactRow
from services.contacts import answer_contact

CHANNELS = [ContactChannel.EMAIL, ContactChannel.PHONE, ContactChannel.LETTER, ContactChannel.WEB_FORM]
NAMED_CONTACT = "caseworker-7"
ATTEMPTS = 5


@dataclass
class ContactTally:
    sent: set[str] = field(default_factory=set)
    resent: int = 0
    resent_answered_as_duplicate: int = 0
    handling: Counter[str] = field(default_factory=Counter)  # first answers, by handling
    source: Counter[str] = field(default_factory=Counter)  # where the gate read the party from
    retried: Counter[str] = field(default_factory=Counter)  # errors answered by sending again, by kind
    unanswered: dict[str, str] = field(default_factory=dict)


async def contacts(
    parties: PartyClient,
    store: RecordStore,
    tally: ContactTally,
    rng: random.Random,
    stop_at: float,
    restricted: list[str],
    unrestricted: list[str],
    records_up: asyncio.Event,
) -> None:
    """Send contacts until `stop_at`: to the parties the traffic restricted, to the others, to strangers;
    none while `records_up` is clear, as the gate logs each contact in the records database."""
    while time.monotonic() < stop_at:
        await records_up.wait()
        roll = rng.random()
        if roll < 0.45 and restricted:
            party_id = rng.choice(restricted)
        elif roll < 0.9 and unrestricted:
            party_id = rng.choice(unrestricted)
        else:
            party_id = f"stranger-{uuid.uuid4().hex[:10]}"
        contact = InboundContact(
            contact_id=f"con-{uuid.uuid4().hex[:16]}",
            party_id=party_id,
            received_at=datetime.now(UTC),
            channel=rng.choice(CHANNELS),
            to_whom=NAMED_CONTACT if rng.random() < 0.5 else None,
        )
        tally.sent.add(contact.contact_id)
        answer = await _answered(parties, store, contact, tally)
        if answer is not None:
            tally.handling[answer.handling.value] += 1
            tally.source[answer.answered_from.value] += 1
            if rng.random() < 0.1:
                tally.resent += 1
                again = await _answered(parties, store, contact, tally)
                tally.resent_answered_as_duplicate += (
                    again is not None and again.duplicate and again.handling == answer.handling
                )
        await asyncio.sleep(rng.uniform(0.02, 0.2))


async def _answered(
    parties: PartyClient, store: RecordStore, contact: InboundContact, tally: ContactTally
) -> ContactAnswer | None:
    """The gate's answer, sent again with the same id after an error as the API tells
    case systems to (while the worker is down the party's workflow cannot be queried)."""
    for attempt in range(ATTEMPTS):
        try:
            return await answer_contact(parties, store, contact)
        except Exception as err:  # counted: it must still be on file once, or it is lost
            if attempt == ATTEMPTS - 1:
                tally.unanswered[contact.contact_id] = f"{type(err).__name__}: {err}"
            else:
                tally.retried[type(err).__name__] += 1
                await asyncio.sleep(2)
    return None


def accounted(engine: Engine, tally: ContactTally) -> dict[str, int]:
    """The contacts sent against the contact log."""
    with engine.connect() as c:
        on_file = list(c.execute(select(col(ContactRow.contact_id))).scalars())
    mine = [c for c in on_file if c in tally.sent]
    counts = {
        "contacts sent": len(tally.sent),
        "contacts on file": len(set(mine)),
        "contacts on file twice": len(mine) - len(set(mine)),
        "contacts sent twice (same id)": tally.resent,
        "contacts sent twice, answered as the duplicate of the answer on file": tally.resent_answered_as_duplicate,
        "contacts unanswered": len(tally.unanswered),
        **{f"  contacts sent again after {kind}": n for kind, n in sorted(tally.retried.items())},
        "contacts allowed (respond as usual)": tally.handling[ContactHandling.RESPOND.value],
    }
    counts |= {
        f"  contacts handled as {handling}": n
        for handling, n in sorted(tally.handling.items())
        if handling != ContactHandling.RESPOND.value
    }
    counts |= {f"  contacts read from the party's {source}": n for source, n in sorted(tally.source.items())}
    return counts
