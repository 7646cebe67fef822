"""The policy's fixed vocabulary: categories (R2), behaviour codes, measures (R8, R9).

Kept apart from the models so that the CLI, the API and the docs can list the
allowed values without importing anything else.
"""

from enum import StrEnum


class Category(StrEnum):
    """R2: every incident has exactly one category."""

    UNACCEPTABLE_DEMANDS = "unacceptable_demands"
    UNACCEPTABLE_CONTACT_LEVELS = "unacceptable_contact_levels"
    REFUSING_TO_COOPERATE = "refusing_to_cooperate"
    OVERBEARING_OR_CONTROLLING = "overbearing_or_controlling"
    AGGRESSIVE_OR_ABUSIVE = "aggressive_or_abusive"
    ZERO_TOLERANCE = "zero_tolerance"


# The policy's own examples under each heading; `other` keeps the list open
# because the policy says its examples "do not cover everything".
BEHAVIOUR_CODES: dict[Category, frozenset[str]] = {
    Category.UNACCEPTABLE_DEMANDS: frozenset(
        {
            "unreasonable_timescales",
            "demanding_senior_colleagues",
            "disproportionate_complaining",
            "repeating_issues_without_new_information",
            "vexatious_information_requests",
            "changing_complaint_details",
            "refusing_to_accept_decision",
            "other",
        }
    ),
    Category.UNACCEPTABLE_CONTACT_LEVELS: frozenset(
        {
            "excessive_contact",
            "resending_information",
            "reframing_complaint_repeatedly",
            "other",
        }
    ),
    Category.REFUSING_TO_COOPERATE: frozenset(
        {
            "withholding_information",
            "no_summary_of_concerns",
            "late_responses",
            "not_agreeing_scope",
            "not_keeping_to_agenda",
            "other",
        }
    ),
    Category.OVERBEARING_OR_CONTROLLING: frozenset(
        {
            "talking_over_or_interrupting",
            "recording_without_permission",
            "manipulative_behaviour",
            "threats_of_self_harm_to_influence",
            "other",
        }
    ),
    Category.AGGRESSIVE_OR_ABUSIVE: frozenset(
        {
            "verbal_abuse",
            "offensive_or_discriminatory_language",
            "rudeness",
            "agitated_or_intimidating",
            "false_allegations",
            "microaggressions",
            "other",
        }
    ),
    Category.ZERO_TOLERANCE: frozenset(
        {
            "stalking",
            "harassment",
            "threat_of_harm",
            "sexual_harassment",
            "doxing",
            "cyber_stalking",
            "unwanted_gifts_or_contact",
            "approaching_outside_channels",
            "identity_theft",
            "other",
        }
    ),
}


def in_words(code: str) -> str:
    """A vocabulary value in words, for people to read: `threat_of_harm` -> `threat of harm`."""
    return code.replace("_", " ")


def is_same_or_similar(a: Category, b: Category) -> bool:
    """R20: behaviour in the same category is the same or similar (the behaviour
    code plays no part). Every rule that asks "same or similar?" asks this."""
    return a == b


class PartyKind(StrEnum):
    """R1: people who bring complaints and organisations under investigation."""

    INDIVIDUAL = "individual"
    ORGANISATION = "organisation"


class Measure(StrEnum):
    """R8 measures, R9 severe measures, and R15's immediate stop of direct contact."""

    SINGLE_NAMED_CONTACT = "single_named_contact"
    MEETING_ABOUT_BEHAVIOUR = "meeting_about_behaviour"
    RETURN_CORRESPONDENCE_HIGHLIGHTED = "return_correspondence_highlighted"
    BEHAVIOUR_CONTRACT = "behaviour_contract"
    SINGLE_CONTACT_CHANNEL = "single_contact_channel"
    WITHHOLD_CONTACT_DETAILS = "withhold_contact_details"
    READ_AND_FILE_WITHOUT_REPLY = "read_and_file_without_reply"
    RETURN_POSTED_LETTERS = "return_posted_letters"
    RESTRICT_ISSUES = "restrict_issues"
    RESTRICT_TIME_OR_VOLUME = "restrict_time_or_volume"
    EXTENDED_RESPONSE_TIME = "extended_response_time"
    BLOCK_EMAILS_OR_REFUSE_CALLS = "block_emails_or_refuse_calls"
    CONTACT_THROUGH_THIRD_PARTY = "contact_through_third_party"
    TIME_OUT = "time_out"
    GROUND_RULES_FOR_CALLS = "ground_rules_for_calls"
    STOP_DIRECT_CONTACT = "stop_direct_contact"
    BLOCK_ALL_CONTACT = "block_all_contact"
    STOP_WORK_ON_CASE = "stop_work_on_case"
    REFUSE_FURTHER_COMPLAINTS = "refuse_further_complaints"


SEVERE_MEASURES = frozenset({Measure.BLOCK_ALL_CONTACT, Measure.STOP_WORK_ON_CASE, Measure.REFUSE_FURTHER_COMPLAINTS})


