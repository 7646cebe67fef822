"""The soak's managers: they decide the open tasks through `services.decisions`, as
the inbox and the CLI do, while parties are created, the worker killed and timers fire.
Each decides as themselves, signed in at the local door (`Door.LOCAL`): the
service checks the permission table and the staff list, and seals the decision.

Most decisions are ones the policy takes (an allowed outcome by someone who
may decide); some are sent to be refused (a second decision on a decided
task, an unknown task, an outcome the task does not have, someone without the
role, someone with a conflict of interest), and some are sent twice with the
same id. At the end every decision sent must be on file exactly once or have
been refused with a reason, and never both.
"""

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from client.parties import PartyClient
from policy.fields import Door
from policy.permissions import NotPermitted
from policy.tasks import TASK_RULES, may_decide
from policy.vocabulary import Role, SupportOption, TaskKind, TaskOutcome, TaskStatus
from records.store import RecordStore
from records.task_list import TaskListing
from services.acting import Principal
from services.decisions import DecisionForm, DecisionRefused, decide

# Who decides in the soak. soak-2 experienced every incident (a conflict of
# interest on most tasks); the clerk holds no deciding role.
DECIDERS = {
    "soak-mgr-1": [Role.MANAGER],
    "soak-mgr-2": [Role.MANAGER],
    "soak-omb-1": [Role.OMBUDSMAN],
    "soak-exec-1": [Role.EXECUTIVE_TEAM],
    "soak-ado-1": [Role.ASSISTANT_DEPUTY_OMBUDSMAN, Role.HEAD_OF_OMBUDSMAN_ASSURANCE],
}
CONFLICTED = "soak-2"
CLERK = "soak-clerk"

# The outcomes a manager picks, with their weights, by kind of task.
OUTCOMES: dict[TaskKind, dict[TaskOutcome, int]] = {
    TaskKind.RESTRICTION_APPROVAL: {TaskOutcome.APPROVE: 6, TaskOutcome.REJECT: 3, TaskOutcome.RECUSE: 1},
    TaskKind.ZERO_TOLERANCE_REVIEW: {TaskOutcome.CONFIRM_STOP: 6, TaskOutcome.LIFT_STOP: 3, TaskOutcome.RECUSE: 1},
    TaskKind.COLLEAGUE_SUPPORT: {TaskOutcome.SUPPORT_RECORDED: 9, TaskOutcome.RECUSE: 1},
    TaskKind.RESTRICTION_REVIEW: {
        TaskOutcome.LET_RUN: 5,
        TaskOutcome.LIFT_EARLY: 2,
        TaskOutcome.STEP_UP: 2,
        TaskOutcome.RECUSE: 1,
    },
    TaskKind.ADJUSTMENT_ADVICE: {TaskOutcome.ADVICE_GIVEN: 1},
}


@dataclass
class DecisionTally:
    sent: int = 0
    taken: dict[str, tuple[str, TaskOutcome, str]] = field(default_factory=dict)  # id -> task, outcome, by whom
    resent: int = 0  # the same decision id again: answered as a duplicate
    refused: Counter[str] = field(default_factory=Counter)
    refused_ids: set[str] = field(default_factory=set)
    unanswered: dict[str, str] = field(default_factory=dict)  # id -> the error


def staff_list(store: RecordStore) -> None:
    """The soak's deciders, the conflicted colleague and the clerk, in the staff list."""
    for staff_id, roles in DECIDERS.items():
        store.add_staff(staff_id, staff_id, roles)
    store.add_staff(CONFLICTED, CONFLICTED, [Role.MANAGER])
    store.add_staff(CLERK, CLERK, [Role.COLLEAGUE])


def refusal_kind(err: Exception) -> str:
    """Why a decision (or another command) was refused, in a few words: the service's reason, or the workflow's."""
    if isinstance(err, DecisionRefused):
        return f"service: {err.why.value}"
    if isinstance(err, NotPermitted):
        return f"permission table ({err.rule})"
    cause = err.cause if isinstance(err, WorkflowUpdateFailedError) else None
    if not isinstance(cause, ApplicationError):
        return f"other: {type(err).__name__}"
    rule = str(cause.details[0]) if cause.type == "PolicyRefusal" and cause.details else cause.type
    for words, kind in (
        ("was withdrawn", "task withdrawn"),
        ("is already", "task already decided"),
        ("is not an outcome", "outcome not allowed"),
        ("conflict of interest", "conflict of interest"),
        ("may not decide", "role may not decide"),
        ("not awaiting approval", "restriction not awaiting approval"),
        ("reason is required", "reason missing"),
    ):
        if words in cause.message:
            return f"workflow ({rule}): {kind}"
    return f"workflow ({rule}): {cause.message[:60]}"


def _form(task: TaskListing, outcome: TaskOutcome, rng: random.Random) -> DecisionForm:
    return DecisionForm(
        outcome=outcome,
        reason="soak",
        police_referral=rng.random() < 0.5 if task.kind == TaskKind.ZERO_TOLERANCE_REVIEW else None,
        support_offered=[rng.choice(list(SupportOption))] if outcome == TaskOutcome.SUPPORT_RECORDED else [],
    )


