"""R3 for every door: what the retention period would remove (counts only), applying
it now, and erasing one party on request.

The checks the workflows cannot make happen here, before anything starts: who
asks is active staff, and a forced erasure comes from someone who holds the
senior role they name. The work itself is the workflows' (`workflows.retention`),
so it is durable and logged however it was asked for.
"""

from datetime import datetime

from pydantic import BaseModel, Field

from client.retention import RetentionClient
from client.schedules import retention_input
from policy.payloads import ErasureOutcome, ErasureRequest, RemovalTotals
from policy.retention import retention_cutoff
from policy.vocabulary import FORCED_ERASURE_ROLES, Role
from records.store import RecordStore
from services.staff import require_active, require_role
from settings import Settings


class RetentionReport(BaseModel):
    """What `ubp retention apply` would remove now: counts only, no party named."""

    years: int
    cutoff: datetime = Field(description="files whose last activity is before this have passed retention")
    parties: int = Field(description="parties whose file would go")
    held: int = Field(description="parties past the retention period kept because something is live")
    rows: dict[str, int] = Field(default_factory=dict, description="rows that would go, by table")


class ErasureRefused(Exception):
    """Something about the party is live, and the erasure was not forced; the message says what."""

    def __init__(self, outcome: ErasureOutcome) -> None:
        super().__init__(
            f"R3: party {outcome.party_id} was not erased, because {'; '.join(outcome.live)}:"
            " an erasure of a party with anything live must be forced (--force) by someone acting as"
            f" {' or '.join(sorted(role.value for role in FORCED_ERASURE_ROLES))}"
        )
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


async def apply_retention(retention: RetentionClient, store: RecordStore, settings: Settings, by: str) -> RemovalTotals:
    """Run the retention sweep now, asked for by a member of staff, and wait for its totals.

    Raises:
        ValueError: `UBP_RETENTION_YEARS` is not set.
        StaffCheckFailed: `by` is not active staff.
    """
    require_active(store, by)
    return await retention.sweep(retention_input(settings, by=by, reason=f"`ubp retention apply` by {by}"))


async def erase_party(
    retention: RetentionClient,
    store: RecordStore,
    settings: Settings,
    *,
    party_id: str,
    by: str,
    reason: str,
    role: Role | None = None,
    force: bool = False,
) -> ErasureOutcome:
    """Erase one party's file and workflow runs, on request; logged whatever the outcome.

    Args:
        party_id: The case system's party id.
        by: The member of staff asking.
        reason: Why (kept in the removal log).
        role: The role they act in; a senior one to force.
        force: Erase even though something about the party is live.

    Raises:
        pydantic.ValidationError: A force without a senior role, or an empty reason.
        StaffCheckFailed: `by` is not active staff, or does not hold `role`.
        ErasureRefused: Something is live and it was not forced (the refusal is logged).
    """
    request = ErasureRequest(
        party_id=party_id, requested_by=by, role=role, reason=reason, force=force, timezone=settings.timezone
    )
    if role is not None:
        require_role(store, by, role)
    else:
        require_active(store, by)
    outcome = await retention.erase(request)
    if not outcome.erased:
        raise ErasureRefused(outcome)
    return outcome
