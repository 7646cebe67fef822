"""The contact log: every answer of the contact gate, on the party's file (R3).

The gate writes here itself, not through the party's workflow, so a party
that sends hundreds of contacts a day adds nothing to its workflow history.
The contact id is the key: a contact is answered, and recorded, once.
"""

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from policy.contacts import ContactAnswer
from records.base import StoreBase, Write
from records.tables import ContactRow

_CONTACT = Write(ContactRow, "contact_id", upsert=False)


class ContactLog(StoreBase):
    """The gate's answers, per party."""

    def record_contact(self, answer: ContactAnswer) -> tuple[ContactAnswer, bool]:
        """Keep an answer, unless its contact id is on file already.

        Args:
            answer: The gate's answer.

        Returns:
            The answer on file, and whether it is `answer` (False: the contact
            id was answered before, maybe concurrently, and that answer stands).
        """
        contact = answer.contact
        row = {
            "contact_id": contact.contact_id,
            "party_id": contact.party_id,
            "received_at": contact.received_at,
            "channel": contact.channel.value,
            "case_reference": contact.case_reference,
            "handling": answer.handling.value,
            "respond_by": answer.respond_by,
            "possible_breach": answer.possible_breach is not None,
            "answered_at": answer.answered_at,
            "data": answer.model_dump(mode="json"),
        }
        statement = (
            self._insert(_CONTACT.table)
            .on_conflict_do_nothing(index_elements=[_CONTACT.key])
            # What came back tells an insert from a conflict: psycopg's rowcount here is -1.
            .returning(_CONTACT.table.c[_CONTACT.key])
        )
        with self._engine.begin() as connection:
            inserted = connection.execute(statement, row).first() is not None
        if inserted:
            return answer, True
        stored = self.contact_answer(contact.contact_id)
        assert stored is not None  # the insert met it
        return stored, False

    def contact_answer(self, contact_id: str) -> ContactAnswer | None:
        """The answer on file for a contact id, or None."""
        with Session(self._engine) as session:
            row = session.get(ContactRow, contact_id)
        return ContactAnswer.model_validate(row.data) if row is not None else None

    def count_contacts(self, party_id: str, starts_at: datetime, ends_at: datetime, excluding: str) -> int:
        """How many of the party's contacts, other than `excluding`, were received in [starts_at, ends_at)."""
        with Session(self._engine) as session:
            return session.exec(
                select(func.count())
                .select_from(ContactRow)
                .where(
                    ContactRow.party_id == party_id,
                    col(ContactRow.received_at) >= starts_at,
                    col(ContactRow.received_at) < ends_at,
                    ContactRow.contact_id != excluding,
                )
            ).one()

    def contacts(self, party_id: str, limit: int | None = None) -> list[ContactAnswer]:
        """The party's logged answers, the latest received first."""
        query = (
            select(ContactRow.data)
            .where(ContactRow.party_id == party_id)
            .order_by(col(ContactRow.received_at).desc(), col(ContactRow.contact_id).desc())
        )
        if limit is not None:
            query = query.limit(limit)
        return [ContactAnswer.model_validate(data) for data in self._rows(query)]

    def contact_count(self, party_id: str) -> int:
        """How many contacts the party's log holds."""
        with Session(self._engine) as session:
            query = select(func.count()).select_from(ContactRow).where(ContactRow.party_id == party_id)
            return session.exec(query).one()
