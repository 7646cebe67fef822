"""Payloads that case systems and colleagues send: validated at the edge.

Everything here checks what can be checked without the party's record and
without a clock (the time-skipping server runs ahead of the wall clock, so
"not in the future" is checked in the workflow, against `workflow.now()`).
"""

from typing import Any

from pydantic import ConfigDict, Field, StrictBool, field_validator, model_validator

from policy.fields import (
    MAX_INCIDENTS_PER_MESSAGE,
    MESSAGE_ID_PATTERN,
    PARTY_ID_PATTERN,
    Authority,
    AwareDatetime,
    CaseReference,
    Message,
    MessageId,
    PartyId,
    StaffId,
)
from policy.measures import (
    MAX_TIME_OUT,
    MeasureItem,
    MeasureTerms,
    ThirdPartyId,
    TimeOutTerms,
    check_measures,
    measure_name,
    parameters_of,
)
from policy.vocabulary import (
    BEHAVIOUR_CODES,
    SPOKEN_CHANNELS,
    Category,
    ContactChannel,
    LetterFormat,
    Measure,
    PartyKind,
    Role,
    SupportOption,
    TaskOutcome,
    WarningMethod,
)

__all__ = [
    "MESSAGE_ID_PATTERN",
    "PARTY_ID_PATTERN",
    "AwareDatetime",
    "CaseReference",
    "Message",
    "MessageId",
    "PartyId",
    "StaffId",
]


class ActingMessage(Message):
    """A message that changes a party's file: it names who acted, and carries the door's seal."""

    authority: Authority | None = Field(
        default=None,
        description="the door's seal (policy.authority): set by the API, the inbox or the CLI, never by a caller",
    )


class PartyRef(Message):
    """Who the party is, as the case system knows them. No names: ids only."""

    party_id: PartyId
    kind: PartyKind = PartyKind.INDIVIDUAL
    professional_capacity: StrictBool = Field(
        default=False, description="R1/R7: acting as a solicitor, advocate or an organisation's officer"
    )


def _codes_by_category(schema: dict[str, Any]) -> None:
    """R2 in the JSON Schema too: the behaviour codes allowed under each category."""
    schema["oneOf"] = [
        {
            "properties": {
                "category": {"const": category.value},
                "behaviour_code": {"enum": sorted(BEHAVIOUR_CODES[category])},
            }
        }
        for category in Category
    ]


class IncidentReport(ActingMessage):
    """R2, R18: a colleague's report of unacceptable behaviour."""

    model_config = ConfigDict(json_schema_extra=_codes_by_category)

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
    case_reference: CaseReference | None = None
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


class EndedCall(Message):
    """R4a: a call or meeting a colleague ended because the behaviour continued after the ask,
    and the ground rules that future calls or meetings start by agreeing, if any."""

    ended_at: AwareDatetime = Field(description="when the colleague ended it")
    channel: ContactChannel = Field(description="phone (a call) or in_person (a meeting)")
    why: str = Field(min_length=1, max_length=4000, description="what continued after the request")
    ground_rules: str = Field(
        default="",
        max_length=4000,
        description="R4a: the ground rules for future calls or meetings, in the colleague's words; empty: none. "
        "Not a restriction: no warning, approval or letter; they stand six calendar months",
    )

    @field_validator("channel")
    @classmethod
    def _spoken(cls, channel: ContactChannel) -> ContactChannel:
        if channel not in SPOKEN_CHANNELS:
            raise ValueError(f"a colleague ends a call (phone) or a meeting (in_person), not {channel.value}")
        return channel

    @field_validator("ground_rules")
    @classmethod
    def _words_or_none(cls, text: str) -> str:
        if text and not text.strip():
            raise ValueError("give the ground rules in words, or leave them out")
        return text


class AskRecord(ActingMessage):
    """R4: someone was asked to stop, and asked whether an adjustment would help."""

    ask_id: MessageId
    party_id: PartyId
    incident_ids: list[MessageId] = Field(min_length=1, max_length=MAX_INCIDENTS_PER_MESSAGE)
    asked_at: AwareDatetime
    asked_by: StaffId
    adjustment_discussed: StrictBool = True
    notes: str = Field(default="", max_length=4000)
    ended_call: EndedCall | None = Field(
        default=None,
        description="R4a: the call or meeting of this ask, ended because the behaviour continued after it "
        "(on file under the ask's id)",
    )

    @model_validator(mode="after")
    def _ended_after_the_ask(self) -> "AskRecord":
        if self.ended_call is not None and self.ended_call.ended_at < self.asked_at:
            raise ValueError(
                f"ended_call.ended_at: a call is ended after the request to stop (asked_at {self.asked_at.isoformat()})"
            )
        return self


class EndedCallRecord(EndedCall, ActingMessage):
    """R4a: after an ask, a call or meeting ended because the behaviour continued, and the
    ground rules for future ones."""

    call_id: MessageId = Field(description="idempotency key: the ended call on the party's file")
    party_id: PartyId
    ask_id: MessageId = Field(description="the ask whose request the behaviour continued after")
    ended_by: StaffId


