"""R8's measures with the parameters the contact gate needs, validated at the edge.

A restriction names its measures. A measure the gate acts on carries its
parameters as an object, `{"measure": "single_contact_channel", "channels":
["email"]}`; a measure given by its name alone (`"single_contact_channel"`, as
every restriction made before parameters existed) still applies, and the gate
then answers "see the arrangements", quoting the restriction's contact
arrangements. Measures with nothing to set may be written either way.
"""

from datetime import time
from typing import Annotated, Any, Literal

from dateutil.relativedelta import relativedelta
from pydantic import Discriminator, Field, StrictBool, StrictInt, Tag, model_validator

from policy.fields import AwareDatetime, CaseReference, Message, StaffId
from policy.vocabulary import BLOCKABLE_CHANNELS, ContactChannel, ContactPeriod, Measure, Weekday

# R19: "our usual 10 working day target".
USUAL_RESPONSE_WORKING_DAYS = 10
# A longer target than this is no longer a response time: a time out says so better.
MAX_RESPONSE_WORKING_DAYS = 60
# "A defined period": a pause longer than this is stopping work on the case (R9).
MAX_TIME_OUT = relativedelta(years=1)
# The longest lists a restriction's terms take (every list in a message has a maximum,
# so no body can grow the party's file, or the work of checking it, without bound).
MAX_ISSUES = 100
MAX_WINDOWS = 21

ThirdPartyId = Annotated[
    str,
    Field(min_length=1, max_length=100, description="the case system's id for the third party (an id, not a name)"),
]


