"""R3's retention sweep and erasure requests: the IO their workflows may not do.

The records side (whose file has passed retention, what in it is live,
removing it, the log) is `records.retention`. The Temporal side is
`PartyRuns`: whether a party's workflow is running, and deleting its runs,
through the worker's own client. No party is touched while anything about it
is live, unless the erasure is forced; the workflows decide, these only look
and act.
"""

import asyncio

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest, DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.database import retryable_database_errors
from policy.payloads import (
    FileErased,
    PartyCheck,
    PartyFileErasure,
    PartyFileHold,
    PartyLiveness,
    PartyRunsRemoval,
    RemovalRecord,
    RetentionQuery,
    RunsRemoved,
)
from policy.retention import retention_cutoff
from records.store import RecordStore


class PartyRuns:
    """A party workflow's runs in Temporal: is one running, and deleting them.

    Args:
        client: The worker's client, in the party workflows' namespace.
    """

    def __init__(self, client: Client) -> None:
        self._client = client

    async def running(self, workflow_id: str) -> bool:
        """Whether the workflow's latest run is running."""
        current = await self._current(workflow_id)
        return current is not None and current[1]

    async def delete(self, workflow_id: str, *, force: bool) -> RunsRemoved:
        """Delete every run of the workflow: the latest, and the older ones visibility lists.

        A running run is left alone unless `force` (deleting a running run
        terminates it); the closed ones go either way. Deletion is asynchronous
        on the server; a run already deleted is not found, which is fine.
        """
        current = await self._current(workflow_id)
        running = current is not None and current[1] and not force
        run_ids = {current[0]} if current is not None and not running else set()
        try:
            async for execution in self._client.list_workflows(f"WorkflowId = '{workflow_id}'"):
                run_ids.add(execution.run_id)
        except RPCError as err:
            # A server without a visibility store lists nothing: the older runs
            # then go when the namespace's retention ends.
            if err.status != RPCStatusCode.UNIMPLEMENTED:
                raise
        if running:
            assert current is not None
            run_ids.discard(current[0])
        for run_id in sorted(run_ids):
            try:
                await self._client.workflow_service.delete_workflow_execution(
                    DeleteWorkflowExecutionRequest(
                        namespace=self._client.namespace,
                        workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=run_id),
                    )
                )
            except RPCError as err:
                if err.status != RPCStatusCode.NOT_FOUND:
                    raise
        return RunsRemoved(deleted=len(run_ids), running=running)

    async def _current(self, workflow_id: str) -> tuple[str, bool] | None:
        """The latest run's id and whether it is running; None if the workflow is unknown."""
        try:
            described = await self._client.workflow_service.describe_workflow_execution(
                DescribeWorkflowExecutionRequest(
                    namespace=self._client.namespace, execution=WorkflowExecution(workflow_id=workflow_id)
                )
            )
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        info = described.workflow_execution_info
        return info.execution.run_id, info.status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING


class RetentionActivities:
    """The retention activities, bound to the records database, the party workflows' runs,
    and the worker's own retention period and time zone.

    The period and the time zone are the worker's settings, not the workflows' input:
    any Temporal client may start a sweep, and a sweep that said "one year" must not
    remove what the body keeps for six.

    Args:
        store: The records database.
        runs: The party workflows' runs in Temporal.
        retention_years: The body's retention period (UBP_RETENTION_YEARS); None: nothing is swept.
        timezone: The body's time zone: the years are calendar years there, and what is live is judged there.
    """

    def __init__(self, store: RecordStore, runs: PartyRuns, *, retention_years: int | None, timezone: str) -> None:
        self._store = store
        self._runs = runs
        self._years = retention_years
        self._timezone = timezone

    @activity.defn(name="retention_candidates")
    def retention_candidates(self, query: RetentionQuery) -> list[str]:
        """The next parties, in id order, whose file's last activity is before the worker's
        retention period counted back from the workflow's `now`.

        Raises:
            ApplicationError: Not retryable, if this worker has no retention period (the sweep
                fails, removing nothing); retryable, if the database fails.
        """
        if self._years is None:
            raise ApplicationError(
                "this worker has no retention period (UBP_RETENTION_YEARS): a sweep removes nothing",
                type="NoRetentionPeriod",
                non_retryable=True,
            )
        cutoff = retention_cutoff(query.now, self._years, self._timezone)
        with retryable_database_errors():
            return self._store.parties_past_retention(cutoff, after=query.after, limit=query.limit)

    @activity.defn(name="check_party")
    async def check_party(self, check: PartyCheck) -> PartyLiveness:
        """What about the party is live: in its file at the workflow's `now`, and in Temporal.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            live = await asyncio.to_thread(self._store.live_in_file, check.party_id, self._timezone, check.now)
        return PartyLiveness(live=live, running=await self._runs.running(check.workflow_id))

    @activity.defn(name="delete_party_runs")
    async def delete_party_runs(self, removal: PartyRunsRemoval) -> RunsRemoved:
        """Delete the party workflow's runs (a running one only if forced)."""
        removed = await self._runs.delete(removal.workflow_id, force=removal.force)
        activity.logger.info("%s: %d run(s) deleted", removal.workflow_id, removed.deleted)
        return removed

    @activity.defn(name="hold_party_file")
    def hold_party_file(self, hold: PartyFileHold) -> None:
        """Hold the party's file for an erasure: a run that starts meanwhile waits to read it.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            self._store.hold_file(hold.party_id, hold.erasure_id, hold.at)

    @activity.defn(name="release_party_file")
    def release_party_file(self, hold: PartyFileHold) -> None:
        """End the hold of an erasure that was refused: the file stays.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            self._store.release_file(hold.party_id)

    @activity.defn(name="erase_party_file")
    def erase_party_file(self, erasure: PartyFileErasure) -> FileErased:
        """Remove the party's file from the records database, and the erasure's hold on it (a run
        waiting to read it then starts from no file); nothing left to remove is fine.

        A retry after the removal committed finds nothing, and answers no rows:
        the log then counts the party but not its rows.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            return FileErased(rows=self._store.erase_party_file(erasure.party_id))

    @activity.defn(name="removal_recorded")
    def removal_recorded(self, log_id: str) -> bool:
        """Whether the removal log has a line for this id: an erasure is carried out once.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            return self._store.removal_recorded(log_id)

    @activity.defn(name="record_removal")
    def record_removal(self, record: RemovalRecord) -> bool:
        """Add the sweep's or erasure's line to the removal log, once.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            first = self._store.record_removal(record)
        if first and record.totals.parties:
            # Served with the SDK's metrics by the worker's runtime (UBP_WORKER_METRICS_ADDRESS).
            counter = activity.metric_meter().create_counter("ubp_parties_removed", "parties' files removed, by why")
            counter.add(record.totals.parties, {"kind": record.kind.value})
        return first
