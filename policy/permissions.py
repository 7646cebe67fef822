"""Who may do what: the one permission table, role by action, grounded in the policy.

Every door (the HTTP API, the inbox, the CLI) asks `permit` before it acts or
reads, through the services layer (`services.acting`); nothing else decides
who may act. The table is written out for people in docs/policy.md
("Who may act") and tested role by role, action by action, through each door
(tests/test_permissions.py).

The policy says "all colleagues" may ask (R4), warn (R5) and restrict (R6): every
member of staff who handles cases, managers and the senior roles included.
R7 and R9 name the approvers, R16 the specialist adviser, R18 the manager. A
case system acts for itself only to ask the contact gate, read a party's status
and letters, mark a letter sent and import parties; anything a colleague does,
it does for a named colleague it may act for. Operations runs the system and
decides nothing about a party.
"""

from dataclasses import dataclass
from enum import StrEnum

from policy.report import REPORT_ROLES
from policy.tasks import ALTERNATES, SENIOR, TASK_RULES
from policy.vocabulary import FORCED_ERASURE_ROLES, Role, TaskKind, in_words


class Action(StrEnum):
    """Everything a principal may be allowed to do to, or read of, a party's file (and the
    system's own records: its payloads, its security log)."""

    REPORT_INCIDENT = "report_incident"
    RECORD_ASK = "record_ask"
    RECORD_ENDED_CALL = "record_ended_call"
    LIFT_GROUND_RULES = "lift_ground_rules"
    ISSUE_WARNING = "issue_warning"
    PROPOSE_RESTRICTION = "propose_restriction"
    STEP_UP = "step_up"
    DECIDE_RESTRICTION_APPROVAL = "decide_restriction_approval"
    DECIDE_ZERO_TOLERANCE_REVIEW = "decide_zero_tolerance_review"
    GIVE_SPECIALIST_ADVICE = "give_specialist_advice"
    DECIDE_COLLEAGUE_SUPPORT = "decide_colleague_support"
    DECIDE_RESTRICTION_REVIEW = "decide_restriction_review"
    REQUEST_ADJUSTMENT = "request_adjustment"
    SEEK_ADVICE = "seek_advice"
    DECIDE_ADJUSTMENT = "decide_adjustment"
    CLOSE_CASE = "close_case"
    ASK_CONTACT_GATE = "ask_contact_gate"
    READ_STATUS = "read_status"
    READ_TIMELINE = "read_timeline"
    READ_LETTERS = "read_letters"
    MARK_LETTER_SENT = "mark_letter_sent"
    READ_SUPPORT = "read_support"
    READ_ADJUSTMENTS = "read_adjustments"
    IMPORT_PARTIES = "import_parties"
    ERASE_PARTY = "erase_party"
    FORCE_ERASURE = "force_erasure"
    APPLY_RETENTION = "apply_retention"
    DECODE_PAYLOADS = "decode_payloads"
    READ_BOARD_REPORT = "read_board_report"
    READ_SECURITY_LOG = "read_security_log"
    EXPORT_SUBJECT_ACCESS = "export_subject_access"
    RECORD_CORRECTION = "record_correction"
    RECORD_DISPUTE = "record_dispute"
    READ_MARKER_REGISTER = "read_marker_register"
    READ_EVENTS = "read_events"
    MANAGE_WEBHOOKS = "manage_webhooks"
    CLAIM_TASK = "claim_task"
    ASSIGN_TASK = "assign_task"
    REASSIGN_TASKS = "reassign_tasks"


@dataclass(frozen=True)
class Permission:
    """Who may take one action, and the rule (or product decision) that says so."""

    roles: frozenset[Role]
    rule: str
    why: str


# Everyone who handles cases: "all colleagues" in R4 to R6.
COLLEAGUES = frozenset({Role.COLLEAGUE, Role.MANAGER, *SENIOR, *ALTERNATES})
# Those who may decide on a person's adjustment (R16) and read it: managers, R7's
# approvers and the specialist adviser whose advice comes first.
ADJUSTMENT_DECIDERS = frozenset({Role.MANAGER, *SENIOR, *ALTERNATES})
# Who reads a party's file beyond its status: those who handle cases, and the
# specialist adviser who advises on it.
FILE_READERS = COLLEAGUES | {Role.SPECIALIST_ADVISER}
# Who answers for the body's records of a party: a subject access request (UK GDPR Art. 15),
# a correction (Art. 16), the register of markers in force (the ICO's guidance on warning
# markers: each justified and reviewed). Those who decide and review restrictions, and R7's
# alternates (the Head of Ombudsman Assurance signs the letters); no colleague alone, since an
# export is the whole file. No role of its own: the policy names none.
RECORDS_HANDLERS = frozenset({Role.MANAGER, *SENIOR, *ALTERNATES})
# Who hands out the work on tasks (the task list's assignment): managers and those above
# them. No rule of the policy names one; the line managers who decide most tasks (R11, R15,
# R18) and R7's approvers and alternates, who know who is away or has left.
TASK_ALLOCATORS = frozenset({Role.MANAGER, *SENIOR, *ALTERNATES})


