"""The party client every entry point uses (CLI, API, tests, bench).

It addresses party workflows by their typed handlers and sends again while
the server pushes back on a busy party. Messages are pydantic models, validated when they
are built, so nothing malformed reaches a workflow from here.
"""

from datetime import timedelta
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle, WorkflowQueryRejectedError
from temporalio.common import QueryRejectCondition, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from client.retry import retry_busy
from policy.contacts import GateView
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.payloads import PartyWorkflowInput
from policy.replies import (
    CaseClosureOutcome,
    CommandOutcome,
    IncidentOutcome,
    PartyStatus,
    TaskOutcomeReply,
)
from workflows.party import INCIDENT_SIGNAL, PartyWorkflow, workflow_id_for

HEALTH_CHECK_TIMEOUT = timedelta(seconds=3)


def _summary(party: PartyRef) -> str:
    """The UI's one-line summary of a party workflow: ids only, no personal data."""
    return f"Party {party.party_id} ({party.kind.value})"


class PartyClient:
    """Sends case-system and colleague messages to party workflows.

    Args:
        client: a client connected with `client.connection.connect`.
        task_queue: the task queue the party workers poll.
        timezone: the body's time zone, given to new party workflows.
    """

    def __init__(self, client: Client, task_queue: str, timezone: str) -> None:
        self.client = client
        self.task_queue = task_queue
        self.timezone = timezone

    def _start_options(self, party: PartyRef) -> dict[str, Any]:
        """How a party's workflow starts, whichever message (or none) starts it."""
        return {
            "id": workflow_id_for(party.party_id),
            "task_queue": self.task_queue,
            "static_summary": _summary(party),
        }

    def _start(self, party: PartyRef) -> WithStartWorkflowOperation:
        return WithStartWorkflowOperation(
            PartyWorkflow.run,
            PartyWorkflowInput(party=party, timezone=self.timezone),
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            **self._start_options(party),
        )

    async def _update(self, update, message, party: PartyRef):
        return await retry_busy(
            lambda: self.client.execute_update_with_start_workflow(
                update, message, start_workflow_operation=self._start(party)
            )
        )

    async def report_incident(self, report: IncidentReport) -> IncidentOutcome:
        """Report an incident and wait until it is in the party's file; starts the party if needed."""
        return await self._update(PartyWorkflow.report_incident, report, report.party)

    async def send_incident(self, report: IncidentReport) -> None:
        """Fire and forget: signal-with-start, for case systems that don't wait."""
        await retry_busy(
            lambda: self.client.start_workflow(
                PartyWorkflow.run,
                PartyWorkflowInput(party=report.party, timezone=self.timezone),
                start_signal=INCIDENT_SIGNAL,
                start_signal_args=[report],
                **self._start_options(report.party),
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
        return await self._update(PartyWorkflow.request_adjustment, request, PartyRef(party_id=request.party_id))

    async def seek_advice(self, request: AdviceRequest) -> PartyStatus:
        return await self._update(PartyWorkflow.seek_advice, request, PartyRef(party_id=request.party_id))

    async def decide_adjustment(self, decision: AdjustmentDecision) -> PartyStatus:
        return await self._update(PartyWorkflow.decide_adjustment, decision, PartyRef(party_id=decision.party_id))

    async def record_case_closure(self, closure: CaseClosure) -> CaseClosureOutcome:
        """R17: a case closed with notice that no further reply will be made; starts the party if needed."""
        return await self._update(PartyWorkflow.record_case_closure, closure, PartyRef(party_id=closure.party_id))

    async def adopt(self, party: PartyRef) -> None:
        """Start a party's workflow with no message, to read its file and keep its deadlines
        (a party imported by `ubp import`); a running one is left as it is."""
        await retry_busy(
            lambda: self.client.start_workflow(
                PartyWorkflow.run,
                PartyWorkflowInput(party=party, timezone=self.timezone),
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                **self._start_options(party),
            )
        )

    async def gate_view(self, party_id: str) -> GateView | None:
        """What the contact gate reads of a party with an open workflow, by a query (no history).

        Returns:
            None if the party has no open workflow (never started, or completed:
            the server refuses the query at once rather than replaying a closed
            run), or if its workflow is still reading the party's file. Read the
            party's file instead.
        """
        try:
            view: GateView | None = await self.handle(party_id).query(
                PartyWorkflow.gate_view, reject_condition=QueryRejectCondition.NOT_OPEN
            )
        except WorkflowQueryRejectedError:
            return None
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                return None
            raise
        return view

    async def check_health(self) -> None:
        """Whether the Temporal server answers; raises the connection's error if not."""
        await self.client.service_client.check_health(timeout=HEALTH_CHECK_TIMEOUT)

    def handle(self, party_id: str) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(PartyWorkflow.run, workflow_id_for(party_id))

    async def status(self, party_id: str) -> PartyStatus:
        """The latest run's status (a completed party still answers from its last run)."""
        return await self.handle(party_id).query(PartyWorkflow.status)
