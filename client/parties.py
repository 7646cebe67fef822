"""The party client every entry point uses (CLI, API, tests, bench).

It addresses party workflows by their handlers and sends again while the
server pushes back on a busy party. Messages are pydantic models, validated when they
are built, so nothing malformed reaches a workflow from here; and each message
that changes a party is sealed with the door's key and who acted (`client.door`),
which the workflow checks before applying it.
"""

from datetime import timedelta
from typing import Any, Self, TypeVar

from pydantic import BaseModel
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle, WorkflowQueryRejectedError
from temporalio.common import QueryRejectCondition, WorkflowIDConflictPolicy
from temporalio.service import RPCError, RPCStatusCode

from client.door import Acting, DoorKeyError, DoorKeys
from client.retry import retry_busy
from policy.authority import action_of, actor_of
from policy.contacts import GateView
from policy.fields import Door
from policy.messages import (
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    CaseClosure,
    EndedCallRecord,
    GroundRulesLift,
    IncidentReport,
    PartyRef,
    RestrictionRequest,
    TaskDecision,
    WarningIssue,
)
from policy.payloads import PartyWorkflowInput
from policy.permissions import PERMISSIONS
from policy.replies import (
    CaseClosureOutcome,
    CommandOutcome,
    IncidentOutcome,
    PartyStatus,
    TaskOutcomeReply,
)
from policy.vocabulary import Role
from settings import Settings
from workflows.party import INCIDENT_SIGNAL, PartyWorkflow, workflow_id_for

HEALTH_CHECK_TIMEOUT = timedelta(seconds=3)
# By name: the workflow takes its input raw (it refuses a start it cannot trust), so
# its run method's signature says nothing about what a client sends.
WORKFLOW_TYPE = "PartyWorkflow"
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def _as_named(handler: str, message) -> Acting:
    """Local tools: the staff member a message names, in the first role the permission
    table gives its action (a decision's own role)."""
    if isinstance(message, TaskDecision):
        return Acting(actor=message.decided_by, role=message.role, door=Door.LOCAL)
    action = action_of(handler, message)
    assert action is not None
    role = next(r for r in Role if r in PERMISSIONS[action].roles)
    return Acting(actor=actor_of(message), role=role, door=Door.LOCAL)


def _summary(party: PartyRef) -> str:
    """The UI's one-line summary of a party workflow: ids only, no personal data."""
    return f"Party {party.party_id} ({party.kind.value})"