def _deciders(kind: TaskKind) -> frozenset[Role]:
    """Every role that may decide a kind of task at some point: its candidates
    (R7's approvers for an organisation or a professional, R15a) and those it
    escalates to. The workflow narrows this to the task in hand."""
    rule = TASK_RULES[kind]
    return frozenset({*rule.candidate_roles, *rule.escalation_roles, *(rule.r7_candidate_roles or ())})


PERMISSIONS: dict[Action, Permission] = {
    Action.REPORT_INCIDENT: Permission(COLLEAGUES, "R18", "a colleague reports behaviour they saw or experienced"),
    Action.RECORD_ASK: Permission(COLLEAGUES, "R4", "any colleague may ask the person to stop"),
    Action.RECORD_ENDED_CALL: Permission(
        COLLEAGUES, "R4a", "any colleague may end a call or meeting after an ask, and set ground rules"
    ),
    Action.LIFT_GROUND_RULES: Permission(COLLEAGUES, "R4a", "any colleague may lift ground rules early"),
    Action.ISSUE_WARNING: Permission(COLLEAGUES, "R5", "any colleague may warn"),
    Action.PROPOSE_RESTRICTION: Permission(
        COLLEAGUES, "R6", "any colleague may apply a restriction; R7 and R9 hold some for approval"
    ),
    Action.STEP_UP: Permission(COLLEAGUES, "R11", "a stronger restriction where one has not worked"),
    Action.DECIDE_RESTRICTION_APPROVAL: Permission(
        _deciders(TaskKind.RESTRICTION_APPROVAL), "R7", "the Ombudsman or the Executive Team, or R7's alternates"
    ),
    Action.DECIDE_ZERO_TOLERANCE_REVIEW: Permission(
        _deciders(TaskKind.ZERO_TOLERANCE_REVIEW), "R15", "a manager; R7's approvers for organisations (R15a)"
    ),
    Action.GIVE_SPECIALIST_ADVICE: Permission(
        _deciders(TaskKind.ADJUSTMENT_ADVICE), "R16", "a specialist adviser; managers once it escalates"
    ),
    Action.DECIDE_COLLEAGUE_SUPPORT: Permission(
        _deciders(TaskKind.COLLEAGUE_SUPPORT), "R18", "the colleague's manager, or a senior one"
    ),
    Action.DECIDE_RESTRICTION_REVIEW: Permission(
        _deciders(TaskKind.RESTRICTION_REVIEW), "R11", "a manager: let it run, lift it early or step up"
    ),
    Action.REQUEST_ADJUSTMENT: Permission(COLLEAGUES, "R16", "any colleague records an adjustment the party asks for"),
    Action.SEEK_ADVICE: Permission(COLLEAGUES, "R16", "any colleague may ask a specialist adviser"),
    Action.DECIDE_ADJUSTMENT: Permission(ADJUSTMENT_DECIDERS, "R16", "a manager or a senior role, after advice"),
    Action.CLOSE_CASE: Permission(COLLEAGUES, "R17", "the colleague who told the party no further reply will come"),
    Action.ASK_CONTACT_GATE: Permission(
        COLLEAGUES | {Role.CASE_SYSTEM}, "R8", "whoever takes a contact asks how to handle it"
    ),
    Action.READ_STATUS: Permission(
        FILE_READERS | {Role.CASE_SYSTEM}, "R3", "those who handle the party, and the case system"
    ),
    Action.READ_TIMELINE: Permission(FILE_READERS, "R3", "staff who handle the party's file"),
    Action.READ_LETTERS: Permission(COLLEAGUES | {Role.CASE_SYSTEM}, "R10", "staff, and the case system sending them"),
    Action.MARK_LETTER_SENT: Permission(
        COLLEAGUES | {Role.CASE_SYSTEM}, "R10", "whoever sent the letter, or the case system"
    ),
    Action.READ_SUPPORT: Permission(
        _deciders(TaskKind.COLLEAGUE_SUPPORT), "R18", "the managers who arrange support (and the colleague concerned)"
    ),
    Action.READ_ADJUSTMENTS: Permission(
        ADJUSTMENT_DECIDERS | {Role.SPECIALIST_ADVISER}, "R16", "those who decide adjustments and advise on them"
    ),
    Action.IMPORT_PARTIES: Permission(
        frozenset({Role.MANAGER, Role.CASE_SYSTEM}), "R3", "a manager, or the case system moving its files over"
    ),
    Action.ERASE_PARTY: Permission(frozenset({Role.MANAGER, *SENIOR}), "R3", "a manager, at the end of retention"),
    Action.FORCE_ERASURE: Permission(FORCED_ERASURE_ROLES, "R3", "the Ombudsman or the Executive Team"),
    Action.APPLY_RETENTION: Permission(frozenset({Role.MANAGER, *SENIOR}), "R3", "a manager"),
    Action.DECODE_PAYLOADS: Permission(
        frozenset({Role.OPERATIONS}), "operations", "only the staff who run the system read Temporal's payloads"
    ),
    Action.READ_BOARD_REPORT: Permission(REPORT_ROLES, "R10a", "managers and the Ombudsman's senior staff"),
    Action.READ_SECURITY_LOG: Permission(
        frozenset({Role.OPERATIONS}), "operations", "only the staff who run the system review sign-ins and refusals"
    ),
    Action.EXPORT_SUBJECT_ACCESS: Permission(
        RECORDS_HANDLERS, "Art. 15", "a manager or a senior role answers a subject access request; each export logged"
    ),
    Action.RECORD_CORRECTION: Permission(
        RECORDS_HANDLERS, "Art. 16", "a manager or a senior role corrects a record; the original is kept"
    ),
    Action.RECORD_DISPUTE: Permission(
        COLLEAGUES, "Art. 16", "any colleague adds the person's own statement that a record is wrong"
    ),
    Action.READ_MARKER_REGISTER: Permission(
        RECORDS_HANDLERS, "R11", "managers review the restrictions and stops in force (the ICO's warning markers)"
    ),
    Action.READ_EVENTS: Permission(
        frozenset({Role.CASE_SYSTEM}), "R3", "the case system hears what changed on the parties' files (the feed)"
    ),
    Action.MANAGE_WEBHOOKS: Permission(
        frozenset({Role.OPERATIONS}),
        "operations",
        "the staff who run the system add and remove the case systems' webhooks, and replay their deliveries",
    ),
    Action.CLAIM_TASK: Permission(
        frozenset({role for kind in TaskKind for role in _deciders(kind)}),
        "tasks",
        "whoever may decide a kind of task takes one to work on, or gives it back (policy.claims)",
    ),
    Action.ASSIGN_TASK: Permission(
        TASK_ALLOCATORS, "tasks", "a manager gives a task to a colleague who may decide it, or takes it off its holder"
    ),
    Action.REASSIGN_TASKS: Permission(
        TASK_ALLOCATORS, "tasks", "a manager moves the tasks of someone who left, or is away, to colleagues"
    ),
}

