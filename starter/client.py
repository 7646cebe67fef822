"""The one Temporal client module every entry point uses (CLI, API, tests).

It connects with the pydantic data converter and addresses party workflows
by their typed handlers. Messages are pydantic models, validated when they
are built, so nothing malformed reaches a workflow from here.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError, RPCStatusCode

from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.state import CommandOutcome, IncidentOutcome, PartyStatus, PartyWorkflowInput, TaskOutcomeReply
from settings import Settings
from workflows.party import INCIDENT_SIGNAL, PartyWorkflow, workflow_id_for

T = TypeVar("T")
BUSY_RETRIES = 20  # about 15 s of back-off: longer means the server is down, not busy
BUSY_STATUSES = {RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.FAILED_PRECONDITION}


def _summary(party: PartyRef) -> str:
    """The UI's one-line summary of a party workflow: ids only, no personal data."""
    return f"Party {party.party_id} ({party.kind.value})"


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address, namespace=settings.temporal_namespace, data_converter=pydantic_data_converter
    )


class PartyClient:
    """Sends case-system and colleague messages to party workflows.

    Args:
        client: a client connected with `connect` (the pydantic converter).
        task_queue: the task queue the party workers poll.
        timezone: the body's time zone, given to new party workflows.
    """

    def __init__(self, client: Client, task_queue: str, timezone: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.timezone = timezone

    def _start(self, party: PartyRef) -> WithStartWorkflowOperation:
        return WithStartWorkflowOperation(
            PartyWorkflow.run,
            PartyWorkflowInput(party=party, timezone=self.timezone),
            id=workflow_id_for(party.party_id),
            task_queue=self.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            static_summary=_summary(party),
        )

    async def _with_retry(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry while the server pushes back on a busy party: a message that meets
        continue-as-new ("workflow is closing", "update was aborted", "workflow
        not ready") or the per-workflow limit of in-flight updates was not
        applied, and applies cleanly when sent again."""
        delay = 0.05
        for attempt in range(BUSY_RETRIES):
            try:
                return await call()
            except RPCError as err:
                if err.status not in BUSY_STATUSES or attempt == BUSY_RETRIES - 1:
                    raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    async def _update(self, update, message, party: PartyRef):
        return await self._with_retry(
            lambda: self.client.execute_update_with_start_workflow(
                update, message, start_workflow_operation=self._start(party)
            )
        )

    async def report_incident(self, report: IncidentReport) -> IncidentOutcome:
        """Report an incident and wait until it is in the party's file; starts the party if needed."""
        return await self._update(PartyWorkflow.report_incident, report, report.party)

    async def send_incident(self, report: IncidentReport) -> None:
        """Fire and forget: signal-with-start, for case systems that don't wait."""
        await self._with_retry(
            lambda: self.client.start_workflow(
                PartyWorkflow.run,
                PartyWorkflowInput(party=report.party, timezone=self.timezone),
                id=workflow_id_for(report.party.party_id),
                task_queue=self.task_queue,
                start_signal=INCIDENT_SIGNAL,
                start_signal_args=[report],
                static_summary=_summary(report.party),
            )
        )

    async def record_ask(self, ask: AskRecord) -> CommandOutcome:
        return await self._update(PartyWorkflow.record_ask, ask, PartyRef(party_id=ask.party_id))

    async def issue_warning(self, warning: WarningIssue) -> CommandOutcome:
        return await self._update(PartyWorkflow.issue_warning, warning, PartyRef(party_id=warning.party_id))

    async def apply_restriction(self, request: RestrictionRequest) -> CommandOutcome:
        return await self._update(PartyWorkflow.apply_restriction, request, PartyRef(party_id=request.party_id))

    async def decide_task(self, decision: TaskDecision) -> TaskOutcomeReply:
        """A person's decision on a task; the caller has checked they hold `decision.role`."""
        return await self._update(PartyWorkflow.decide_task, decision, PartyRef(party_id=decision.party_id))

    async def request_adjustment(self, request: AdjustmentRequest) -> PartyStatus:
        return await self._update(
            PartyWorkflow.request_adjustment, request, PartyRef(party_id=request.party_id)
        )

    async def seek_advice(self, request: AdviceRequest) -> PartyStatus:
        return await self._update(PartyWorkflow.seek_advice, request, PartyRef(party_id=request.party_id))

    async def decide_adjustment(self, decision: AdjustmentDecision) -> PartyStatus:
        return await self._update(
            PartyWorkflow.decide_adjustment, decision, PartyRef(party_id=decision.party_id)
        )

    def handle(self, party_id: str) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(PartyWorkflow.run, workflow_id_for(party_id))

    async def status(self, party_id: str) -> PartyStatus:
        """The latest run's status (a completed party still answers from its last run)."""
        return await self.handle(party_id).query(PartyWorkflow.status)
