"""Corrections and disputes (Art. 16): kept once per correction id beside the party's file, never
changing the records they are about (policy.corrections)."""

from sqlmodel import col, select

from policy.corrections import CorrectionEntry
from records.base import StoreBase, Write
from records.tables import CorrectionRow

_CORRECTION = Write(CorrectionRow, "correction_id", upsert=False)


class CorrectionFile(StoreBase):
    """The annex of corrections and disputes to the parties' files."""

    def add_correction(self, party_id: str, entry: CorrectionEntry) -> tuple[CorrectionEntry, str, bool]:
        """Keep a correction or dispute, unless its id is on file already.

        Returns:
            The entry on file, the party whose file it is on, and whether it is `entry` (False: the
            id was recorded before, maybe for another party, and that stands).
        """
        statement = (
            self._insert(_CORRECTION.table)
            .on_conflict_do_nothing(index_elements=[_CORRECTION.key])
            # What came back tells an insert from a conflict: psycopg's rowcount here is -1.
            .returning(_CORRECTION.table.c[_CORRECTION.key])
        )
        with self._engine.begin() as connection:
            row = {"party_id": party_id, **entry.model_dump(mode="json")} | {"recorded_at": entry.recorded_at}
            inserted = connection.execute(statement, row).first() is not None
        if inserted:
            return entry, party_id, True
        [stored] = self._rows(select(CorrectionRow).where(CorrectionRow.correction_id == entry.correction_id))
        return CorrectionEntry.model_validate(stored, from_attributes=True), stored.party_id, False

    def corrections(self, party_id: str) -> list[CorrectionRow]:
        """The party's corrections and disputes, in the order they were added."""
        return self._rows(
            select(CorrectionRow).where(CorrectionRow.party_id == party_id).order_by(col(CorrectionRow.seq))
        )