# A task's kind to the action of deciding it.
DECIDE_TASK: dict[TaskKind, Action] = {
    TaskKind.RESTRICTION_APPROVAL: Action.DECIDE_RESTRICTION_APPROVAL,
    TaskKind.ZERO_TOLERANCE_REVIEW: Action.DECIDE_ZERO_TOLERANCE_REVIEW,
    TaskKind.ADJUSTMENT_ADVICE: Action.GIVE_SPECIALIST_ADVICE,
    TaskKind.COLLEAGUE_SUPPORT: Action.DECIDE_COLLEAGUE_SUPPORT,
    TaskKind.RESTRICTION_REVIEW: Action.DECIDE_RESTRICTION_REVIEW,
}

# What a case system may do for itself, without naming a member of staff.
SYSTEM_ACTIONS = frozenset(action for action, p in PERMISSIONS.items() if Role.CASE_SYSTEM in p.roles)


class NotPermitted(Exception):
    """A principal may not take an action; the message names the rule and the roles that may."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


def may(roles: frozenset[Role] | set[Role], action: Action) -> bool:
    """Whether any of `roles` may take `action`."""
    return bool(PERMISSIONS[action].roles & roles)


def role_for(who: str, roles: frozenset[Role] | set[Role], action: Action) -> Role:
    """The role `who` takes `action` in: the first they hold that may, in the vocabulary's order.

    Raises:
        NotPermitted: They hold none; the message names the rule and the roles that may.
    """
    permission = PERMISSIONS[action]
    for role in Role:
        if role in roles and role in permission.roles:
            return role
    held = ", ".join(sorted(in_words(r.value) for r in roles)) or "none"
    needed = ", ".join(sorted(in_words(r.value) for r in permission.roles))
    raise NotPermitted(
        f"{permission.rule}: {who} may not {in_words(action.value)} ({permission.why}); "
        f"that needs one of: {needed}; {who} holds: {held}",
        permission.rule,
    )
