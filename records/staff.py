"""Staff, the roles they hold (R7, R16), their email addresses, the identity-provider
subject each signs in to the inbox as, and the bearer tokens of case systems and `ubp`."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from policy.vocabulary import Role
from records.base import Write
from records.security_log import SecurityEvent
from records.sessions import WebSessions
from records.tables import ApiTokenRow, StaffRow

_STAFF = Write(StaffRow, "staff_id", upsert=True, kept=("created_at",))
# A token's last use is written at most this often: every API call would otherwise write.
_TOKEN_USE_EVERY = timedelta(minutes=1)
# The length of the token id `ubp tokens list` shows and `ubp tokens revoke` takes: a
# prefix of the token's hash, which says nothing about the token itself.
TOKEN_ID_LENGTH = 12
# A token's lifetime unless its issuer says otherwise: a quarter, so a forgotten case
# system's token does not outlive the next review of who holds one.
DEFAULT_TOKEN_DAYS = 90


def valid_email(address: str) -> str:
    """An email address checked for form (not by sending to it) and normalised.

    Raises:
        ValueError: Saying what is wrong with it.
    """
    try:
        # No DNS lookup: the records database must be writable offline, and a
        # domain that does not resolve today may tomorrow.
        return validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError as err:
        raise ValueError(f"not a valid email address {address!r}: {err}") from None


class StaffDirectory(WebSessions):
    """The staff list, the tokens issued to case systems and staff, and their sessions."""

    def add_staff(
        self,
        staff_id: str,
        name: str,
        roles: Sequence[Role],
        *,
        active: bool = True,
        email: str | None = None,
        digest: bool | None = None,
        at: datetime | None = None,
    ) -> StaffRow:
        """Add a member of staff, or replace the name, roles and active flag of one already known.

        Args:
            staff_id: The id staff use in messages (`decided_by`, `proposed_by` ...).
            name: Their name.
            roles: The roles they hold (at least one).
            active: False for someone who no longer decides tasks.
            email: Where their notices go (validated); None keeps the one on file.
            digest: Whether they get the daily digest; None keeps their choice.
            at: When; now if None.

        Returns:
            The row as stored.

        Raises:
            ValueError: An empty id, no role, an invalid address, or a digest
                for someone without an address.
        """
        staff_id = staff_id.strip()
        if not staff_id:
            raise ValueError("a staff id must not be empty")
        held = sorted({Role(r).value for r in roles})
        if not held:
            raise ValueError("a member of staff holds at least one role")
        if Role.CASE_SYSTEM.value in held:
            raise ValueError("case_system is a case system's role, never a person's: `ubp staff add-system` adds one")
        known = self.staff(staff_id)
        if known is not None and known.kind != "person":
            raise ValueError(f"{staff_id!r} is a case system's account, not a member of staff")
        now = at or datetime.now(UTC)
        row: dict[str, Any] = {
            "staff_id": staff_id,
            "name": name,
            "roles": held,
            "active": active,
            "kind": "person",
            "acts_for": [],
            "created_at": now,
            "updated_at": now,
        }
        # Left out of the row, an address or a digest choice already on file stays.
        row |= self._contact(staff_id, email, digest)
        with self._engine.begin() as connection:
            self._write(connection, _STAFF, [row])
        if known is not None and sorted(known.roles) != held:
            # A session acts in the roles it was opened with: a change of roles ends them.
            self.record_security_event(SecurityEvent.ROLE_CHANGE, staff_id=staff_id, detail=",".join(held), at=now)
            self.end_sessions_of(staff_id, "role_change", at=now)
        found = self.staff(staff_id)
        assert found is not None
        return found

    def link_subject(self, staff_id: str, subject: str | None, at: datetime | None = None) -> StaffRow:
        """Say which identity-provider subject (`sub`) signs in to the inbox as a member of staff.

        Args:
            staff_id: A known member of staff (a person).
            subject: The provider's subject for them; None unlinks them (and ends their sessions).

        Raises:
            ValueError: They are unknown or a case system, or the subject is another person's.
        """
        known = self.staff(staff_id)
        if known is None or known.kind != "person":
            raise ValueError(f"unknown member of staff {staff_id!r}: add them with `ubp staff add`")
        holder = self.staff_for_subject(subject) if subject else None
        if holder is not None and holder.staff_id != staff_id:
            raise ValueError(f"that subject already signs in as {holder.staff_id!r}")
        with self._engine.begin() as connection:
            connection.execute(
                update(StaffRow)
                .where(col(StaffRow.staff_id) == staff_id)
                .values(idp_subject=subject or None, updated_at=at or datetime.now(UTC))
            )
        if known.idp_subject and known.idp_subject != subject:
            self.end_sessions_of(staff_id, "subject_changed", at=at)
        found = self.staff(staff_id)
        assert found is not None
        return found

    def staff_for_subject(self, subject: str) -> StaffRow | None:
        """The member of staff an identity-provider subject signs in as (active or not), or None."""
        found: list[StaffRow] = self._rows(select(StaffRow).where(col(StaffRow.idp_subject) == subject))
        return found[0] if found else None

    def add_system(
        self, system_id: str, name: str, acts_for: Sequence[str], *, active: bool = True, at: datetime | None = None
    ) -> StaffRow:
        """Add a case system's own account, or replace its name, who it acts for and its active flag.

        Args:
            system_id: Its id, as its tokens and the file name it (`via`).
            name: What it is called.
            acts_for: The staff it may act for (`*`: any active member of staff); empty: only for itself.
            active: False to stop it acting at all.
            at: When; now if None.

        Raises:
            ValueError: An empty id, or the id of a member of staff.
        """
        system_id = system_id.strip()
        if not system_id:
            raise ValueError("a case system's id must not be empty")
        known = self.staff(system_id)
        if known is not None and known.kind != "system":
            raise ValueError(f"{system_id!r} is a member of staff, not a case system")
        now = at or datetime.now(UTC)
        row = {
            "staff_id": system_id,
            "name": name,
            "roles": [Role.CASE_SYSTEM.value],
            "active": active,
            "kind": "system",
            "acts_for": sorted({a.strip() for a in acts_for if a.strip()}),
            "email": None,
            "digest": False,
            "created_at": now,
            "updated_at": now,
        }
        with self._engine.begin() as connection:
            self._write(connection, _STAFF, [row])
        found = self.staff(system_id)
        assert found is not None
        return found

    def set_email(
        self, staff_id: str, email: str | None, digest: bool | None = None, at: datetime | None = None
    ) -> StaffRow:
        """Give a member of staff an email address, or take it away (and their digest with it).

        Args:
            staff_id: A known member of staff.
            email: The address (validated); None removes it.
            digest: Whether they get the daily digest; None keeps their choice.
            at: When; now if None.

        Raises:
            ValueError: If they are unknown, the address is invalid, or a
                digest is asked for without an address.
        """
        if self.staff(staff_id) is None:
            raise ValueError(f"unknown member of staff {staff_id!r}: add them with `ubp staff add`")
        values = {"email": None, "digest": False} if email is None else self._contact(staff_id, email, digest)
        with self._engine.begin() as connection:
            connection.execute(
                update(StaffRow)
                .where(col(StaffRow.staff_id) == staff_id)
                .values(**values, updated_at=at or datetime.now(UTC))
            )
        found = self.staff(staff_id)
        assert found is not None
        return found

    def _contact(self, staff_id: str, email: str | None, digest: bool | None) -> dict[str, Any]:
        """The email and digest columns to write: only those given, checked together."""
        values: dict[str, Any] = {}
        if email is not None:
            values["email"] = valid_email(email)
        if digest is not None:
            values["digest"] = digest
        if digest:
            known = self.staff(staff_id)
            if "email" not in values and (known is None or not known.email):
                raise ValueError(f"{staff_id!r} has no email address to send the daily digest to")
        return values

    def set_staff_active(self, staff_id: str, active: bool, at: datetime | None = None) -> bool:
        """Mark a member of staff active or inactive; False if unknown.

        Deactivation ends their sessions and revokes their tokens at once, so that
        reactivating them later brings neither back.
        """
        with self._engine.begin() as connection:
            result = connection.execute(
                update(StaffRow)
                .where(col(StaffRow.staff_id) == staff_id)
                .values(active=active, updated_at=at or datetime.now(UTC))
            )
        if result.rowcount != 1:
            return False
        if not active:
            self.record_security_event(SecurityEvent.DEACTIVATED, staff_id=staff_id, at=at)
            self.end_sessions_of(staff_id, "deactivated", at=at)
            self.revoke_tokens(staff_id)
        return True

    def staff(self, staff_id: str) -> StaffRow | None:
        """One member of staff, or None."""
        with Session(self._engine) as session:
            return session.get(StaffRow, staff_id)

    def list_staff(self, role: Role | None = None, *, active_only: bool = False) -> list[StaffRow]:
        """Staff by id, all or those holding `role`."""
        rows: list[StaffRow] = self._rows(select(StaffRow).order_by(StaffRow.staff_id))
        if role is not None:
            rows = [r for r in rows if Role(role).value in r.roles]
        if active_only:
            rows = [r for r in rows if r.active]
        return rows

    def staff_without_email(self) -> list[StaffRow]:
        """Active staff with no email address: they get no notices."""
        return [r for r in self.list_staff(active_only=True) if not r.email]

    def digest_subscribers(self) -> list[StaffRow]:
        """Active staff who asked for the daily digest (and so have an address)."""
        return [r for r in self.list_staff(active_only=True) if r.digest and r.email]

    def staff_holding(self, roles: Sequence[Role]) -> list[str]:
        """Ids of the active staff who hold any of `roles`, sorted."""
        wanted = {Role(r).value for r in roles}
        return [r.staff_id for r in self.list_staff(active_only=True) if wanted.intersection(r.roles)]

    def issue_token(self, staff_id: str, days: int = DEFAULT_TOKEN_DAYS, at: datetime | None = None) -> str:
        """A new bearer token for a case system (or for `ubp`, as a member of staff); only its SHA-256 is stored.

        Args:
            staff_id: Who the token signs in as.
            days: How many days it is accepted for.
            at: When; now if None.

        Returns:
            The token, to hand to its holder: it cannot be read back later.

        Raises:
            ValueError: If the member of staff is unknown, or `days` is not positive.
        """
        if self.staff(staff_id) is None:
            raise ValueError(f"unknown member of staff {staff_id!r}: add them with `ubp staff add`")
        if days < 1:
            raise ValueError("a token lasts at least one day")
        now = at or datetime.now(UTC)
        token = f"ubp_{secrets.token_urlsafe(32)}"
        digest = _token_hash(token)
        with Session(self._engine) as session:
            session.add(
                ApiTokenRow(
                    token_sha256=digest, staff_id=staff_id, created_at=now, expires_at=now + timedelta(days=days)
                )
            )
            session.commit()
        self.record_security_event(
            SecurityEvent.TOKEN_ISSUED, staff_id=staff_id, detail=digest[:TOKEN_ID_LENGTH], at=now
        )
        return token

    def staff_for_token(self, token: str, at: datetime | None = None) -> StaffRow | None:
        """The member of staff an unexpired bearer token was issued to (active or not), or None.
        Notes when the token was used."""
        now = at or datetime.now(UTC)
        with Session(self._engine) as session:
            row = session.get(ApiTokenRow, _token_hash(token))
            if row is None or row.expires_at <= now:
                return None
            if row.last_used_at is None or now - row.last_used_at >= _TOKEN_USE_EVERY:
                row.last_used_at = now
                session.add(row)
                session.commit()
            return session.get(StaffRow, row.staff_id)

    def tokens(self, staff_id: str | None = None) -> list[ApiTokenRow]:
        """Tokens issued, all or one account's, by account then issue time (expired ones too, until revoked)."""
        query = select(ApiTokenRow).order_by(col(ApiTokenRow.staff_id), col(ApiTokenRow.created_at))
        if staff_id is not None:
            query = query.where(col(ApiTokenRow.staff_id) == staff_id)
        return self._rows(query)

    def revoke_token(self, token_id: str) -> ApiTokenRow | None:
        """Withdraw the one token whose id (`token_id_of`) is `token_id`; None if there is none."""
        if len(token_id) != TOKEN_ID_LENGTH:
            return None
        with Session(self._engine, expire_on_commit=False) as session:
            found = list(session.exec(select(ApiTokenRow).where(col(ApiTokenRow.token_sha256).startswith(token_id))))
            if len(found) != 1:
                return None
            session.delete(found[0])
            session.commit()
        self.record_security_event(SecurityEvent.TOKEN_REVOKED, staff_id=found[0].staff_id, detail=token_id)
        return found[0]

    def revoke_tokens(self, staff_id: str) -> int:
        """Withdraw every token of a member of staff; returns how many there were."""
        with self._engine.begin() as connection:
            result = connection.execute(delete(ApiTokenRow).where(col(ApiTokenRow.staff_id) == staff_id))
        if result.rowcount:
            self.record_security_event(SecurityEvent.TOKEN_REVOKED, staff_id=staff_id, detail=f"all:{result.rowcount}")
        return result.rowcount


def token_id_of(row: ApiTokenRow) -> str:
    """The id a token is listed and revoked by."""
    return row.token_sha256[:TOKEN_ID_LENGTH]


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain hash (no salt, no stretching) is
    # enough: nothing can be guessed from it, and it allows a keyed lookup.
    return hashlib.sha256(token.encode()).hexdigest()