class ContactChannel(StrEnum):
    """How an inbound contact reached the body (R8, R17, R19)."""

    EMAIL = "email"
    LETTER = "letter"
    WEB_FORM = "web_form"
    PHONE = "phone"
    IN_PERSON = "in_person"


# R17 and R19 speak of written contact: it is read, filed and answered in writing.
WRITTEN_CHANNELS = frozenset({ContactChannel.EMAIL, ContactChannel.LETTER, ContactChannel.WEB_FORM})
# R8 "blocking emails or refusing phone calls": the channels that measure can close.
BLOCKABLE_CHANNELS = frozenset({ContactChannel.EMAIL, ContactChannel.PHONE})
# R4a: a call (phone) or a meeting (in person): what a colleague may end, and what ground rules govern.
SPOKEN_CHANNELS = frozenset({ContactChannel.PHONE, ContactChannel.IN_PERSON})


class ContactPeriod(StrEnum):
    """R8 "restricting the volume of contact": n contacts per local calendar day, week (Monday
    to Sunday) or month."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Weekday(StrEnum):
    """Days of the week, Monday first (as `date.weekday()` counts them)."""

    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class ContactHandling(StrEnum):
    """The contact gate's one answer: how to handle an inbound contact (R8, R9, R15, R17)."""

    RESPOND = "respond"  # as usual (R19)
    ROUTE_TO_NAMED_CONTACT = "route_to_named_contact"  # single named contact
    REPLY_WITH_ARRANGEMENTS = "reply_with_arrangements"  # not on the allowed channel
    ONLY_THROUGH_THIRD_PARTY = "only_through_third_party"  # contact through a third party
    ANSWER_ALLOWED_ISSUES_ONLY = "answer_allowed_issues_only"  # restrict the issues
    HOLD_UNTIL_TIME_OUT_ENDS = "hold_until_time_out_ends"  # a time out
    READ_AND_FILE = "read_and_file"  # read and file without reply; work on the case stopped (R9)
    LOG_WITHOUT_READING = "log_without_reading"  # R17: a closed case
    RETURN_LETTER = "return_letter"  # return posted letters; contact stopped (R9, R15)
    REFUSE_OR_BLOCK = "refuse_or_block"  # refuse the call / block the email; contact stopped (R9, R15)
    OVER_VOLUME_LIMIT = "over_volume_limit"  # restrict the volume of contact
    OUTSIDE_CONTACT_TIMES = "outside_contact_times"  # restrict the time of contact
    DECLINE_NEW_COMPLAINT = "decline_new_complaint"  # R9: refuse further complaints
    SEE_ARRANGEMENTS = "see_arrangements"  # a measure without parameters: a person reads the arrangements


# The handlings that end in a reply, and so have a respond-by date (R19).
REPLYING_HANDLINGS = frozenset(
    {
        ContactHandling.RESPOND,
        ContactHandling.ROUTE_TO_NAMED_CONTACT,
        ContactHandling.REPLY_WITH_ARRANGEMENTS,
        ContactHandling.ONLY_THROUGH_THIRD_PARTY,
        ContactHandling.ANSWER_ALLOWED_ISSUES_ONLY,
        ContactHandling.HOLD_UNTIL_TIME_OUT_ENDS,
        ContactHandling.DECLINE_NEW_COMPLAINT,
        ContactHandling.SEE_ARRANGEMENTS,
    }
)


class Stage(StrEnum):
    """Where a party stands in ask, warn, manage; derived from its record."""

    NONE = "none"
    ASKED = "asked"
    WARNED = "warned"
    RESTRICTED = "restricted"
    RECURRENCE_WINDOW = "recurrence_window"
    ZERO_TOLERANCE = "zero_tolerance"


class RestrictionGrounds(StrEnum):
    """Why a restriction was allowed (R14 admits only these)."""

    WARNING_IN_PLACE = "warning_in_place"  # R6
    STEPPING_UP = "stepping_up"  # R11: a similar restriction is in force
    RECURRENCE = "recurrence"  # R13
    ZERO_TOLERANCE = "zero_tolerance"  # R15


class RestrictionStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    IN_FORCE = "in_force"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    REJECTED = "rejected"
    # Never decided, and nothing left to decide: its six months ran out (R12),
    # or the restriction it was to replace ended first (R11).
    WITHDRAWN = "withdrawn"


class WarningStatus(StrEnum):
    LIVE = "live"
    EXPIRED = "expired"


class GroundRulesStatus(StrEnum):
    """R4a: ground rules for future calls or meetings, agreed at the ask stage."""

    STANDING = "standing"
    LAPSED = "lapsed"  # six calendar months after they were agreed, or after the latest repeat
    SUPERSEDED = "superseded"  # a restriction came into force: its measures govern, for good
    LIFTED = "lifted"  # a colleague lifted them early