class PartyClient:
    """Sends case-system and colleague messages to party workflows.

    Args:
        client: a client connected with `client.connection.connect`.
        task_queue: the task queue the party workers poll.
        timezone: the body's time zone, given to new party workflows.
        door: the door's signing keys, to seal messages that change a party; without
            them this client only reads (status, the contact gate's view).
        acts_as_named: seal a message sent without `by` as the staff member it names
            (Door.LOCAL): for the demo data, the benchmark and the tests only. The
            doors never set it: they say who acts, from the signed-in principal.
    """

    def __init__(
        self,
        client: Client,
        task_queue: str,
        timezone: str,
        door: DoorKeys | None = None,
        *,
        acts_as_named: bool = False,
        timer_spread_seconds: int = 0,
    ) -> None:
        self.client = client
        self.task_queue = task_queue
        self.timezone = timezone
        self.door = door
        self.acts_as_named = acts_as_named
        self.timer_spread_seconds = timer_spread_seconds

    @classmethod
    def of(
        cls, client: Client, settings: Settings, door: DoorKeys | None = None, *, acts_as_named: bool = False
    ) -> Self:
        """A party client as the settings say: the task queue, the body's time zone, the spread of wake-ups."""
        return cls(
            client,
            settings.task_queue,
            settings.timezone,
            door,
            acts_as_named=acts_as_named,
            timer_spread_seconds=settings.timer_spread_seconds,
        )

    def _input(self, party: PartyRef) -> PartyWorkflowInput:
        """What a party's first run starts from: the party, the body's time zone and the spread of its wake-ups."""
        return PartyWorkflowInput(party=party, timezone=self.timezone, timer_spread_seconds=self.timer_spread_seconds)

    def _seal(self, handler: str, message: M, by: Acting | None) -> M:
        """`message` sealed by the door as `by` did it.

        Raises:
            DoorKeyError: This client holds no door key.
            ValueError: No `by`, and this client does not act as the staff a message names.
        """
        if self.door is None:
            raise DoorKeyError("this client holds no door key (UBP_DOOR_KEY_FILE): it cannot change a party")
        if by is None:
            if not self.acts_as_named:
                raise ValueError("who acts comes from the signed-in principal (services.acting), never the message")
            by = _as_named(handler, message)
        return self.door.seal(handler, message, by)

    def _start_options(self, party: PartyRef) -> dict[str, Any]:
        """How a party's workflow starts, whichever message (or none) starts it."""
        return {
            "id": workflow_id_for(party.party_id),
            "task_queue": self.task_queue,
            "static_summary": _summary(party),
        }

    def _start(self, party: PartyRef) -> WithStartWorkflowOperation:
        return WithStartWorkflowOperation(
            WORKFLOW_TYPE,
            self._input(party),
            result_type=PartyStatus,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            **self._start_options(party),
        )

    async def _update(self, update: str, message, party: PartyRef, answer: type[T], by: Acting | None) -> T:
        sealed = self._seal(update, message, by)
        result: T = await retry_busy(
            lambda: self.client.execute_update_with_start_workflow(
                update, sealed, start_workflow_operation=self._start(party), result_type=answer
            )
        )
        return result

    async def report_incident(self, report: IncidentReport, by: Acting | None = None) -> IncidentOutcome:
        """Report an incident and wait until it is in the party's file; starts the party if needed."""
        return await self._update("report_incident_and_wait", report, report.party, IncidentOutcome, by)

    async def send_incident(self, report: IncidentReport, by: Acting | None = None) -> None:
        """Fire and forget: signal-with-start, for case systems that don't wait."""
        sealed = self._seal(INCIDENT_SIGNAL, report, by)
        await retry_busy(
            lambda: self.client.start_workflow(
                WORKFLOW_TYPE,
                self._input(report.party),
                result_type=PartyStatus,
                start_signal=INCIDENT_SIGNAL,
                start_signal_args=[sealed],
                **self._start_options(report.party),
            )
        )

    async def record_ask(self, ask: AskRecord, by: Acting | None = None) -> CommandOutcome:
        return await self._update("record_ask", ask, PartyRef(party_id=ask.party_id), CommandOutcome, by)

    async def record_ended_call(self, record: EndedCallRecord, by: Acting | None = None) -> CommandOutcome:
        """R4a: a call or meeting ended after an ask, and any ground rules for future ones."""
        party = PartyRef(party_id=record.party_id)
        return await self._update("record_ended_call", record, party, CommandOutcome, by)

    async def lift_ground_rules(self, lift: GroundRulesLift, by: Acting | None = None) -> CommandOutcome:
        """R4a: lift an ended call's ground rules before they lapse."""
        return await self._update("lift_ground_rules", lift, PartyRef(party_id=lift.party_id), CommandOutcome, by)

    async def issue_warning(self, warning: WarningIssue, by: Acting | None = None) -> CommandOutcome:
        party = PartyRef(party_id=warning.party_id)
        return await self._update("issue_warning", warning, party, CommandOutcome, by)

    async def apply_restriction(self, request: RestrictionRequest, by: Acting | None = None) -> CommandOutcome:
        party = PartyRef(party_id=request.party_id)
        return await self._update("apply_restriction", request, party, CommandOutcome, by)

    async def decide_task(self, decision: TaskDecision, by: Acting | None = None) -> TaskOutcomeReply:
        """A person's decision on a task; the caller has checked they hold `decision.role`."""
        party = PartyRef(party_id=decision.party_id)
        return await self._update("decide_task", decision, party, TaskOutcomeReply, by)

    async def request_adjustment(self, request: AdjustmentRequest, by: Acting | None = None) -> PartyStatus:
        party = PartyRef(party_id=request.party_id)
        return await self._update("request_adjustment", request, party, PartyStatus, by)

    async def seek_advice(self, request: AdviceRequest, by: Acting | None = None) -> PartyStatus:
        return await self._update("seek_advice", request, PartyRef(party_id=request.party_id), PartyStatus, by)

    async def decide_adjustment(self, decision: AdjustmentDecision, by: Acting | None = None) -> PartyStatus:
        party = PartyRef(party_id=decision.party_id)
        return await self._update("decide_adjustment", decision, party, PartyStatus, by)

    async def record_case_closure(self, closure: CaseClosure, by: Acting | None = None) -> CaseClosureOutcome:
        """R17: a case closed with notice that no further reply will be made; starts the party if needed."""
        party = PartyRef(party_id=closure.party_id)
        return await self._update("record_case_closure", closure, party, CaseClosureOutcome, by)

    async def adopt(self, party: PartyRef) -> None:
        """Start a party's workflow with no message, to read its file and keep its deadlines
        (a party imported by `ubp import`); a running one is left as it is."""
        await retry_busy(
            lambda: self.client.start_workflow(
                WORKFLOW_TYPE,
                self._input(party),
                result_type=PartyStatus,
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