class Managers:
    """Decide open tasks until `stop_at`, keeping the tally."""

    def __init__(self, parties: PartyClient, store: RecordStore, tally: DecisionTally, rng: random.Random) -> None:
        self.parties = parties
        self.store = store
        self.tally = tally
        self.rng = rng
        self.principals: dict[str, Principal] = {}

    async def principal(self, staff_id: str) -> Principal:
        """Who signs in as `staff_id`: their row in the staff list (`staff_list`)."""
        if staff_id not in self.principals:
            row = await asyncio.to_thread(self.store.staff, staff_id)
            assert row is not None, f"{staff_id} is not in the soak's staff list"
            self.principals[staff_id] = Principal.of(row)
        return self.principals[staff_id]

    async def run(self, stop_at: float, records_up: asyncio.Event, per_round: int = 10) -> None:
        while time.monotonic() < stop_at:
            await records_up.wait()  # a manager decides from the file
            listed = await asyncio.to_thread(self.store.open_tasks)
            self.rng.shuffle(listed)
            for task in listed[:per_round]:
                await self.one_task(task)
            await asyncio.sleep(self.rng.uniform(0.5, 1.5))

    async def send(
        self, staff_id: str, task_id: str, form: DecisionForm, decision_id: str, again: bool = False
    ) -> bool:
        """One decision through the service; True when it was recorded (now, or before)."""
        self.tally.sent += 1
        try:
            await decide(
                self.parties,
                self.store,
                caller=await self.principal(staff_id),
                door=Door.LOCAL,
                task_id=task_id,
                form=form,
                decision_id=decision_id,
            )
        except (DecisionRefused, NotPermitted, WorkflowUpdateFailedError) as err:
            self.tally.refused[refusal_kind(err)] += 1
            self.tally.refused_ids.add(decision_id)
            return False
        except Exception as err:  # counted: an unanswered decision must still be on file, or lost
            self.tally.unanswered[decision_id] = f"{type(err).__name__}: {err}"
            return False
        if again:
            self.tally.resent += 1
        else:
            self.tally.taken[decision_id] = (task_id, form.outcome, staff_id)
        return True

    async def one_task(self, task: TaskListing) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.04:
            await self.send(CLERK, task.task_id, _form(task, self._outcome(task), rng), _new_id())
            return
        if roll < 0.08:
            await self.send(CONFLICTED, task.task_id, _form(task, self._outcome(task), rng), _new_id())
            return
        if roll < 0.12:
            wrong = rng.choice([o for o in TaskOutcome if o not in TASK_RULES[task.kind].outcomes])
            await self.send(self._decider(task) or CLERK, task.task_id, _form(task, wrong, rng), _new_id())
            return
        if roll < 0.16:
            await self.send(
                rng.choice(list(DECIDERS)),
                f"task-unknown-{uuid.uuid4().hex[:8]}",
                _form(task, TaskOutcome.RECUSE, rng),
                _new_id(),
            )
            return
        decider = self._decider(task)
        if decider is None:
            return
        form = _form(task, self._outcome(task), rng)
        decision_id = _new_id()
        if not await self.send(decider, task.task_id, form, decision_id):
            return
        if rng.random() < 0.1:
            await self.send(decider, task.task_id, form, decision_id, again=True)
        if form.outcome != TaskOutcome.RECUSE and rng.random() < 0.1:
            other = self._decider(task, besides=decider) or decider
            await self.send(other, task.task_id, _form(task, self._outcome(task), rng), _new_id())

    def _outcome(self, task: TaskListing) -> TaskOutcome:
        weights = OUTCOMES[task.kind]
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def _decider(self, task: TaskListing, besides: str | None = None) -> str | None:
        able = [
            s
            for s, roles in DECIDERS.items()
            if s != besides and may_decide(s, roles, task.deciding_roles(), task.excluded_staff)
        ]
        return self.rng.choice(able) if able else None


def _new_id() -> str:
    return f"dec-{uuid.uuid4().hex}"


def accounted(store: RecordStore, tally: DecisionTally) -> dict[str, int]:
    """Each decision sent: on file exactly once, or refused and not on file; and what the taken ones did."""
    on_file = Counter(d.decision_id for d in store.decisions() if d.decision_id.startswith("dec-"))
    sent_ids = set(tally.taken) | tally.refused_ids | set(tally.unanswered)
    recorded_once = sum(on_file[d] == 1 for d in tally.taken)
    refused_on_file = sum(on_file[d] > 0 for d in tally.refused_ids)
    unanswered_on_file = sum(on_file[d] == 1 for d in tally.unanswered)
    took_effect = 0
    for task_id, outcome, by in tally.taken.values():
        row = store.task(task_id)
        if row is None:
            continue
        if outcome == TaskOutcome.RECUSE:
            took_effect += by in row.data.get("excluded_staff", [])
        else:
            took_effect += row.status == TaskStatus.DONE.value
    counts = {
        "decisions sent": tally.sent,
        "decisions recorded (on file once)": recorded_once,
        "decisions taken effect (task closed, or the recusal on file)": took_effect,
        "decisions sent twice (same id, answered as a duplicate)": tally.resent,
        "decisions refused": sum(tally.refused.values()),
        "decisions refused but on file": refused_on_file,
        "decisions unanswered": len(tally.unanswered),
        "decisions unanswered but on file": unanswered_on_file,
        "decisions on file but never sent": len(set(on_file) - sent_ids),
        "decisions on file twice": sum(n > 1 for n in on_file.values()),
        "decisions lost": len(tally.taken) - recorded_once + len(tally.unanswered) - unanswered_on_file,
    }
    counts |= {f"  decisions refused, {kind}": n for kind, n in sorted(tally.refused.items())}
    return counts
