"""Who is acting: a bearer token's member of staff, and the roles they hold.

The workflow checks that a role may decide a task, conflicts of interest and
the task's state; it cannot read the staff list. So before a decision is
sent, every door checks here that the person is known, active and holds the
role they claim.
"""

from policy.claims import Colleague
from policy.vocabulary import Role
from records.store import RecordStore
from records.tables import StaffRow


class StaffCheckFailed(Exception):
    """The person may not act in the role they claim; the message says why."""


class NotSignedIn(Exception):
    """No token, an unknown, expired or revoked token, or the token of someone no longer active."""


def require_role(store: RecordStore, staff_id: str, role: Role) -> StaffRow:
    """The member of staff, if they are known, active and hold `role`.

    Args:
        store: The records database holding the staff list.
        staff_id: Who claims to act.
        role: The role they claim to act in.

    Returns:
        Their staff row.

    Raises:
        StaffCheckFailed: If they are unknown, inactive, or do not hold `role`.
    """
    role = Role(role)
    staff = require_active(store, staff_id)
    if role.value not in staff.roles:
        held = ", ".join(staff.roles) or "none"
        raise StaffCheckFailed(f"{staff_id!r} does not hold the role {role.value!r} (holds: {held})")
    return staff


def require_active(store: RecordStore, staff_id: str) -> StaffRow:
    """The member of staff, if they are known and active.

    Raises:
        StaffCheckFailed: If they are unknown or inactive.
    """
    staff = store.staff(staff_id)
    if staff is None:
        raise StaffCheckFailed(f"unknown member of staff {staff_id!r}: add them with `ubp staff add`")
    if not staff.active:
        raise StaffCheckFailed(f"{staff_id!r} is not an active member of staff")
    return staff


def staff_for(store: RecordStore, token: str | None) -> StaffRow:
    """The active member of staff a bearer token belongs to.

    Raises:
        NotSignedIn: With a message saying what to do.
    """
    if not token:
        raise NotSignedIn("sign in with a bearer token: `ubp staff token ACCOUNT_ID` issues one")
    staff = store.staff_for_token(token)
    if staff is None:
        raise NotSignedIn("unknown token (or expired, or revoked): ask for a new one (`ubp staff token ACCOUNT_ID`)")
    if not staff.active:
        raise NotSignedIn(f"{staff.staff_id!r} is no longer an active member of staff")
    return staff


def colleague(store: RecordStore, staff_id: str) -> Colleague | None:
    """A member of staff as the claim rules see them (policy.claims); None if not on the staff list."""
    staff = store.staff(staff_id)
    return None if staff is None else colleague_of(staff)


def colleague_of(staff: StaffRow) -> Colleague:
    """A staff row as the claim rules see it. A case system's account is never an active
    colleague: it works no task."""
    return Colleague(staff_id=staff.staff_id, roles=staff.roles, active=staff.active and staff.kind == "person")
