"""The audit log of decrypted reads: every decode through the codec endpoint, without its content."""

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from records.security_log import SecurityEvent, SecurityLog
from records.tables import DecodeAuditRow


class DecodeAudit(SecurityLog):
    """Who decoded how many Temporal payloads, in which namespace, and when."""

    def record_decode(self, staff_id: str, namespace: str, payload_count: int, at: datetime | None = None) -> None:
        """Log one decode; the caller answers only once this is written.

        Args:
            staff_id: Who asked.
            namespace: The Temporal namespace the payloads came from (`X-Namespace`).
            payload_count: How many payloads were decoded.
            at: When; now if None.
        """
        now = at or datetime.now(UTC)
        with Session(self._engine) as session:
            session.add(DecodeAuditRow(staff_id=staff_id, namespace=namespace, payload_count=payload_count, at=now))
            session.commit()
        # The security log has every decrypted read too, beside the other events an operator reviews.
        self.record_security_event(SecurityEvent.PAYLOAD_DECODE, staff_id=staff_id, detail=str(payload_count), at=now)

    def decodes(self, *, staff_id: str | None = None) -> list[DecodeAuditRow]:
        """The decode log in the order it was written, all or one person's."""
        query = select(DecodeAuditRow).order_by(col(DecodeAuditRow.seq))
        if staff_id is not None:
            query = query.where(col(DecodeAuditRow.staff_id) == staff_id)
        return self._rows(query)
