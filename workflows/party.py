"""One long-running workflow per party: orchestration only.

The policy's rules decide (policy.rules); this workflow holds the party's
state, sleeps until the next deadline on its agenda, applies messages,
writes the effects to the party's file through a local activity (an ordinary
one while that keeps failing: workflows.io), and continues-as-new before its
history grows large.
"""

import asyncio
import json
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.letters import LetterActivities
    from activities.records import RecordActivities
    from activities.tasks import TaskActivities
    from policy import authority, carried, contacts, decisions, letters, rules, tasks
    from policy.contacts import GateView
    from policy.effects import Effect, EffectBatch, write_batch
    from policy.fields import CARRIED
    from policy.letters import LetterContent
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
    from policy.payloads import IncidentLookup, LetterRequest, LoadPartyInput, PartyWorkflowInput
    from policy.refusals import PolicyRefusal
    from policy.replies import (
        CaseClosureOutcome,
        CommandOutcome,
        IncidentOutcome,
        PartyStatus,
        TaskOutcomeReply,
    )
    from policy.state import PartyState, Rejection
    from policy.vocabulary import Stage, TaskStatus
    from workflows import search_attributes as sa
    from workflows import trust
    from workflows.io import durable_io

# The time-skipping test server never suggests continue-as-new; cut over here
# too. Well under the server's 50k-event hard limit, above its 4k suggestion.
HISTORY_LENGTH_LIMIT = 10_000
MAX_EFFECTS_PER_WRITE = 500
# JSON per write: far below the 2 MB a payload may be, whatever the effects carry.
MAX_WRITE_BYTES = 256 * 1024
REJECTION_PAYLOAD_CHARS = 10_000
INCIDENT_SIGNAL = "report_incident"


def timer_offset(party_id: str, spread_seconds: int) -> timedelta:
    """How long after a deadline the party wakes for it: an offset of its own under the
    spread, so that deadlines every party shares (tasks due at 17:00 on a working day,
    warnings ending at midnight) do not wake every party in the same instant. The dates
    people are shown do not move. From the party's id, so the same on every replay, worker
    and run (crc32: Python's hash() differs between processes)."""
    if spread_seconds == 0:
        return timedelta(0)
    return timedelta(seconds=zlib.crc32(party_id.encode()) % spread_seconds)


def invalid(err: ValueError | TypeError) -> str:
    """What was wrong with a message, by where: never the values given, which may be anyone's
    words, since the SDK and the API may log the failure this becomes."""
    if isinstance(err, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or 'the message'}: {problem['msg']}"
            for problem in err.errors(include_url=False, include_input=False, include_context=False)
        )
    return type(err).__name__


WORKFLOW_ID_PREFIX = "party-"


def workflow_id_for(party_id: str) -> str:
    """The party workflow's id, derived from the case system's party id."""
    return f"{WORKFLOW_ID_PREFIX}{party_id}"


