"""R10: the letters on a party's file, as made, when and how each was sent, and who downloaded it."""

from datetime import datetime

from pydantic import BaseModel, Field
from sqlmodel import Session, col, select, update

from policy.events import EventType, LetterData, letter_event
from policy.letters import LetterContent, LetterKind
from policy.vocabulary import LetterFormat, SendingMethod
from records import outbox
from records.base import StoreBase, Write
from records.tables import LetterReadRow, LetterRow

_LETTER = Write(LetterRow, "letter_id", upsert=False)


class LetterInfo(BaseModel):
    """A letter on file without its text: what it is about, when it was made, its hash, whether it was sent."""

    letter_id: str
    party_id: str
    kind: LetterKind
    subject_id: str = Field(description="the warning, restriction or adjustment the decision was about")
    decided_at: datetime = Field(description="when the decision took effect; the letter's date")
    format: LetterFormat
    produced_at: datetime
    content_hash: str = Field(description="SHA-256 of the HTML, a zero byte, and the PDF, as stored")
    sent_at: datetime | None = None
    sent_method: SendingMethod | None = None


# Every column but the letter's text: a list of a party's letters reads no HTML or PDF.
_INFO_COLUMNS = [col(getattr(LetterRow, name)) for name in LetterInfo.model_fields]


class LetterFile(StoreBase):
    """The party's letters: kept once per letter id, never changed but for when and how they were sent."""

    def store_letter(
        self, letter: LetterContent, produced_at: datetime, html: str, pdf: bytes, content_hash: str
    ) -> bool:
        """Keep a letter unless its id is on file.

        Args:
            letter: What it says (kept whole in `data`).
            produced_at: When it was asked for: the workflow's time, or a service's.
            html: As printed (printing.Printer).
            pdf: As printed.
            content_hash: Over the HTML and the PDF (printing.RenderedLetter.content_hash).

        Returns:
            True if it was stored now; False if a letter with its id was on file.
        """
        row = {
            "letter_id": letter.letter_id,
            "party_id": letter.party_id,
            "kind": letter.kind.value,
            "subject_id": letter.subject_id,
            "format": letter.format.value,
            "decided_at": letter.decided_at,
            "produced_at": produced_at,
            "content_hash": content_hash,
            "html": html,
            "pdf": pdf,
            "data": letter.model_dump(mode="json"),
        }
        statement = (
            self._insert(_LETTER.table)
            .on_conflict_do_nothing(index_elements=[_LETTER.key])
            # What came back tells an insert from a conflict: psycopg's rowcount is -1.
            .returning(_LETTER.table.c[_LETTER.key])
        )
        with self._engine.begin() as connection:
            stored = connection.execute(statement, row).first() is not None
            if stored:
                made = LetterData.model_validate(row | {"kind": letter.kind, "format": letter.format})
                outbox.record(connection, self._insert, [letter_event(letter.party_id, EventType.LETTER_MADE, made)])
            return stored

    def letter(self, letter_id: str) -> LetterRow | None:
        with Session(self._engine) as session:
            return session.exec(select(LetterRow).where(LetterRow.letter_id == letter_id)).first()

    def letters(self, party_id: str | None = None) -> list[LetterRow]:
        """A party's letters (or everyone's), in the order they were made."""
        query = select(LetterRow).order_by(col(LetterRow.seq))
        if party_id is not None:
            query = query.where(LetterRow.party_id == party_id)
        return self._rows(query)

    def letter_infos(self, party_id: str) -> list[LetterInfo]:
        """A party's letters without their text, in the order they were made."""
        query = select(*_INFO_COLUMNS).where(LetterRow.party_id == party_id).order_by(col(LetterRow.seq))
        with Session(self._engine) as session:
            return [LetterInfo.model_validate(row._asdict()) for row in session.exec(query).all()]

    def letter_info(self, letter_id: str) -> LetterInfo | None:
        """One letter without its text, or None if no letter has the id."""
        with Session(self._engine) as session:
            row = session.exec(select(*_INFO_COLUMNS).where(LetterRow.letter_id == letter_id)).first()
        return None if row is None else LetterInfo.model_validate(row._asdict())

    def mark_letter_sent(self, letter_id: str, at: datetime, method: SendingMethod) -> bool:
        """Record that the case system sent the letter, when and how; the first time stands.

        Returns:
            True if it was marked now; False if it was marked before, or no letter has the id.
        """
        statement = (
            update(LetterRow)
            .where(col(LetterRow.letter_id) == letter_id, col(LetterRow.sent_at).is_(None))
            .values(sent_at=at, sent_method=method.value)
            .returning(*_INFO_COLUMNS)
        )
        with self._engine.begin() as connection:
            marked = connection.execute(statement).first()
            if marked is not None:
                sent = LetterData.model_validate(marked._asdict())
                outbox.record(connection, self._insert, [letter_event(marked.party_id, EventType.LETTER_SENT, sent)])
            return marked is not None

    def record_letter_read(self, letter: LetterRow, staff_id: str, part: str, door: str, at: datetime) -> None:
        """Log one download of a letter; the caller serves it only once this is written."""
        row = LetterReadRow(
            letter_id=letter.letter_id, party_id=letter.party_id, staff_id=staff_id, part=part, door=door, at=at
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()

    def letter_reads(self, letter_id: str) -> list[LetterReadRow]:
        """Who downloaded the letter, and when, in the order they did."""
        query = select(LetterReadRow).where(LetterReadRow.letter_id == letter_id).order_by(col(LetterReadRow.seq))
        return self._rows(query)
