"""The inbox's sessions, kept on the server: opened at sign-in, ended at sign-out, at
their idle or absolute timeout, or when their holder is deactivated or their roles change.

The browser holds only a random session id; the table holds its SHA-256, so a copy of it
signs nobody in, and a session ends everywhere the moment its row goes.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from records.security_log import SecurityEvent, SecurityLog
from records.tables import WebSessionRow

# A session's last_seen_at is written at most this often: each page would otherwise
# write to the records database, and the idle timeout is counted in minutes.
_TOUCH_EVERY = timedelta(seconds=15)


@dataclass(frozen=True)
class SessionTimeouts:
    """How long a session lasts: `idle` without a request, `absolute` from sign-in whatever happens."""

    idle: timedelta
    absolute: timedelta


class WebSessions(SecurityLog):
    """Open, find and end the inbox's sessions."""

    def open_session(
        self, staff_id: str, roles: Sequence[str], timeouts: SessionTimeouts, at: datetime | None = None
    ) -> tuple[str, WebSessionRow]:
        """A new session (a new id at every sign-in: no fixation).

        Returns:
            The session id for the cookie (shown only now), and the row kept.
        """
        now = at or datetime.now(UTC)
        session_id = secrets.token_urlsafe(32)
        row = WebSessionRow(
            session_sha256=_hash(session_id),
            staff_id=staff_id,
            roles=sorted(roles),
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timeouts.absolute,
        )
        with Session(self._engine, expire_on_commit=False) as session:
            session.add(row)
            session.commit()
        return session_id, row

    def live_session(
        self, session_id: str, timeouts: SessionTimeouts, at: datetime | None = None
    ) -> WebSessionRow | None:
        """The session, if it is still live, seen now; None if unknown or timed out
        (a timed-out one ends here, and the security log says so)."""
        now = at or datetime.now(UTC)
        with Session(self._engine, expire_on_commit=False) as session:
            row = session.get(WebSessionRow, _hash(session_id))
            if row is None:
                return None
            if now >= row.expires_at or now - row.last_seen_at >= timeouts.idle:
                session.delete(row)
                session.commit()
                why = "absolute" if now >= row.expires_at else "idle"
                self.record_security_event(SecurityEvent.SESSION_EXPIRED, staff_id=row.staff_id, detail=why, at=now)
                return None
            if now - row.last_seen_at >= _TOUCH_EVERY:
                row.last_seen_at = now
                session.add(row)
                session.commit()
            return row

    def end_session(self, session_id: str) -> WebSessionRow | None:
        """End one session (sign-out); the row it had, or None if there was none."""
        with Session(self._engine, expire_on_commit=False) as session:
            row = session.get(WebSessionRow, _hash(session_id))
            if row is not None:
                session.delete(row)
                session.commit()
            return row

    def end_sessions_of(self, staff_id: str, why: str, at: datetime | None = None) -> int:
        """End every session of a member of staff at once (deactivated, roles changed); how many."""
        with self._engine.begin() as connection:
            ended = connection.execute(delete(WebSessionRow).where(col(WebSessionRow.staff_id) == staff_id)).rowcount
        if ended:
            self.record_security_event(SecurityEvent.SESSION_ENDED, staff_id=staff_id, detail=f"{why}:{ended}", at=at)
        return ended

    def sessions_of(self, staff_id: str) -> list[WebSessionRow]:
        """A member of staff's sessions, oldest first."""
        return self._rows(
            select(WebSessionRow).where(col(WebSessionRow.staff_id) == staff_id).order_by(col(WebSessionRow.created_at))
        )


def _hash(session_id: str) -> str:
    # 256 random bits: a plain hash is enough, as for tokens (records.staff).
    return hashlib.sha256(session_id.encode()).hexdigest()