@workflow.defn(name="PartyWorkflow")
class PartyWorkflow:
    @workflow.init
    def __init__(self, raw: RawValue) -> None:
        # Taken raw, like the messages: a start whose input came unencrypted, does not
        # decrypt or does not parse must not fail every workflow task of the party.
        inp, self._start_refusal = _start_input(raw)
        self._input = inp
        self._state: PartyState | None = inp.state
        self._unwritten: list[Effect] = list(inp.unwritten)
        # The place in this run's stream of effects (carried ones first) of the first unwritten one.
        self._written = 0
        # R10: letters the written effects call for, made by an activity from the main loop.
        self._letters: list[LetterContent] = list(inp.letters)
        self._woken = False
        # Incident signals whose ids only the file can tell about (policy.carried),
        # applied by the main loop after one read of the file for all of them.
        self._held: list[tuple[RawValue, IncidentReport]] = []
        self._held_lock = asyncio.Lock()
        # Writes go to the file in the order the rules produced them.
        self._write_lock = asyncio.Lock()
        self._published: tuple | None = None
        # One timer for the next deadline, kept while the deadline does not come
        # sooner: a message that moves it later costs no timer events, and the
        # early wake finds nothing due and sets the timer again.
        self._alarm: asyncio.Task | None = None
        self._alarm_at: datetime | None = None

    @workflow.run
    async def run(self, raw: RawValue) -> PartyStatus:
        inp = self._input
        if self._state is None:
            # Local, in the run's first workflow task: a remote activity cost a
            # second workflow task and an activity task per new party (issue 13 A).
            loaded = await durable_io(
                RecordActivities.load_party_state,
                LoadPartyInput(party=inp.party, timezone=inp.timezone),
                summary="read the party's file",
                start_to_close=timedelta(seconds=30),
            )
            self._state = loaded or PartyState(party=inp.party, timezone=inp.timezone)
        state = self._state
        if self._start_refusal is not None:
            self._reject("start", None, self._start_refusal)
        while True:
            now = workflow.now()
            self._unwritten += rules.advance_time(state, now)
            await self._apply_held()
            await self._plan_tasks()
            await self._write()
            await self._make_letters()
            self._publish()
            if self._finished():
                return rules.status_of(state, workflow.now())
            if self._continue_as_new_due():
                await self._settle()
                workflow.continue_as_new(
                    PartyWorkflowInput(
                        party=state.party,
                        timezone=state.timezone,
                        state=carried.carried(state),
                        unwritten=self._unwritten,
                        letters=self._letters,
                        timer_spread_seconds=inp.timer_spread_seconds,
                    )
                )
            deadline = rules.next_deadline(state, now)
            if deadline is not None and deadline <= now:
                continue  # already due
            self._set_alarm(deadline, now)
            self._woken = False
            await workflow.wait_condition(
                lambda: (
                    self._woken
                    or self._alarm_rang()
                    or bool(self._unwritten)
                    or bool(self._held)
                    or bool(self._letters)
                    or bool(tasks.unplanned(state))
                    or self._continue_as_new_due()
                )
            )

    # --- case-system messages --------------------------------------------

    @workflow.signal(
        name=INCIDENT_SIGNAL,
        description="Fire-and-forget incident report (IncidentReport); a bad one is recorded as rejected.",
    )
    async def incident_signal(self, raw: RawValue) -> None:
        refusal = authority.payload_refusal(raw.payload.metadata)
        if refusal is not None:
            await self._ready()
            self._reject(INCIDENT_SIGNAL, raw, refusal)
            return
        try:
            report = workflow.payload_converter().from_payload(raw.payload, IncidentReport)
        except (ValueError, TypeError) as err:
            await self._ready()
            self._reject(INCIDENT_SIGNAL, raw, invalid(err))
            return
        refusal = trust.verifier().refusal(INCIDENT_SIGNAL, report)
        if refusal is not None:
            await self._ready()
            self._reject(INCIDENT_SIGNAL, raw, refusal)
            return
        state = self._state
        if state is None or self._held or state.beyond_window([report.incident_id]):
            # In order, behind those held already; the main loop applies them
            # once the file is read, before it plans, writes and publishes.
            self._held.append((raw, report))
        else:
            self._apply_signalled(raw, report)
        self._woken = True

    def _apply_signalled(self, raw: RawValue, report: IncidentReport) -> None:
        assert self._state is not None
        now = workflow.now()
        try:
            rules.check_incident(self._state, report, now)
        except PolicyRefusal as err:
            self._reject(INCIDENT_SIGNAL, raw, str(err))
            return
        _, effects = rules.apply_incident(self._state, authority.unsealed(report), now)
        self._unwritten += [*effects, authority.acted(self._state.party.party_id, report, now)]

    @workflow.update(
        name="report_incident_and_wait",
        description="Report an incident and get back what the policy now says (IncidentOutcome).",
    )
    async def report_incident(self, raw: RawValue) -> IncidentOutcome:
        report = await self._admit("report_incident_and_wait", raw, IncidentReport)
        state = await self._ready()
        await self._recall([report.incident_id])
        self._check(rules.check_incident, report)
        outcome, effects = rules.apply_incident(state, authority.unsealed(report), workflow.now())
        self._unwritten += [*effects, authority.acted(state.party.party_id, report, workflow.now())]
        await self._write()
        return outcome

    @report_incident.validator
    def _validate_incident(self, raw: RawValue) -> None:
        self._validate("report_incident_and_wait", raw, IncidentReport, rules.check_incident)

    @workflow.update(name="record_ask", description="R4: record that the party was asked to stop.")
    async def record_ask(self, raw: RawValue) -> CommandOutcome:
        ask = await self._admit("record_ask", raw, AskRecord)
        _, duplicate = await self._apply(
            rules.check_ask, rules.apply_ask, ask, seen=lambda state: state.ask(ask.ask_id) is not None
        )
        return self._outcome(ask.ask_id, duplicate)

    @record_ask.validator
    def _validate_ask(self, raw: RawValue) -> None:
        self._validate("record_ask", raw, AskRecord, rules.check_ask)

    @workflow.update(
        name="record_ended_call",
        description="R4a: after an ask, a call or meeting ended as the behaviour continued, and any ground rules.",
    )
    async def record_ended_call(self, raw: RawValue) -> CommandOutcome:
        record = await self._admit("record_ended_call", raw, EndedCallRecord)
        state, duplicate = await self._apply(
            rules.check_ended_call,
            rules.apply_ended_call,
            record,
            seen=lambda state: state.ended_call(record.call_id) is not None,
        )
        return self._outcome(record.call_id, duplicate, ended_call=state.ended_call(record.call_id))

    @record_ended_call.validator
    def _validate_ended_call(self, raw: RawValue) -> None:
        self._validate("record_ended_call", raw, EndedCallRecord, rules.check_ended_call)

    @workflow.update(name="lift_ground_rules", description="R4a: a colleague lifts an ended call's ground rules early.")
    async def lift_ground_rules(self, raw: RawValue) -> CommandOutcome:
        lift = await self._admit("lift_ground_rules", raw, GroundRulesLift)

        def lifted(state: PartyState) -> bool:
            call = state.ended_call(lift.call_id)
            return call is not None and call.standing() is None

        state, duplicate = await self._apply(
            rules.check_ground_rules_lift, rules.apply_ground_rules_lift, lift, seen=lifted
        )
        return self._outcome(lift.call_id, duplicate, ended_call=state.ended_call(lift.call_id))

    @lift_ground_rules.validator
    def _validate_ground_rules_lift(self, raw: RawValue) -> None:
        self._validate("lift_ground_rules", raw, GroundRulesLift, rules.check_ground_rules_lift)

    @workflow.update(name="issue_warning", description="R5, R10: issue a warning lasting six calendar months.")
    async def issue_warning(self, raw: RawValue) -> CommandOutcome:
        warning = await self._admit("issue_warning", raw, WarningIssue)
        state, duplicate = await self._apply(
            rules.check_warning,
            rules.apply_warning,
            warning,
            seen=lambda state: state.warning(warning.warning_id) is not None,
        )
        return self._outcome(warning.warning_id, duplicate, warning=state.warning(warning.warning_id))

    @issue_warning.validator
    def _validate_warning(self, raw: RawValue) -> None:
        self._validate("issue_warning", raw, WarningIssue, rules.check_warning)

    @workflow.update(
        name="apply_restriction",
        description="R6-R14: apply measures; held for approval under R7/R9, refused without grounds (R14).",
    )
    async def apply_restriction(self, raw: RawValue) -> CommandOutcome:
        request = await self._admit("apply_restriction", raw, RestrictionRequest)
        state, duplicate = await self._apply(
            rules.check_restriction,
            rules.apply_restriction,
            request,
            seen=lambda state: state.restriction(request.restriction_id) is not None,
        )
        return self._outcome(request.restriction_id, duplicate, restriction=state.restriction(request.restriction_id))

    @apply_restriction.validator
    def _validate_restriction(self, raw: RawValue) -> None:
        self._validate("apply_restriction", raw, RestrictionRequest, rules.check_restriction)

    @workflow.update(
        name="decide_task",
        description="A person's decision on a human task: role, conflict of interest and task state are checked.",
    )
    async def decide_task(self, raw: RawValue) -> TaskOutcomeReply:
        decision = await self._admit("decide_task", raw, TaskDecision)
        state = await self._ready()
        self._check(decisions.check_decision, decision)
        task, duplicate, effects = decisions.apply_decision(state, authority.unsealed(decision), workflow.now())
        self._unwritten += [*effects, authority.acted(state.party.party_id, decision, workflow.now())]
        await self._write()
        return TaskOutcomeReply(task=task, duplicate=duplicate, stage=state.stage)

    @decide_task.validator
    def _validate_decision(self, raw: RawValue) -> None:
        self._validate("decide_task", raw, TaskDecision, decisions.check_decision)

    @workflow.update(name="request_adjustment", description="R16: record a requested reasonable adjustment.")
    async def request_adjustment(self, raw: RawValue) -> PartyStatus:
        request = await self._admit("request_adjustment", raw, AdjustmentRequest)
        state, _ = await self._apply(decisions.check_adjustment_request, decisions.apply_adjustment_request, request)
        return rules.status_of(state, workflow.now())

    @request_adjustment.validator
    def _validate_adjustment_request(self, raw: RawValue) -> None:
        self._validate("request_adjustment", raw, AdjustmentRequest, decisions.check_adjustment_request)

    @workflow.update(name="seek_advice", description="R16: open a specialist-advice task on an adjustment.")
    async def seek_advice(self, raw: RawValue) -> PartyStatus:
        request = await self._admit("seek_advice", raw, AdviceRequest)
        state, _ = await self._apply(decisions.check_advice_request, decisions.apply_advice_request, request)
        return rules.status_of(state, workflow.now())

    @seek_advice.validator
    def _validate_advice_request(self, raw: RawValue) -> None:
        self._validate("seek_advice", raw, AdviceRequest, decisions.check_advice_request)

    @workflow.update(
        name="decide_adjustment", description="R16: agree or decline an adjustment; declining needs advice first."
    )
    async def decide_adjustment(self, raw: RawValue) -> PartyStatus:
        decision = await self._admit("decide_adjustment", raw, AdjustmentDecision)
        state, _ = await self._apply(decisions.check_adjustment_decision, decisions.apply_adjustment_decision, decision)
        return rules.status_of(state, workflow.now())

    @decide_adjustment.validator
    def _validate_adjustment_decision(self, raw: RawValue) -> None:
        self._validate("decide_adjustment", raw, AdjustmentDecision, decisions.check_adjustment_decision)

    @workflow.update(
        name="record_case_closure",
        description="R17: a case closed with notice that no further reply will be made (CaseClosure).",
    )
    async def record_case_closure(self, raw: RawValue) -> CaseClosureOutcome:
        closure = await self._admit("record_case_closure", raw, CaseClosure)
        state, duplicate = await self._apply(
            rules.check_case_closure,
            rules.apply_case_closure,
            closure,
            seen=lambda state: state.closed_case(closure.case_reference) is not None,
        )
        entry = state.closed_case(closure.case_reference)
        assert entry is not None  # just applied, or applied before
        return CaseClosureOutcome(
            case_reference=closure.case_reference, duplicate=duplicate, closed_case=entry, stage=state.stage
        )

    @record_case_closure.validator
    def _validate_case_closure(self, raw: RawValue) -> None:
        self._validate("record_case_closure", raw, CaseClosure, rules.check_case_closure)

    @workflow.query(
        name="gate_view",
        description="What the contact gate reads (R4a, R8, R17): restrictions that have started, closed cases "
        "and ground rules; none while the party's file is being read.",
    )
    def gate_view(self) -> GateView | None:
        # A query: the gate answers a contact without adding to this workflow's history.
        return contacts.gate_view(self._state) if self._state is not None else None

    @workflow.query(name="status", description="The party's stage, deadlines, record summary and open tasks.")
    def status(self) -> PartyStatus:
        if self._state is None:
            return rules.status_of(PartyState(party=self._input.party), workflow.now()).model_copy(
                update={"loading": True}
            )
        return rules.status_of(self._state, workflow.now())

    # --- internals ---------------------------------------------------------

    async def _apply(
        self, check, apply, message, seen: Callable[[PartyState], bool] = lambda state: False
    ) -> tuple[PartyState, bool]:
        """Check (again: the file may have been read since the validator ran),
        apply, and return once the effects are in the party's file, with whether the
        message was `seen` on the state before: judged after the last yield before it is
        applied, so of two of the same message at once, one is the duplicate."""
        state = await self._ready()
        await self._recall(_incidents_named(message))
        duplicate = seen(state)
        self._check(check, message)
        now = workflow.now()
        self._unwritten += [
            *apply(state, authority.unsealed(message), now),
            authority.acted(state.party.party_id, message, now),
        ]
        await self._write()
        return state, duplicate

    # --- who acted: the door's seal ---------------------------------------

    def _decode(self, raw: RawValue, model):
        """The message in a payload; a malformed one is refused before anything is written."""
        try:
            return workflow.payload_converter().from_payload(raw.payload, model)
        except (ValueError, TypeError) as err:
            raise ApplicationError(
                f"not a valid {model.__name__}: {invalid(err)}", type="InvalidMessage", non_retryable=True
            ) from None

    def _validate(self, handler: str, raw: RawValue, model, check) -> None:
        """An update's validator: a malformed message or a policy refusal is refused
        with nothing written. One that came unencrypted, does not decrypt, or lacks a
        seal that holds is let through, so that its handler keeps the refusal on the
        party's file."""
        if authority.payload_refusal(raw.payload.metadata) is not None:
            return
        message = self._decode(raw, model)
        if trust.verifier().refusal(handler, message) is None:
            self._check(check, message)

    async def _admit(self, handler: str, raw: RawValue, model):
        """The message, once it came encrypted and the door's seal on it holds (policy.authority).

        Raises:
            ApplicationError: NotAuthorised, once the refusal is on the party's file.
        """
        refusal = authority.payload_refusal(raw.payload.metadata)
        if refusal is None:
            message = self._decode(raw, model)
            refusal = trust.verifier().refusal(handler, message)
        if refusal is None:
            return message
        await self._ready()
        self._reject(handler, raw, refusal)
        await self._write()
        raise ApplicationError(f"refused: {refusal}", type="NotAuthorised", non_retryable=True)

    async def _settle(self) -> None:
        """Before continuing as new: every handler done and every effect written, so the
        new run's input carries the bounded state, not a backlog of effects."""
        while True:
            await workflow.wait_condition(workflow.all_handlers_finished)
            if self._held:
                await self._apply_held()
            elif self._unwritten:
                await self._write()
            else:
                return

    async def _apply_held(self) -> None:
        """Apply the held incident signals, in order, after one read of the file; one caller
        at a time, so that another waits until those taken are applied."""
        async with self._held_lock:
            while self._held:
                held, self._held = self._held, []
                await self._recall([report.incident_id for _, report in held])
                for raw, report in held:
                    self._apply_signalled(raw, report)

    async def _recall(self, incident_ids: list[str]) -> None:
        """Read back from the file the incidents named that this run does not carry.
        An old incident sent again is then a duplicate, as the file's key says: it
        is neither counted nor acted on twice. No await, so no yield, when all are carried."""
        assert self._state is not None
        missing = self._state.beyond_window(incident_ids)
        if not missing:
            return
        recalled = await durable_io(
            RecordActivities.recall_incidents,
            IncidentLookup(
                party_id=self._state.party.party_id,
                incident_ids=missing,
                received_before=workflow.info().start_time,
            ),
            summary="read back older incidents from the party's file",
            start_to_close=timedelta(seconds=30),
        )
        carried.recall(self._state, recalled.briefs)

    async def _plan_tasks(self) -> None:
        """Working-day dates and eligible staff for new tasks, computed once by an activity."""
        assert self._state is not None
        for task in tasks.unplanned(self._state):
            plan = await durable_io(
                TaskActivities.plan_task,
                tasks.plan_request(self._state, task),
                summary=f"plan {task.kind.value} task",
                start_to_close=timedelta(seconds=30),
            )
            self._unwritten += tasks.apply_plan(self._state, task.task_id, plan, workflow.now())

    async def _ready(self) -> PartyState:
        """Messages that arrive while a new run reads the party's file wait for it, and for
        the incident signals held before them to be applied: a later message never
        overtakes an earlier signal. Once both are done this does not yield, so
        check-then-apply stays atomic."""
        if self._state is None:
            await workflow.wait_condition(lambda: self._state is not None)
        if self._held or self._held_lock.locked():
            await self._apply_held()
        assert self._state is not None
        return self._state

    def _check(self, check, message) -> None:
        """Run a policy check; validators call it before anything is written."""
        if self._state is None or self._state.beyond_window(_incidents_named(message)):
            return  # the handler checks again once the file is read
        party_id = message.party.party_id if isinstance(message, IncidentReport) else message.party_id
        if party_id != self._state.party.party_id:
            raise ApplicationError(
                f"message is for party {party_id}, but this workflow is party {self._state.party.party_id}",
                type="WrongParty",
                non_retryable=True,
            )
        try:
            check(self._state, message, workflow.now())
        except PolicyRefusal as refusal:
            raise ApplicationError(str(refusal), refusal.rule, type="PolicyRefusal", non_retryable=True) from None

    def _reject(self, message: str, raw: RawValue | None, reason: str) -> None:
        assert self._state is not None
        text = raw.payload.data.decode("utf-8", errors="replace")[:REJECTION_PAYLOAD_CHARS] if raw else ""
        rejection = Rejection(
            received_at=workflow.now(),
            message=message,
            message_id=_message_id_of(text),
            reason=reason,
            payload=text,
        )
        # The reason stays on the file, not in the log: a validation error quotes the input it refused.
        workflow.logger.warning("rejected %s for party %s: the reason is among its rejections", message,
                                self._state.party.party_id)  # fmt: skip
        self._unwritten += rules.record_rejection(self._state, rejection)
        self._woken = True

    def _outcome(self, message_id: str, duplicate: bool, **entries) -> CommandOutcome:
        assert self._state is not None
        now = workflow.now()
        return CommandOutcome(
            message_id=message_id,
            duplicate=duplicate,
            stage=self._state.stage,
            next_deadline=rules.next_deadline(self._state, now),
            **entries,
        )

    async def _write(self) -> None:
        """Write every unwritten effect to the party's file, in order, retrying forever."""
        async with self._write_lock:
            while self._unwritten:
                batch = write_batch(self._unwritten, MAX_EFFECTS_PER_WRITE, MAX_WRITE_BYTES)
                assert self._state is not None
                await durable_io(
                    RecordActivities.write_effects,
                    EffectBatch(
                        party_id=self._input.party.party_id,
                        effects=batch,
                        revision=self._revision(),
                        activation=workflow.info().get_current_history_length(),
                        first=self._written,
                    ),
                    summary="write the party's file",
                    start_to_close=timedelta(seconds=30),
                )
                # Effects added while the write ran stay queued behind this batch.
                del self._unwritten[: len(batch)]
                self._written += len(batch)
                self._letters += letters.letters_due(self._state, batch)

    def _revision(self) -> int:
        """The revision this run's writes make: when the run started, in milliseconds, the same
        on every attempt of every workflow task of the run (records.writes fences on it), so a
        batch from an earlier run (a worker paused past continue-as-new) changes nothing once
        a later run has written.

        Within a run, each save is fenced by its step (policy.effects.EffectBatch): the
        workflow task's history length, then the effect's place in the run's stream. Not
        by batch: a workflow task whose local activities wrote may be tried again at the
        same history length and activation time (a transient failure; an update it held
        was aborted), and cut its batches differently; a revision per batch refused the
        retry's batches as older and lost incidents (seen here, twice).
        """
        return int(workflow.info().start_time.timestamp() * 1000)

    async def _make_letters(self) -> None:
        """R10: make each letter due, in order; the activity keeps one per letter id."""
        while self._letters:
            letter = self._letters[0]
            # Local, like the writes: a remote activity in flight stalled the
            # time-skipping test server's clock (a party's tests hung after a letter).
            await durable_io(
                LetterActivities.make_letter,
                LetterRequest(letter=letter, requested_at=workflow.now()),
                summary=f"make the {letter.kind.value} letter",
                start_to_close=timedelta(seconds=60),
            )
            self._letters.pop(0)

    def _set_alarm(self, deadline: datetime | None, now: datetime) -> None:
        """Sleep until `deadline` (none: until a message), keeping the timer that
        is set if it rings no later."""
        alarm_at = self._alarm_at if self._alarm is not None and not self._alarm.done() else None
        if alarm_at is not None and deadline is not None and alarm_at <= deadline:
            return
        if self._alarm is not None:
            self._alarm.cancel()
        self._alarm, self._alarm_at = None, None
        if deadline is not None:
            self._alarm_at = deadline
            offset = timer_offset(self._input.party.party_id, self._input.timer_spread_seconds)
            self._alarm = asyncio.ensure_future(
                workflow.sleep(deadline - now + offset, summary="next deadline on the party's agenda")
            )

    def _alarm_rang(self) -> bool:
        return self._alarm is not None and self._alarm.done()

    def _finished(self) -> bool:
        assert self._state is not None
        return (
            rules.is_dormant(self._state, workflow.now())
            and not self._unwritten
            and not self._letters
            and not self._held
            and workflow.all_handlers_finished()
        )

    def _continue_as_new_due(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > HISTORY_LENGTH_LIMIT

    def _publish(self) -> None:
        """Search attributes and current details for the Temporal UI; upserted
        only on change, since each upsert is a history event."""
        assert self._state is not None
        state = self._state
        now = workflow.now()
        deadline = rules.next_deadline(state, now)
        open_tasks = sum(1 for t in state.tasks if t.status == TaskStatus.OPEN)
        values = (state.stage, deadline, state.party.kind, open_tasks, state.stage == Stage.ZERO_TOLERANCE)
        if values == self._published:
            return
        self._published = values
        workflow.upsert_search_attributes(
            [
                sa.STAGE.value_set(state.stage.value),
                sa.NEXT_DEADLINE.value_set(deadline) if deadline else sa.NEXT_DEADLINE.value_unset(),
                sa.PARTY_KIND.value_set(state.party.kind.value),
                sa.OPEN_TASKS.value_set(open_tasks),
                sa.ZERO_TOLERANCE.value_set(values[4]),
            ]
        )
        workflow.set_current_details(
            f"**Stage:** {state.stage.value}  \n"
            f"**Next deadline:** {deadline.isoformat() if deadline else 'none'}  \n"
            f"**Incidents:** {state.incident_count}  \n"
            f"**Open tasks:** {open_tasks}  \n"
            f"**Rejected messages:** {len(state.rejections)}"
        )


def _start_input(raw: RawValue) -> tuple[PartyWorkflowInput, str | None]:
    """The run's input, and why it was not taken as given (None when it was).

    Only a run that continues as new carries a state, effects or letters: a client
    that starts a party cannot hand it a file of its own making. A start input that
    came unencrypted, does not decrypt or does not parse is replaced by the party
    its workflow id names, in the default time zone; its file is then read as usual.
    """
    refusal = authority.payload_refusal(raw.payload.metadata)
    if refusal is None:
        try:
            # A continued run's input may come from a later release (a rollback): what it added is dropped.
            inp = PartyWorkflowInput.model_validate_json(raw.payload.data, context=CARRIED)
        except (ValueError, TypeError) as err:
            refusal = f"not a valid start: {invalid(err)}"
        else:
            if workflow.info().continued_run_id is not None or not (inp.state or inp.unwritten or inp.letters):
                return inp, None
            refusal = "a new run's input carried a party's state, effects or letters"
    party_id = workflow.info().workflow_id.removeprefix(WORKFLOW_ID_PREFIX)
    try:
        party = PartyRef(party_id=party_id)
    except ValueError:
        raise ApplicationError(
            f"workflow id {workflow.info().workflow_id!r} names no party", type="NotAParty", non_retryable=True
        ) from None
    return PartyWorkflowInput(party=party), f"start refused, {refusal}: the party's file is read instead"


def _incidents_named(message) -> list[str]:
    """The incidents a message names: itself, or those an ask, warning or restriction is about."""
    if isinstance(message, IncidentReport):
        return [message.incident_id]
    if isinstance(message, AskRecord | WarningIssue | RestrictionRequest):
        return list(message.incident_ids)
    return []


# The id fields of the messages, in the order a rejected payload is searched for one.
_ID_FIELDS = (
    "incident_id",
    "ask_id",
    "call_id",
    "warning_id",
    "restriction_id",
    "decision_id",
    "adjustment_id",
    "case_reference",
)


def _message_id_of(text: str) -> str | None:
    """Best effort: the id of a rejected payload's message, for finding it later."""
    try:
        found = json.loads(text)
    except ValueError:
        return None
    if not isinstance(found, dict):
        return None
    value = next((found[name] for name in _ID_FIELDS if name in found), None)
    return value if isinstance(value, str) else None
