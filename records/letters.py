"""R10: the letters on a party's file, as made, and when each was sent."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select, update

from records.base import StoreBase, Write
from records.tables import LetterRow

_LETTER = Write(LetterRow, "letter_id", upsert=False)


class LetterFile(StoreBase):
    """The party's letters: kept once per letter id, never changed but for `sent_at`."""

    def store_letter(self, row: dict[str, Any]) -> bool:
        """Keep a letter unless its id is on file.

        Args:
            row: The `letter` table's columns.

        Returns:
            True if it was stored now; False if a letter with its id was on file.
        """
        statement = (
            self._insert(_LETTER.table)
            .on_conflict_do_nothing(index_elements=[_LETTER.key])
            # What came back tells an insert from a conflict: psycopg's rowcount is -1.
            .returning(_LETTER.table.c[_LETTER.key])
        )
        with self._engine.begin() as connection:
            return connection.execute(statement, row).first() is not None

    def letter(self, letter_id: str) -> LetterRow | None:
        with Session(self._engine) as session:
            return session.exec(select(LetterRow).where(LetterRow.letter_id == letter_id)).first()

    def letters(self, party_id: str | None = None) -> list[LetterRow]:
        """A party's letters (or everyone's), in the order they were made."""
        query = select(LetterRow).order_by(col(LetterRow.seq))
        if party_id is not None:
            query = query.where(LetterRow.party_id == party_id)
        return self._rows(query)

    def mark_letter_sent(self, letter_id: str, at: datetime) -> bool:
        """Record that the case system sent the letter; the first time stands.

        Returns:
            True if the letter is on file (sent now or before); False if it is not.
        """
        with self._engine.begin() as connection:
            connection.execute(
                update(LetterRow)
                .where(col(LetterRow.letter_id) == letter_id, col(LetterRow.sent_at).is_(None))
                .values(sent_at=at)
            )
        return self.letter(letter_id) is not None
