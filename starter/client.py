"""The one Temporal client module every entry point uses (CLI, API, tests).

It connects with the pydantic data converter and addresses party workflows
by their typed handlers. Messages are pydantic models, validated when they
are built, so nothing malformed reaches a workflow from here.
"""

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter

from policy.messages import AskRecord, IncidentReport, PartyRef, RestrictionRequest, WarningIssue
from policy.state import CommandOutcome, IncidentOutcome, PartyStatus, PartyWorkflowInput
from settings import Settings
from workflows.party import INCIDENT_SIGNAL, PartyWorkflow, workflow_id_for


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
            static_summary=f"Party {party.party_id} ({party.kind.value})",
        )

    async def report_incident(self, report: IncidentReport) -> IncidentOutcome:
        """Report an incident and wait until it is in the party's file; starts the party if needed."""
        return await self.client.execute_update_with_start_workflow(
            PartyWorkflow.report_incident, report, start_workflow_operation=self._start(report.party)
        )

    async def send_incident(self, report: IncidentReport) -> None:
        """Fire and forget: signal-with-start, for case systems that don't wait."""
        await self.client.start_workflow(
            PartyWorkflow.run,
            PartyWorkflowInput(party=report.party, timezone=self.timezone),
            id=workflow_id_for(report.party.party_id),
            task_queue=self.task_queue,
            start_signal=INCIDENT_SIGNAL,
            start_signal_args=[report],
            static_summary=f"Party {report.party.party_id} ({report.party.kind.value})",
        )

    async def record_ask(self, ask: AskRecord) -> CommandOutcome:
        return await self.client.execute_update_with_start_workflow(
            PartyWorkflow.record_ask, ask, start_workflow_operation=self._start(PartyRef(party_id=ask.party_id))
        )

    async def issue_warning(self, warning: WarningIssue) -> CommandOutcome:
        return await self.client.execute_update_with_start_workflow(
            PartyWorkflow.issue_warning,
            warning,
            start_workflow_operation=self._start(PartyRef(party_id=warning.party_id)),
        )

    async def apply_restriction(self, request: RestrictionRequest) -> CommandOutcome:
        return await self.client.execute_update_with_start_workflow(
            PartyWorkflow.apply_restriction,
            request,
            start_workflow_operation=self._start(PartyRef(party_id=request.party_id)),
        )

    def handle(self, party_id: str) -> WorkflowHandle:
        return self.client.get_workflow_handle_for(PartyWorkflow.run, workflow_id_for(party_id))

    async def status(self, party_id: str) -> PartyStatus:
        """The latest run's status (a completed party still answers from its last run)."""
        return await self.handle(party_id).query(PartyWorkflow.status)
