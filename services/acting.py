"""Who acts: the signed-in principal, the permission table, and the person a message names.

Every door authenticates a principal (a bearer token, the inbox's session) and
comes here before it acts or reads: `authorise` checks the permission table
(policy.permissions) and says who acts, in which role, and which system
carried it; the door then fills the message's acting person from that
answer and the party client seals it (client.door). A body never chooses its
own actor: one that names someone else is refused (403), unless the principal
is a case system whose account may act for that person, and the person is
active staff holding a role that may take the action.
"""

from dataclasses import dataclass
from enum import StrEnum

from client.door import Acting
from policy.fields import Door
from policy.need_to_know import Viewer
from policy.permissions import PERMISSIONS, SYSTEM_ACTIONS, Action, NotPermitted, role_for
from policy.vocabulary import Role, in_words
from records.store import RecordStore
from records.tables import StaffRow
from services.staff import staff_for

# Every case system's account acts for any active member of staff with this in `acts_for`.
ANY_STAFF = "*"
# The rule a refusal names when a body, flag or form names someone other than the principal.
WHO_ACTS = "who-acts"


class PrincipalKind(StrEnum):
    PERSON = "person"
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    """Who signed in: a member of staff, or a case system's own account.

    Args:
        id: Their staff id (a system's account id).
        kind: Person or system.
        roles: The roles they hold.
        acts_for: A system's: the staff it may act for (`*`: any active staff).
    """

    id: str
    kind: PrincipalKind
    roles: frozenset[Role]
    acts_for: frozenset[str] = frozenset()

    @classmethod
    def of(cls, row: StaffRow) -> "Principal":
        return cls(
            id=row.staff_id,
            kind=PrincipalKind(row.kind),
            roles=frozenset(Role(r) for r in row.roles),
            acts_for=frozenset(row.acts_for or ()),
        )

    @property
    def viewer(self) -> Viewer:
        """What they may see of special-category details (policy.need_to_know)."""
        return Viewer(staff_id=self.id, roles=self.roles)

    def may_act_for(self, staff_id: str) -> bool:
        return self.kind == PrincipalKind.SYSTEM and bool({ANY_STAFF, staff_id} & self.acts_for)


def principal_for(store: RecordStore, token: str | None) -> Principal:
    """The active principal a bearer token belongs to.

    Raises:
        NotSignedIn: No token, an unknown one, or an inactive account's.
    """
    return Principal.of(staff_for(store, token))


def permit(principal: Principal, action: Action) -> Role:
    """The role in which `principal` may take `action` themselves (reads, and every act of a person).

    Raises:
        NotPermitted: They may not; a case system, for anything but its own
            actions, is told to name the member of staff it acts for.
    """
    if principal.kind == PrincipalKind.SYSTEM and action not in SYSTEM_ACTIONS:
        permission = PERMISSIONS[action]
        raise NotPermitted(
            f"{permission.rule}: case system {principal.id} may not {in_words(action.value)} for itself"
            f" ({permission.why}): name the member of staff it acts for",
            permission.rule,
        )
    return role_for(principal.id, principal.roles, action)


def authorise(store: RecordStore, principal: Principal, action: Action, door: Door, named: str | None = None) -> Acting:
    """Who acts when `principal` takes `action` through `door`, a message naming `named` as acting.

    Args:
        store: The staff list, for the person a case system acts for.
        principal: Who signed in.
        action: What they do (the permission table's row).
        door: Where they signed in.
        named: The acting person the body, form or flag names; None: the principal.

    Raises:
        NotPermitted: (403) Their role may not take the action; a person named
            someone else; a system named someone its account may not act for,
            or who is not active staff, or whose roles may not take the action.
    """
    if named is None or named == principal.id:
        return Acting(actor=principal.id, role=permit(principal, action), door=door)
    if principal.kind == PrincipalKind.PERSON:
        raise NotPermitted(
            f"{WHO_ACTS}: signed in as {principal.id}, but {named} is named as acting: staff act only as"
            " themselves (leave the field out, and the signed-in person is recorded)",
            WHO_ACTS,
        )
    if not principal.may_act_for(named):
        allowed = ", ".join(sorted(principal.acts_for)) or "nobody"
        raise NotPermitted(
            f"{WHO_ACTS}: case system {principal.id} may not act for {named}: its account acts for {allowed}",
            WHO_ACTS,
        )
    staff = store.staff(named)
    if staff is None or not staff.active or staff.kind != PrincipalKind.PERSON:
        raise NotPermitted(f"{WHO_ACTS}: {named} is not an active member of staff", WHO_ACTS)
    role = role_for(named, frozenset(Role(r) for r in staff.roles), action)
    return Acting(actor=named, role=role, door=door, via=principal.id)


class UnknownStaff(ValueError):
    """A message names, besides who acts, someone who is not active staff (422)."""

    def __init__(self, field: str, staff_id: str) -> None:
        super().__init__(f"{field} {staff_id!r} is not an active member of staff")
        self.field = field


def require_staff_named(store: RecordStore, staff_id: str | None, field: str) -> None:
    """A member of staff a message names besides who acts (an incident's `experienced_by`)
    is on the staff list and active.

    Raises:
        UnknownStaff: They are not.
    """
    if staff_id is None:
        return
    staff = store.staff(staff_id)
    if staff is None or not staff.active or staff.kind != PrincipalKind.PERSON:
        raise UnknownStaff(field, staff_id)
