"""The notice queue and the digests sent: what the mail activities read and close.

The party workflow queues notices (`EffectWriter`, insert-if-absent on the
notice id). The notice dispatch closes each exactly once: `close_notice`
changes only a queued notice, so a retried or repeated close changes nothing.
"""

from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import col, select

from policy.payloads import NoticeDelivery
from policy.vocabulary import NoticeStatus
from records.base import StoreBase, Write
from records.tables import DigestRow, NoticeRow

_DIGEST = Write(DigestRow, "digest_id", upsert=False)


class NoticeQueue(StoreBase):
    """Notices to staff and their delivery; digests sent."""

    def notices(
        self, party_id: str | None = None, unsent_only: bool = False, status: NoticeStatus | None = None
    ) -> list[NoticeRow]:
        """Notices to staff, in the order they were queued.

        Args:
            party_id: Only this party's notices; all parties' if None.
            unsent_only: Only notices still queued.
            status: Only notices in this status.
        """
        query = select(NoticeRow).order_by(col(NoticeRow.seq))
        if party_id is not None:
            query = query.where(NoticeRow.party_id == party_id)
        if unsent_only:
            status = NoticeStatus.QUEUED
        if status is not None:
            query = query.where(NoticeRow.status == NoticeStatus(status).value)
        return self._rows(query)

    def notice(self, notice_id: str) -> NoticeRow | None:
        """One notice by its id, or None."""
        found = self._rows(select(NoticeRow).where(NoticeRow.notice_id == notice_id))
        return found[0] if found else None

    def queued_notice_ids(self, limit: int) -> list[str]:
        """The ids of up to `limit` queued notices, oldest first."""
        query = (
            select(NoticeRow.notice_id)
            .where(NoticeRow.status == NoticeStatus.QUEUED.value)
            .order_by(col(NoticeRow.seq))
            .limit(limit)
        )
        return self._rows(query)

    def close_notice(self, delivery: NoticeDelivery) -> bool:
        """Record what became of a queued notice; the first close counts.

        Args:
            delivery: Sent (with whom it went to and who it missed), skipped or
                undeliverable (with why).

        Returns:
            True if the notice was queued until now.
        """
        if delivery.status == NoticeStatus.QUEUED:
            raise ValueError("a notice is closed as sent, skipped or undeliverable")
        values = {
            "status": delivery.status.value,
            "closed_at": delivery.at,
            "recipients": delivery.recipients,
            "not_reached": delivery.not_reached,
            "problem": delivery.problem,
        }
        if delivery.status == NoticeStatus.SENT:
            values["sent_at"] = delivery.at
        with self._engine.begin() as connection:
            result = connection.execute(
                update(NoticeRow)
                .where(col(NoticeRow.notice_id) == delivery.notice_id)
                .where(col(NoticeRow.status) == NoticeStatus.QUEUED.value)
                .values(**values)
            )
        return result.rowcount == 1

    def requeue_notice(self, notice_id: str) -> bool:
        """Queue a skipped or undeliverable notice again, for the next dispatch.

        Returns:
            False if there is no such notice, or it is queued or sent already.
        """
        with self._engine.begin() as connection:
            result = connection.execute(
                update(NoticeRow)
                .where(col(NoticeRow.notice_id) == notice_id)
                .where(col(NoticeRow.status).in_([NoticeStatus.SKIPPED.value, NoticeStatus.UNDELIVERABLE.value]))
                .values(status=NoticeStatus.QUEUED.value, closed_at=None)
            )
        return result.rowcount == 1

    def digest(self, digest_id: str) -> DigestRow | None:
        """The digest sent under this key (`staff_id:day`), or None."""
        found = self._rows(select(DigestRow).where(DigestRow.digest_id == digest_id))
        return found[0] if found else None

    def record_digest(self, digest_id: str, staff_id: str, day: date, task_ids: list[str], at: datetime) -> bool:
        """Record that a digest went; the first record counts.

        Returns:
            True if it was not recorded before.
        """
        row = {"digest_id": digest_id, "staff_id": staff_id, "day": day, "task_ids": task_ids, "sent_at": at}
        statement = self._insert(_DIGEST.table).on_conflict_do_nothing(index_elements=[_DIGEST.key])
        with self._engine.begin() as connection:
            # One row, not a list: its rowcount says whether it was inserted.
            result = connection.execute(statement, row)
        return result.rowcount == 1

    def digests(self, staff_id: str | None = None) -> list[DigestRow]:
        """Digests sent, oldest first."""
        query = select(DigestRow).order_by(col(DigestRow.seq))
        if staff_id is not None:
            query = query.where(DigestRow.staff_id == staff_id)
        return self._rows(query)
