"""The effects the rules ask for: what the workflow must write to the party's file.

A discriminated union, carried out in order by the write activity, and
carried across continue-as-new while unwritten.
"""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from policy.fields import Authority
from policy.messages import IncidentReport, PartyRef
from policy.state import (
    AdjustmentEntry,
    AskEntry,
    ClosedCaseEntry,
    DecisionEntry,
    EndedCallEntry,
    HumanTask,
    Rejection,
    RestrictionEntry,
    WarningEntry,
)
from policy.vocabulary import NoticeKind, Role, Stage

# A run's places in its stream of effects stay below this (a run continues as new
# long before 4 billion effects), so a step orders by workflow task, then by place.
STEP_SPAN = 2**32


class PartySaved(BaseModel):
    kind: Literal["party"] = "party"
    party: PartyRef
    stage: Stage
    at: datetime


class IncidentRecorded(BaseModel):
    kind: Literal["incident"] = "incident"
    report: IncidentReport
    received_at: datetime


class AskSaved(BaseModel):
    kind: Literal["ask"] = "ask"
    party_id: str
    ask: AskEntry


class WarningSaved(BaseModel):
    kind: Literal["warning"] = "warning"
    party_id: str
    warning: WarningEntry


class RestrictionSaved(BaseModel):
    kind: Literal["restriction"] = "restriction"
    party_id: str
    restriction: RestrictionEntry


class EndedCallSaved(BaseModel):
    """R4a: an ended call, with its ground rules as they now stand."""

    kind: Literal["ended_call"] = "ended_call"
    party_id: str
    ended_call: EndedCallEntry


class StageChanged(BaseModel):
    kind: Literal["stage_change"] = "stage_change"
    change_id: str
    party_id: str
    from_stage: Stage
    to_stage: Stage
    at: datetime
    reason: str


class TaskSaved(BaseModel):
    kind: Literal["task"] = "task"
    party_id: str
    task: HumanTask


class DecisionRecorded(BaseModel):
    kind: Literal["decision"] = "decision"
    party_id: str
    decision: DecisionEntry


class AdjustmentSaved(BaseModel):
    kind: Literal["adjustment"] = "adjustment"
    party_id: str
    adjustment: AdjustmentEntry


class NoticeQueued(BaseModel):
    """A notice to staff (task opened, reminder, escalation, overdue); a
    notifier reads the `notice` table and sends it."""

    kind: Literal["notice"] = "notice"
    notice_id: str
    party_id: str
    task_id: str
    notice: NoticeKind
    roles: list[Role]
    at: datetime
    text: str


class CaseClosureSaved(BaseModel):
    """R17: a case closed with notice that no further reply will be made."""

    kind: Literal["closed_case"] = "closed_case"
    party_id: str
    closed_case: ClosedCaseEntry


class Acted(BaseModel):
    """Who acted on the file: the authenticated principal of a message applied (policy.authority)."""

    kind: Literal["acted"] = "acted"
    party_id: str
    message_kind: str
    message_id: str
    authority: Authority
    at: datetime


class MessageRejected(BaseModel):
    kind: Literal["rejection"] = "rejection"
    party_id: str
    rejection: Rejection


Effect = Annotated[
    PartySaved
    | IncidentRecorded
    | AskSaved
    | WarningSaved
    | RestrictionSaved
    | EndedCallSaved
    | StageChanged
    | TaskSaved
    | DecisionRecorded
    | AdjustmentSaved
    | NoticeQueued
    | MessageRejected
    | CaseClosureSaved
    | Acted,
    Field(discriminator="kind"),
]


class EffectBatch(BaseModel):
    """Input of the write activity: effects in the order the rules produced them.

    Where a batch's saves stand among the party's writes, so that an older save of
    a row never overwrites a newer one (records.writes): the run (`revision`), the
    workflow task that writes (`activation`), and each effect's place in the run's
    stream of effects (`first` plus its index). A place in the stream is the effect's
    own, however the stream is cut into batches: a workflow task tried again at the
    same history length may cut it differently and must still write what the first
    try wrote (a revision per batch lost incidents that way).
    """

    party_id: str
    effects: list[Effect]
    revision: int | None = Field(
        default=None,
        description="the revision of the run that writes this batch (workflows.party: when the run started): "
        "a batch from an earlier run than the file's latest changes nothing (records.writes); None for a "
        "write not made by a party's workflow (an import, a tool), applied unfenced",
    )
    activation: int = Field(
        default=0,
        ge=0,
        lt=2**31,  # so a step fits a signed 64-bit column
        description="the history length of the workflow task that writes the batch: a task that follows one "
        "that timed out has the longer history, so its saves stand over the late worker's",
    )
    first: int = Field(
        default=0,
        ge=0,
        description="the place of the batch's first effect in the run's stream of effects (carried ones first)",
    )

    def step(self, index: int) -> int:
        """Where the batch's `index`th effect stands in its run: by workflow task, then by place."""
        return self.activation * STEP_SPAN + self.first + index


def write_batch(effects: list[Effect], max_effects: int, max_bytes: int) -> list[Effect]:
    """The leading effects to write together: at most `max_effects`, and at most
    `max_bytes` of JSON (the first alone may be more), so no write's payload nears
    Temporal's limits however many effects wait."""
    size = 0
    for n, effect in enumerate(effects[:max_effects]):
        size += len(effect.model_dump_json())
        if size > max_bytes and n > 0:
            return effects[:n]
    return effects[:max_effects]