def _unique(values: list[Any], field: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{field} must not repeat")


class NamedContactTerms(Message):
    """Only one colleague deals with the party (R8 "single named contact")."""

    measure: Literal[Measure.SINGLE_NAMED_CONTACT]
    named_contact: StaffId = Field(description="the staff id of the one colleague the party may contact")


class ChannelTerms(Message):
    """Contact on these channels only (R8 "restricting contact to a particular channel")."""

    measure: Literal[Measure.SINGLE_CONTACT_CHANNEL]
    channels: list[ContactChannel] = Field(
        min_length=1, max_length=len(ContactChannel), description="the channels still open to the party"
    )

    @model_validator(mode="after")
    def _channels_unique(self) -> "ChannelTerms":
        _unique(self.channels, "channels")
        return self


class BlockTerms(Message):
    """Emails blocked, calls refused, or both (R8 "blocking emails or refusing phone calls")."""

    measure: Literal[Measure.BLOCK_EMAILS_OR_REFUSE_CALLS]
    channels: list[ContactChannel] = Field(
        min_length=1, max_length=len(BLOCKABLE_CHANNELS), description="`email`, `phone`, or both"
    )

    @model_validator(mode="after")
    def _only_email_or_phone(self) -> "BlockTerms":
        _unique(self.channels, "channels")
        other = sorted(c.value for c in self.channels if c not in BLOCKABLE_CHANNELS)
        if other:
            raise ValueError(f"channels: this measure blocks email or refuses phone calls only, not {', '.join(other)}")
        return self


class IssueTerms(Message):
    """The issues the body still corresponds on (R8 "restricting the issues we will correspond on")."""

    measure: Literal[Measure.RESTRICT_ISSUES]
    issues: list[CaseReference] = Field(
        min_length=1, max_length=MAX_ISSUES, description="case references of the issues still answered"
    )

    @model_validator(mode="after")
    def _issues_unique(self) -> "IssueTerms":
        _unique(self.issues, "issues")
        return self


class ContactWindow(Message):
    """When contact is allowed: these days, from `starts` to `ends`, local (London) time."""

    days: list[Weekday] = Field(min_length=1, max_length=len(Weekday))
    starts: time = Field(description="local wall-clock time, e.g. 10:00")
    ends: time = Field(description="local wall-clock time, after `starts`, e.g. 12:00")

    @model_validator(mode="after")
    def _ends_after_starts(self) -> "ContactWindow":
        _unique(self.days, "days")
        if self.starts.tzinfo is not None or self.ends.tzinfo is not None:
            raise ValueError("starts and ends are local (London) wall-clock times: give no offset")
        if self.ends <= self.starts:
            raise ValueError(f"ends ({self.ends.isoformat()}) must be after starts ({self.starts.isoformat()})")
        return self


class ContactLimitTerms(Message):
    """At most `max_contacts` per `per`, and/or only within `windows`
    (R8 "restricting the time or volume of contact")."""

    measure: Literal[Measure.RESTRICT_TIME_OR_VOLUME]
    max_contacts: StrictInt | None = Field(default=None, ge=1, le=1000, description="with `per`: the volume limit")
    per: ContactPeriod | None = Field(default=None, description="with `max_contacts`: a local day, week or month")
    windows: list[ContactWindow] = Field(
        default_factory=list, max_length=MAX_WINDOWS, description="when contact is allowed (local time)"
    )

    @model_validator(mode="after")
    def _a_limit_or_windows(self) -> "ContactLimitTerms":
        if self.max_contacts is not None and self.per is None:
            raise ValueError("per: give the period (day, week or month) that max_contacts counts over")
        if self.per is not None and self.max_contacts is None:
            raise ValueError("max_contacts: give how many contacts are allowed per period")
        if self.max_contacts is None and not self.windows:
            raise ValueError("give max_contacts and per (a volume limit), windows (allowed times), or both")
        return self


class ResponseTimeTerms(Message):
    """A longer response target than the usual 10 working days, or 10 working days from
    the most recent contact (R8 "extending the time we take to respond", R19)."""

    measure: Literal[Measure.EXTENDED_RESPONSE_TIME]
    working_days: StrictInt | None = Field(
        default=None,
        gt=USUAL_RESPONSE_WORKING_DAYS,
        le=MAX_RESPONSE_WORKING_DAYS,
        description="the response target in working days, more than the usual 10",
    )
    from_latest_contact: StrictBool = Field(
        default=False, description="true: one reply, 10 working days from the most recent contact"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> "ResponseTimeTerms":
        if (self.working_days is None) == (not self.from_latest_contact):
            raise ValueError("give either working_days (more than 10) or from_latest_contact: true, not both")
        return self


class TimeOutTerms(Message):
    """Work on the case paused until `ends_at` (R8 "a time out")."""

    measure: Literal[Measure.TIME_OUT]
    ends_at: AwareDatetime = Field(
        description="when the time out ends: after the restriction's decided_at, and within a year of it"
    )


class ThirdPartyTerms(Message):
    """Contact only through a third party such as an advocate (R8)."""

    measure: Literal[Measure.CONTACT_THROUGH_THIRD_PARTY]
    third_party: ThirdPartyId


# Measures that change how a contact is handled, and so carry parameters.
PARAMETERS: dict[Measure, type[Message]] = {
    Measure.SINGLE_NAMED_CONTACT: NamedContactTerms,
    Measure.SINGLE_CONTACT_CHANNEL: ChannelTerms,
    Measure.BLOCK_EMAILS_OR_REFUSE_CALLS: BlockTerms,
    Measure.RESTRICT_ISSUES: IssueTerms,
    Measure.RESTRICT_TIME_OR_VOLUME: ContactLimitTerms,
    Measure.EXTENDED_RESPONSE_TIME: ResponseTimeTerms,
    Measure.TIME_OUT: TimeOutTerms,
    Measure.CONTACT_THROUGH_THIRD_PARTY: ThirdPartyTerms,
}


class PlainMeasure(Message):
    """A measure with nothing to set, in the object form."""

    measure: Literal[
        Measure.MEETING_ABOUT_BEHAVIOUR,
        Measure.RETURN_CORRESPONDENCE_HIGHLIGHTED,
        Measure.BEHAVIOUR_CONTRACT,
        Measure.WITHHOLD_CONTACT_DETAILS,
        Measure.READ_AND_FILE_WITHOUT_REPLY,
        Measure.RETURN_POSTED_LETTERS,
        Measure.GROUND_RULES_FOR_CALLS,
        Measure.STOP_DIRECT_CONTACT,
        Measure.BLOCK_ALL_CONTACT,
        Measure.STOP_WORK_ON_CASE,
        Measure.REFUSE_FURTHER_COMPLAINTS,
    ]


MeasureTerms = (
    NamedContactTerms
    | ChannelTerms
    | BlockTerms
    | IssueTerms
    | ContactLimitTerms
    | ResponseTimeTerms
    | TimeOutTerms
    | ThirdPartyTerms
)
StoredTerms = Annotated[MeasureTerms, Field(discriminator="measure")]

_NAME = "name"
_PLAIN = "plain"
_MEASURE_NAMES = frozenset(m.value for m in Measure)


def _form_of(value: Any) -> str | None:
    """Which form a measure is given in: its name, or an object tagged by its measure."""
    if isinstance(value, str):
        return _NAME
    given = value.get("measure") if isinstance(value, dict) else getattr(value, "measure", None)
    if not isinstance(given, str) or given not in _MEASURE_NAMES:
        return None
    return given if Measure(given) in PARAMETERS else _PLAIN


MeasureItem = Annotated[
    Annotated[Measure, Tag(_NAME)]
    | Annotated[NamedContactTerms, Tag(Measure.SINGLE_NAMED_CONTACT.value)]
    | Annotated[ChannelTerms, Tag(Measure.SINGLE_CONTACT_CHANNEL.value)]
    | Annotated[BlockTerms, Tag(Measure.BLOCK_EMAILS_OR_REFUSE_CALLS.value)]
    | Annotated[IssueTerms, Tag(Measure.RESTRICT_ISSUES.value)]
    | Annotated[ContactLimitTerms, Tag(Measure.RESTRICT_TIME_OR_VOLUME.value)]
    | Annotated[ResponseTimeTerms, Tag(Measure.EXTENDED_RESPONSE_TIME.value)]
    | Annotated[TimeOutTerms, Tag(Measure.TIME_OUT.value)]
    | Annotated[ThirdPartyTerms, Tag(Measure.CONTACT_THROUGH_THIRD_PARTY.value)]
    | Annotated[PlainMeasure, Tag(_PLAIN)],
    Discriminator(
        _form_of,
        custom_error_type="measure",
        custom_error_message='a measure is its name (e.g. "time_out") or an object with "measure" naming one and '
        "its parameters",
    ),
]


def measure_name(item: Measure | MeasureTerms | PlainMeasure) -> Measure:
    return item if isinstance(item, Measure) else Measure(item.measure)


def parameters_of(items: list[Measure | MeasureTerms | PlainMeasure]) -> list[MeasureTerms]:
    """The parameters of the measures that have them (given in the object form)."""
    return [i for i in items if not isinstance(i, Measure | PlainMeasure)]


def check_measures(items: list[Measure | MeasureTerms | PlainMeasure]) -> None:
    """Refuse a measure named twice and measures whose parameters contradict each other.

    Raises:
        ValueError: Naming the measure (its index in `measures`) and the field.
    """
    names = [measure_name(i) for i in items]
    _unique(names, "measures")
    allowed = next(((n, i) for n, i in enumerate(items) if isinstance(i, ChannelTerms)), None)
    if allowed is not None:
        n, channel = allowed
        blocked = next((i for i in items if isinstance(i, BlockTerms)), None)
        both = sorted({c.value for c in channel.channels} & {c.value for c in blocked.channels}) if blocked else []
        if both:
            raise ValueError(
                f"measures[{n}].channels: {', '.join(both)} cannot be both the one channel allowed "
                "and blocked by block_emails_or_refuse_calls"
            )
        if Measure.RETURN_POSTED_LETTERS in names and ContactChannel.LETTER in channel.channels:
            raise ValueError(
                f"measures[{n}].channels: letter cannot be the one channel allowed while posted letters are returned"
            )
    if Measure.BLOCK_ALL_CONTACT in names:
        # Only what is given with parameters: restrictions named by measure alone were
        # accepted before parameters existed, and their stored requests must still load.
        open_ways = [
            t.measure.value
            for t in parameters_of(items)
            if t.measure
            in (Measure.SINGLE_NAMED_CONTACT, Measure.SINGLE_CONTACT_CHANNEL, Measure.CONTACT_THROUGH_THIRD_PARTY)
        ]
        if open_ways:
            raise ValueError(
                f"measures: block_all_contact blocks every contact, so {', '.join(open_ways)} would never apply"
            )