class GroundRulesLift(ActingMessage):
    """R4a: a colleague lifts the ground rules of an ended call before they lapse."""

    party_id: PartyId
    call_id: MessageId = Field(description="the ended call whose ground rules are lifted; lifted once")
    lifted_at: AwareDatetime
    lifted_by: StaffId
    reason: str = Field(min_length=1, max_length=4000)


class WarningIssue(ActingMessage):
    """R5, R10: a warning with its written reasons."""

    warning_id: MessageId
    party_id: PartyId
    incident_ids: list[MessageId] = Field(min_length=1, max_length=MAX_INCIDENTS_PER_MESSAGE)
    communicated_at: AwareDatetime
    issued_by: StaffId
    method: WarningMethod = WarningMethod.WRITTEN
    reasons: str = Field(min_length=1, max_length=4000)


class RestrictionRequest(ActingMessage):
    """R6-R12: measures proposed for a party, with written reasons (R10)."""

    restriction_id: MessageId
    party_id: PartyId
    incident_ids: list[MessageId] = Field(min_length=1, max_length=MAX_INCIDENTS_PER_MESSAGE)
    measures: list[MeasureItem] = Field(
        min_length=1,
        max_length=len(Measure),
        description="R8: each a measure's name, or an object with `measure` and its parameters "
        "(policy.measures); a measure named twice, or measures that contradict each other, are refused",
    )
    proposed_by: StaffId
    reasons: str = Field(min_length=1, max_length=4000)
    contact_arrangements: str = Field(min_length=1, max_length=4000, description="R10: what contact continues and how")
    replaces_restriction_id: str | None = Field(default=None, description="R11: stepping up")
    decided_at: AwareDatetime

    @model_validator(mode="after")
    def _measures_consistent(self) -> "RestrictionRequest":
        check_measures(self.measures)
        for n, item in enumerate(self.measures):
            if not isinstance(item, TimeOutTerms):
                continue
            if item.ends_at <= self.decided_at:
                raise ValueError(
                    f"measures[{n}].ends_at: the time out must end after decided_at ({self.decided_at.isoformat()})"
                )
            if item.ends_at > self.decided_at + MAX_TIME_OUT:
                raise ValueError(
                    f"measures[{n}].ends_at: a time out is a defined period of at most a year after decided_at; "
                    "a longer pause is stopping work on the case (stop_work_on_case, R9)"
                )
        return self

    @property
    def measure_names(self) -> list[Measure]:
        """The measures by name, parameters or not."""
        return [measure_name(m) for m in self.measures]

    @property
    def terms(self) -> list[MeasureTerms]:
        """The parameters of the measures that have them."""
        return parameters_of(self.measures)


class TaskDecision(ActingMessage):
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
    police_referral: StrictBool | None = Field(default=None, description="R15: required on a zero-tolerance review")
    support_offered: list[SupportOption] = Field(default_factory=list, max_length=len(SupportOption), description="R18")
    decided_at: AwareDatetime


class AdjustmentRequest(ActingMessage):
    """R16: a reasonable adjustment the party asked for."""

    adjustment_id: MessageId
    party_id: PartyId
    description: str = Field(min_length=1, max_length=4000)
    requested_at: AwareDatetime
    recorded_by: StaffId
    letter_format: LetterFormat | None = Field(
        default=None, description="R16: the format the party's letters take once this is agreed (large print …)"
    )


class AdviceRequest(ActingMessage):
    """R16: ask a specialist adviser about a requested adjustment."""

    adjustment_id: MessageId
    party_id: PartyId
    requested_by: StaffId


class AdjustmentDecision(ActingMessage):
    """R16: agree or decline a requested adjustment; declining needs advice first."""

    adjustment_id: MessageId
    party_id: PartyId
    agree: StrictBool
    decided_by: StaffId
    reason: str = Field(min_length=1, max_length=4000)
    decided_at: AwareDatetime


class CaseClosure(ActingMessage):
    """R17: a case closed, with notice given that no further reply will be made about it."""

    party_id: PartyId
    case_reference: CaseReference = Field(description="the closed case; its idempotency key for this party")
    closed_at: AwareDatetime = Field(description="when the party was told there will be no further reply")
    closed_by: StaffId
    notes: str = Field(default="", max_length=4000)


class InboundContact(Message):
    """An email, letter, web form, call or visit from a party, as it arrives (R8, R17, R19).

    The contact gate answers how to handle it and by when; it records the
    answer, but never reports an incident by itself.
    """

    contact_id: MessageId = Field(description="idempotency key: the same contact id is answered once")
    party_id: PartyId
    received_at: AwareDatetime
    channel: ContactChannel
    to_whom: StaffId | None = Field(default=None, description="the staff id it was addressed to, if any")
    case_reference: CaseReference | None = Field(default=None, description="the case it is about, if known")
    raises_new_complaint: StrictBool = Field(default=False, description="R8, R17: it raises a new complaint")
    via_third_party: ThirdPartyId | None = Field(
        default=None, description="the third party (e.g. an advocate) it came through, if any"
    )
