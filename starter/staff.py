"""The front door's check of who is deciding: shared by the CLI and, later, an HTTP API.

The workflow checks that a role may decide a task, conflicts of interest and
the task's state; it cannot read the staff list. So before a decision is
sent, the front door checks here that the person is known, active and holds
the role they claim.
"""

from policy.vocabulary import Role
from records.store import RecordStore
from records.tables import StaffRow


class StaffCheckFailed(Exception):
    """The person may not act in the role they claim; the message says why."""


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
    staff = store.staff(staff_id)
    if staff is None:
        raise StaffCheckFailed(f"unknown member of staff {staff_id!r}: add them with `ubp staff add`")
    if not staff.active:
        raise StaffCheckFailed(f"{staff_id!r} is not an active member of staff")
    if role.value not in staff.roles:
        held = ", ".join(staff.roles) or "none"
        raise StaffCheckFailed(f"{staff_id!r} does not hold the role {role.value!r} (holds: {held})")
    return staff
