"""The import ledger: which parties `ubp import` has adopted, written with their files.

A party's file and its ledger row are written in one transaction, so an
import that stops part way leaves each party imported whole or not at all;
a re-run skips what the ledger shows and starts any workflow it shows not yet
started.
"""

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from policy.effects import EffectBatch
from records.base import Write
from records.tables import ImportedPartyRow
from records.writes import EffectWriter

_LEDGER = Write(ImportedPartyRow, "party_id", upsert=False)


class ImportLedger(EffectWriter):
    """Parties adopted from another case system."""

    def imported_party(self, party_id: str) -> ImportedPartyRow | None:
        """The ledger's row for a party, or None if it was never imported."""
        with Session(self._engine) as session:
            return session.get(ImportedPartyRow, party_id)

    def import_party(self, batch: EffectBatch, ledger: ImportedPartyRow) -> bool:
        """Write a party's file and its ledger row in one transaction.

        Returns:
            False, writing nothing, if the ledger already has the party (another
            import got there first).
        """
        row = ledger.model_dump()
        with self._engine.begin() as connection:
            statement = (
                self._insert(_LEDGER.table)
                .on_conflict_do_nothing(index_elements=[_LEDGER.key])
                # What came back tells an insert from a conflict: psycopg's rowcount here is -1.
                .returning(_LEDGER.table.c[_LEDGER.key])
            )
            if connection.execute(statement, row).first() is None:
                return False
            self._write_with_events(connection, batch)
        return True

    def mark_workflow_started(self, party_id: str, at: datetime) -> None:
        """Record that the imported party's workflow runs."""
        with self._engine.begin() as connection:
            connection.execute(
                update(ImportedPartyRow)
                .where(col(ImportedPartyRow.party_id) == party_id)
                .values(workflow_started_at=at)
            )
