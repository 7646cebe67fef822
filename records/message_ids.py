"""The register of case systems' ids: which party each one belongs to.

An id is claimed once, by the first party that used it, in one insert that
either lands or meets the claim already there, so two doors claiming the same
id for two parties at the same moment cannot both win.
"""

from datetime import datetime

from sqlalchemy import Table
from sqlmodel import Session

from records.base import StoreBase
from records.tables import MessageIdRow

_CLAIMS: Table = getattr(MessageIdRow, "__table__")  # noqa: B009  (SQLModel sets it on table models only)


class MessageIdRegister(StoreBase):
    """Ids per party, across parties."""

    def claim_message_id(self, kind: str, message_id: str, party_id: str, at: datetime) -> str:
        """Claim `message_id` of `kind` for `party_id`, unless it is claimed already.

        Returns:
            The party the id belongs to: `party_id` if it was free or is that
            party's already (a message sent again), another party's otherwise.
        """
        statement = (
            self._insert(_CLAIMS)
            .on_conflict_do_nothing(index_elements=["kind", "message_id"])
            .returning(_CLAIMS.c.party_id)
        )
        row = {"kind": kind, "message_id": message_id, "party_id": party_id, "claimed_at": at}
        with self._engine.begin() as connection:
            if connection.execute(statement, row).first() is not None:
                return party_id
        with Session(self._engine) as session:
            claimed = session.get(MessageIdRow, (kind, message_id))
        assert claimed is not None  # the insert met it, and claims are removed only with a party's file
        return claimed.party_id
