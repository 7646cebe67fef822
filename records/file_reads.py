"""Who read a party's file: its status, timeline and letters, each read logged as letter
downloads are (`records.letters`): who, carried by which system, what, through which
door, when. Never the content.

Part of the party's file, so R3's erasure takes the log with it; a read is not
activity on the file, so it does not put off retention (`FileReadRow`).
"""

from datetime import datetime

from sqlmodel import Session, col, select

from records.base import StoreBase
from records.tables import FileReadRow


class FileReadLog(StoreBase):
    """The log of reads of the parties' files."""

    def record_read(self, party_id: str, staff_id: str, via: str | None, what: str, door: str, at: datetime) -> None:
        """Log one read; the caller shows what was read only once this is written.

        Args:
            party_id: Whose file.
            staff_id: Who read it: the signed-in principal.
            via: The case system that carried the read for them; None when they read for themselves.
            what: What was read, in words (`status`, `timeline page 1`, `letters` ...), never its content.
            door: Where they signed in (`api`, `inbox`, `cli`).
            at: When.
        """
        row = FileReadRow(party_id=party_id, staff_id=staff_id, via=via, what=what, door=door, at=at)
        with Session(self._engine) as session:
            session.add(row)
            session.commit()

    def file_reads(self, party_id: str) -> list[FileReadRow]:
        """Who read the party's file, and what, in the order they did."""
        return self._rows(select(FileReadRow).where(FileReadRow.party_id == party_id).order_by(col(FileReadRow.seq)))