class Advice(StrEnum):
    """What the policy says a colleague may do next after an incident."""

    ASK = "ask"  # R4
    WARN = "warn"  # R5
    RESTRICT = "restrict"  # R6
    RESTRICT_WITHOUT_WARNING = "restrict_without_warning"  # R13
    RESTRICTION_EXTENDED = "restriction_extended"  # R12
    CONSIDER_STEPPING_UP = "consider_stepping_up"  # R11
    ZERO_TOLERANCE_APPLIED = "zero_tolerance_applied"  # R15


class TaskKind(StrEnum):
    RESTRICTION_APPROVAL = "restriction_approval"  # R7, R9
    ZERO_TOLERANCE_REVIEW = "zero_tolerance_review"  # R15
    ADJUSTMENT_ADVICE = "adjustment_advice"  # R16
    COLLEAGUE_SUPPORT = "colleague_support"  # R18
    RESTRICTION_REVIEW = "restriction_review"  # before a restriction ends


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"  # withdrawn: what it asked no longer stands (see HumanTask.cancellation_reason)


class Role(StrEnum):
    """R16 and R7: the roles that decide tasks; and operations, which decides none but runs Temporal."""

    COLLEAGUE = "colleague"
    MANAGER = "manager"
    OMBUDSMAN = "ombudsman"
    EXECUTIVE_TEAM = "executive_team"
    ASSISTANT_DEPUTY_OMBUDSMAN = "assistant_deputy_ombudsman"
    HEAD_OF_OMBUDSMAN_ASSURANCE = "head_of_ombudsman_assurance"
    SPECIALIST_ADVISER = "specialist_adviser"
    # Reads parties' decrypted Temporal histories (the Temporal UI through the
    # codec endpoint) to look after the running system; no task names it.
    OPERATIONS = "operations"
    # A case system's own account: never a person. It asks the contact gate,
    # reads status and letters, and acts for a named member of staff only
    # where its account says it may (policy.permissions).
    CASE_SYSTEM = "case_system"


class TaskOutcome(StrEnum):
    APPROVE = "approve"  # restriction approval
    REJECT = "reject"  # restriction approval (reason required)
    CONFIRM_STOP = "confirm_stop"  # zero-tolerance review: keep direct contact stopped
    LIFT_STOP = "lift_stop"  # zero-tolerance review: lift it (reason required)
    ADVICE_GIVEN = "advice_given"  # specialist advice (the advice is the reason)
    SUPPORT_RECORDED = "support_recorded"  # colleague support follow-up
    LET_RUN = "let_run"  # restriction review
    LIFT_EARLY = "lift_early"  # restriction review (reason required)
    STEP_UP = "step_up"  # restriction review: R11, a stronger restriction to follow (reason required)
    RECUSE = "recuse"  # any task: the decider declares a conflict of interest


class SupportOption(StrEnum):
    """R18: the support a manager may offer a colleague."""

    MENTAL_HEALTH_FIRST_AIDER = "mental_health_first_aider"
    EMPLOYEE_ASSISTANCE_PROGRAMME = "employee_assistance_programme"
    NO_FURTHER_CONTACT = "no_further_contact"
    MANAGER_TAKES_OVER = "manager_takes_over"
    NONE_WANTED = "none_wanted"


class AdjustmentStatus(StrEnum):
    REQUESTED = "requested"
    AGREED = "agreed"
    DECLINED = "declined"


class LetterFormat(StrEnum):
    """R16: the format of the party's letters; an agreed adjustment may change it."""

    STANDARD = "standard"
    LARGE_PRINT = "large_print"
    PLAIN_TEXT = "plain_text"


class SendingMethod(StrEnum):
    """R10: how the case system sent a letter to the party."""

    POST = "post"
    RECORDED_POST = "recorded_post"
    EMAIL = "email"
    HAND = "hand"  # handed over in person


class NoticeKind(StrEnum):
    TASK_OPENED = "task_opened"
    REMINDER = "reminder"
    ESCALATED = "escalated"
    OVERDUE = "overdue"
    WITHDRAWN = "withdrawn"


class NoticeStatus(StrEnum):
    """Where a notice stands on its way to the people who may decide its task."""

    QUEUED = "queued"  # written by the party workflow; the dispatch has not closed it yet
    SENT = "sent"
    # Not sent on purpose: the task was decided before the notice went out.
    SKIPPED = "skipped"
    # Nobody could be mailed (no one eligible, nobody with an address), or the
    # mail server refused or stayed down through every retry: staff must act.
    UNDELIVERABLE = "undeliverable"


class WarningMethod(StrEnum):
    VERBAL = "verbal"
    WRITTEN = "written"


# R3: who may force the erasure of a party with something live: the Ombudsman and
# the Executive Team, the roles that already decide the gravest restrictions (R7, R9).
FORCED_ERASURE_ROLES = frozenset({Role.OMBUDSMAN, Role.EXECUTIVE_TEAM})


class RemovalKind(StrEnum):
    """R3: what removed parties' files (the removal log's `kind`)."""

    RETENTION_SWEEP = "retention_sweep"  # files past the retention period
    ERASURE_REQUEST = "erasure_request"  # one party's file, on request


class RemovalOutcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"  # something about the party is live, and nobody senior forced it
