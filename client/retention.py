"""Starting R3's retention sweep and erasure requests, and waiting for what they did."""

import uuid

from temporalio.client import Client

from policy.payloads import ErasureOutcome, ErasureRequest, RemovalTotals, RetentionSweepInput
from workflows.retention import PartyErasureWorkflow, RetentionSweepWorkflow

# The scheduled sweep's workflow ids start with the schedule's id (client.schedules).
MANUAL_SWEEP_PREFIX = "ubp-retention-sweep-manual"
ERASURE_PREFIX = "ubp-erasure"


class RetentionClient:
    """Runs the retention workflows on the workers' task queue.

    Args:
        client: A client connected with `client.connection.connect`.
        task_queue: The task queue the workers poll.
    """

    def __init__(self, client: Client, task_queue: str) -> None:
        self.client = client
        self.task_queue = task_queue

    async def sweep(self, inp: RetentionSweepInput) -> RemovalTotals:
        """Run a retention sweep now, as the schedule would, and wait for its totals."""
        return await self.client.execute_workflow(
            RetentionSweepWorkflow.run,
            inp,
            id=f"{MANUAL_SWEEP_PREFIX}-{uuid.uuid4()}",
            task_queue=self.task_queue,
            static_summary=f"Retention sweep asked for by {inp.by}",
        )

    async def erase(self, request: ErasureRequest) -> ErasureOutcome:
        """Run an erasure request and wait for its outcome (refused, or done).

        The workflow id carries no party id: ids are never encrypted, payloads may be.
        """
        return await self.client.execute_workflow(
            PartyErasureWorkflow.run,
            request,
            id=f"{ERASURE_PREFIX}-{uuid.uuid4()}",
            task_queue=self.task_queue,
            static_summary=f"Erasure request by {request.requested_by}",
        )
