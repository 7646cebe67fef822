"""The security log: sign-ins, sign-outs, sessions ended, tokens issued and revoked, role
changes, refusals (401, 403, 429), decrypted reads and erasures (OWASP ASVS V7).

Structured and without personal data: an event names the account (a staff id, as the
file's record of who acted does), never a name, an address, an IP address or a party;
a refusal names the route's template, not the path asked for.
"""

from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from records.base import StoreBase
from records.tables import SecurityEventRow


class SecurityEvent(StrEnum):
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    SESSION_EXPIRED = "session_expired"
    # A session ended by something else than its holder: deactivation, a change of roles.
    SESSION_ENDED = "session_ended"
    TOKEN_ISSUED = "token_issued"
    TOKEN_REVOKED = "token_revoked"
    ROLE_CHANGE = "role_change"
    DEACTIVATED = "deactivated"
    UNAUTHORISED = "unauthorised"
    FORBIDDEN = "forbidden"
    RATE_LIMITED = "rate_limited"
    CSRF_REFUSED = "csrf_refused"
    PAYLOAD_DECODE = "payload_decode"
    ERASURE = "erasure"


class SecurityLog(StoreBase):
    """Writes and reads the security log."""

    def record_security_event(
        self,
        kind: SecurityEvent,
        *,
        staff_id: str | None = None,
        detail: str | None = None,
        route: str | None = None,
        status: int | None = None,
        at: datetime | None = None,
    ) -> None:
        """Log one event.

        Args:
            kind: What happened.
            staff_id: The account it concerns, if known.
            detail: A short code or count, never free text from a request (it may hold personal data).
            route: The route's template, for refusals.
            status: The HTTP status answered, for refusals.
            at: When; now if None.
        """
        with Session(self._engine) as session:
            session.add(
                SecurityEventRow(
                    at=at or datetime.now(UTC),
                    kind=SecurityEvent(kind).value,
                    staff_id=staff_id,
                    detail=detail,
                    route=route,
                    status=status,
                )
            )
            session.commit()

    def security_events(
        self,
        *,
        kind: SecurityEvent | None = None,
        staff_id: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> list[SecurityEventRow]:
        """The newest events first, at most `limit`, filtered by kind, account and time."""
        query = select(SecurityEventRow).order_by(col(SecurityEventRow.seq).desc()).limit(limit)
        if kind is not None:
            query = query.where(col(SecurityEventRow.kind) == SecurityEvent(kind).value)
        if staff_id is not None:
            query = query.where(col(SecurityEventRow.staff_id) == staff_id)
        if since is not None:
            query = query.where(col(SecurityEventRow.at) >= since)
        return self._rows(query)
