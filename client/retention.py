"""Starting R3's retention sweep and erasure requests, and waiting for what they did."""

import uuid

from temporalio.client import Client

from client.door import Acting, DoorKeyError, DoorKeys
from policy.authority import ERASE_PARTY
from policy.payloads import ErasureOutcome, ErasureRequest, RemovalTotals, RetentionSweepInput
from workflows.retention import ERASURE_WORKFLOW, RetentionSweepWorkflow

# The scheduled sweep's workflow ids start with the schedule's id (client.schedules).
MANUAL_SWEEP_PREFIX = "ubp-retention-sweep-manual"
ERASURE_PREFIX = "ubp-erasure"


class RetentionClient:
    """Runs the retention workflows on the workers' task queue.

    Args:
        client: A client connected with `client.connection.connect`.
        task_queue: The task queue the workers poll.
        door: The door's signing keys, to seal erasure requests; without them this
            client only sweeps (which decides nothing a worker does not: its settings do).
    """

    def __init__(self, client: Client, task_queue: str, door: DoorKeys | None = None) -> None:
        self.client = client
        self.task_queue = task_queue
        self.door = door

    async def sweep(self, inp: RetentionSweepInput) -> RemovalTotals:
        """Run a retention sweep now, as the schedule would, and wait for its totals."""
        return await self.client.execute_workflow(
            RetentionSweepWorkflow.run,
            inp,
            id=f"{MANUAL_SWEEP_PREFIX}-{uuid.uuid4()}",
            task_queue=self.task_queue,
            static_summary=f"Retention sweep asked for by {inp.by}",
        )

    async def erase(self, *, party_id: str, reason: str, force: bool, by: Acting) -> ErasureOutcome:
        """Run an erasure request, sealed by the door as `by` asked it, and wait for its
        outcome (refused, or done).

        The workflow id carries no party id: ids are never encrypted, payloads may be.

        Raises:
            DoorKeyError: This client holds no door key.
            pydantic.ValidationError: A force by a role that may not, or an empty reason.
        """
        if self.door is None:
            raise DoorKeyError("this client holds no door key (UBP_DOOR_KEY_FILE): it cannot ask for an erasure")
        erasure_id = f"{ERASURE_PREFIX}-{uuid.uuid4()}"
        request = ErasureRequest(
            party_id=party_id, requested_by=by.actor, role=by.role, reason=reason, force=force, erasure_id=erasure_id
        )
        return await self.client.execute_workflow(
            ERASURE_WORKFLOW,
            self.door.seal(ERASE_PARTY, request, by),
            result_type=ErasureOutcome,
            id=erasure_id,
            task_queue=self.task_queue,
            static_summary=f"Erasure request by {by.actor}",
        )
