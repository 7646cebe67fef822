"""Payloads that case systems and colleagues send: validated at the edge.

Everything here checks what can be checked without the party's record and
without a clock (the time-skipping server runs ahead of the wall clock, so
"not in the future" is checked in the workflow, against `workflow.now()`).
"""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from policy.vocabulary import (
    BEHAVIOUR_CODES,
    Category,
    Measure,
    PartyKind,
    Role,
    SupportOption,
    TaskOutcome,
    WarningMethod,
)

PARTY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"


def _require_aware(value: datetime) -> datetime:
    """Aware datetimes only, normalised to UTC: every instant inside is UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone offset, e.g. 2026-03-01T10:00:00+00:00")
    return value.astimezone(UTC)


AwareDatetime = Annotated[datetime, AfterValidator(_require_aware)]
MessageId = Annotated[str, Field(pattern=MESSAGE_ID_PATTERN)]
PartyId = Annotated[str, Field(pattern=PARTY_ID_PATTERN)]
StaffId = Annotated[str, Field(min_length=1, max_length=100)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyRef(Message):
    """Who the party is, as the case system knows them. No names: ids only."""

    party_id: PartyId
    kind: PartyKind = PartyKind.INDIVIDUAL
    professional_capacity: bool = Field(
        default=False, description="R1/R7: acting as a solicitor, advocate or an organisation's officer"
    )


class IncidentReport(Message):
    """R2, R18: a colleague's report of unacceptable behaviour."""

    incident_id: MessageId
    party: PartyRef
    category: Category
    behaviour_code: str = Field(min_length=1, max_length=64)
    occurred_at: AwareDatetime
    reported_by: StaffId
    experienced_by: StaffId | None = Field(
        default=None, description="the colleague who experienced it, if not the reporter"
    )
    channel: str = Field(default="unspecified", max_length=32)
    case_reference: str | None = Field(default=None, max_length=64)
    summary: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def _code_belongs_to_category(self) -> "IncidentReport":
        allowed = BEHAVIOUR_CODES[self.category]
        if self.behaviour_code not in allowed:
            raise ValueError(
                f"behaviour_code {self.behaviour_code!r} is not under category {self.category.value!r};"
                f" allowed: {', '.join(sorted(allowed))}"
            )
        return self


class AskRecord(Message):
    """R4: someone was asked to stop, and asked whether an adjustment would help."""

    ask_id: MessageId
    party_id: PartyId
    incident_ids: list[MessageId] = Field(min_length=1)
    asked_at: AwareDatetime
    asked_by: StaffId
    adjustment_discussed: bool = True
    notes: str = Field(default="", max_length=4000)


class WarningIssue(Message):
    """R5, R10: a warning with its written reasons."""

    warning_id: MessageId
    party_id: PartyId
    incident_ids: list[MessageId] = Field(min_length=1)
    communicated_at: AwareDatetime
    issued_by: StaffId
    method: WarningMethod = WarningMethod.WRITTEN
    reasons: str = Field(min_length=1, max_length=4000)


class RestrictionRequest(Message):
    """R6-R12: measures proposed for a party, with written reasons (R10)."""

    restriction_id: MessageId
    party_id: PartyId
    incident_ids: list[MessageId] = Field(min_length=1)
    measures: list[Measure] = Field(min_length=1)
    proposed_by: StaffId
    reasons: str = Field(min_length=1, max_length=4000)
    contact_arrangements: str = Field(min_length=1, max_length=4000, description="R10: what contact continues and how")
    replaces_restriction_id: str | None = Field(default=None, description="R11: stepping up")
    decided_at: AwareDatetime

    @model_validator(mode="after")
    def _measures_unique(self) -> "RestrictionRequest":
        if len(set(self.measures)) != len(self.measures):
            raise ValueError("measures must not repeat")
        return self


class TaskDecision(Message):
    """A person's decision on a human task. The front door checks that
    `decided_by` holds `role` in the staff list; the workflow checks the role
    may decide this task, conflicts of interest and the task's state."""

    decision_id: MessageId
    party_id: PartyId
    task_id: MessageId
    decided_by: StaffId
    role: Role
    outcome: TaskOutcome
    reason: str = Field(default="", max_length=4000)
    police_referral: bool | None = Field(default=None, description="R15: required on a zero-tolerance review")
    support_offered: list[SupportOption] = Field(default_factory=list, description="R18")
    decided_at: AwareDatetime


class AdjustmentRequest(Message):
    """R16: a reasonable adjustment the party asked for."""

    adjustment_id: MessageId
    party_id: PartyId
    description: str = Field(min_length=1, max_length=4000)
    requested_at: AwareDatetime
    recorded_by: StaffId


class AdviceRequest(Message):
    """R16: ask a specialist adviser about a requested adjustment."""

    adjustment_id: MessageId
    party_id: PartyId
    requested_by: StaffId


class AdjustmentDecision(Message):
    """R16: agree or decline a requested adjustment; declining needs advice first."""

    adjustment_id: MessageId
    party_id: PartyId
    agree: bool
    decided_by: StaffId
    reason: str = Field(min_length=1, max_length=4000)
    decided_at: AwareDatetime
