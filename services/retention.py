"""R3 for every door: what the retention period would remove (counts only), applying
it now, and erasing one party on request.

Who may ask is the permission table's (policy.permissions, through
services.acting): applying the retention period and erasing a party are a
manager's or a senior role's; forcing an erasure, the Ombudsman's or the
Executive Team's. The signed-in principal is who the removal log names. The work
itself is the workflows' (`workflows.retention`), so it is durable and logged
however it was asked for; an erasure request goes sealed by the door.
"""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from client.door import Acting
from client.retention import RetentionClient
from client.schedules import retention_input
from policy.fields import Door
from policy.payloads import ErasureOutcome, RemovalTotals
from policy.permissions import PERMISSIONS, Action, NotPermitted, role_for
from policy.retention import retention_cutoff
from policy.vocabulary import FORCED_ERASURE_ROLES, Role
from records.store import RecordStore
from services.acting import Principal, permit
from settings import Settings


class RetentionReport(BaseModel):
    """What `ubp retention apply` would remove now: counts only, no party named."""

    years: int
    cutoff: datetime = Field(description="files whose last activity is before this have passed retention")
    parties: int = Field(description="parties whose file would go")
    held: int = Field(description="parties past the retention period kept because something is live")
    rows: dict[str, int] = Field(default_factory=dict, description="rows that would go, by table")


class ErasureForm(BaseModel):
    """An erasure request as the signed-in member of staff makes it: who asks is who signed in."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1, max_length=4000, description="why: the request and its reference, kept in the log"
    )
    role: Role | None = Field(
        default=None,
        description="the role they ask in; default: the first they hold that may (a senior one to force)",
    )
    force: bool = Field(default=False, description="erase even though something about the party is live")


class ErasureRefused(Exception):
    """Something about the party is live, and the erasure was not forced; or the workflow
    refused the request itself. The message says which."""

    def __init__(self, outcome: ErasureOutcome) -> None:
        if outcome.refusal is not None:
            message = f"R3: party {outcome.party_id} was not erased: the request was refused: {outcome.refusal}"
        else:
            message = (
                f"R3: party {outcome.party_id} was not erased, because {'; '.join(outcome.live)}:"
                " an erasure of a party with anything live must be forced (--force) by someone acting as"
                f" {' or '.join(sorted(role.value for role in FORCED_ERASURE_ROLES))}"
            )
        super().__init__(message)
        self.outcome = outcome


def retention_report(store: RecordStore, settings: Settings, now: datetime) -> RetentionReport:
    """Count what the retention period would remove at `now`, reading the records database only.

    A party whose workflow turns out to be running when the sweep runs is held
    then too; the records show that rarely, since such a party has recent activity.

    Raises:
        ValueError: `UBP_RETENTION_YEARS` is not set.
    """
    years = settings.retention_period()
    cutoff = retention_cutoff(now, years, settings.timezone)
    past = store.parties_past_retention(cutoff)
    going = [party_id for party_id in past if not store.live_in_file(party_id, settings.timezone, now)]
    return RetentionReport(
        years=years,
        cutoff=cutoff,
        parties=len(going),
        held=len(past) - len(going),
        rows=store.party_rows(going),
    )


async def apply_retention(retention: RetentionClient, settings: Settings, caller: Principal) -> RemovalTotals:
    """Run the retention sweep now, asked for by the signed-in `caller`, and wait for its totals.
    The workers' own retention period decides what goes.

    Raises:
        NotPermitted: The permission table does not let them (R3).
        temporalio.client.WorkflowFailureError: The workers have no retention period.
    """
    permit(caller, Action.APPLY_RETENTION)
    inp = retention_input(settings, by=caller.id, reason=f"`ubp retention apply` by {caller.id}")
    return await retention.sweep(inp)


def erasure_acting(caller: Principal, door: Door, *, role: Role | None, force: bool) -> Acting:
    """Who asks for an erasure, and in which role: the signed-in `caller`, in `role` if they
    name one, else the first role they hold that may.

    Raises:
        NotPermitted: The permission table refuses them erasing (R3), or forcing one; or
            they name a role they do not hold, or one that may not.
    """
    actions = [Action.ERASE_PARTY, *([Action.FORCE_ERASURE] if force else [])]
    held = permit(caller, Action.ERASE_PARTY)
    if force:
        held = permit(caller, Action.FORCE_ERASURE)
    if role is None:
        return Acting(actor=caller.id, role=held, door=door)
    if role not in caller.roles:
        rule = PERMISSIONS[actions[-1]].rule
        raise NotPermitted(f"{rule}: {caller.id} does not hold the role {role.value}", rule)
    for action in actions:
        role_for(caller.id, {role}, action)
    return Acting(actor=caller.id, role=role, door=door)


async def erase_party(
    retention: RetentionClient,
    *,
    caller: Principal,
    door: Door,
    party_id: str,
    reason: str,
    role: Role | None = None,
    force: bool = False,
) -> ErasureOutcome:
    """Erase one party's file and workflow runs, on the request of the signed-in `caller`;
    logged whatever the outcome.

    Args:
        retention: Sends the request, sealed by the door.
        caller: Who signed in: who the removal log names.
        door: Where they signed in.
        party_id: The case system's party id.
        reason: Why (kept in the removal log).
        role: The role they act in; default the first they hold that may.
        force: Erase even though something about the party is live (a senior role only).

    Raises:
        NotPermitted: As `erasure_acting` says; nothing is started.
        pydantic.ValidationError: An empty reason.
        ErasureRefused: Something is live and it was not forced, or the workflow refused the
            request itself (the refusal is logged).
    """
    by = erasure_acting(caller, door, role=role, force=force)
    outcome = await retention.erase(party_id=party_id, reason=reason, force=force, by=by)
    if not outcome.erased:
        raise ErasureRefused(outcome)
    return outcome
