"""What a party's workflow carries across continue-as-new, and reads back from its file.

Bounded whatever the party's incident count (docs/architecture.md, "Bounded
payloads"): the file holds the whole record (R3); the state holds what the
rules' next decisions need. Incidents beyond the carried window are read back
from the file when a message names one, and the file's unique incident id is
what keeps a re-sent old incident from counting twice.
"""

from policy.letters import current_letter_ids
from policy.state import CARRIED_INCIDENTS, HumanTask, IncidentBrief, PartyState
from policy.vocabulary import RestrictionStatus, TaskStatus

# Decided or withdrawn tasks kept for answering a decision sent again; older
# ones are on file (a decision on one is refused as on a task not known).
CARRIED_CLOSED_TASKS = 100
_LIVE_RESTRICTION = (RestrictionStatus.IN_FORCE, RestrictionStatus.AWAITING_APPROVAL)


def carried(state: PartyState) -> PartyState:
    """The state a new run starts from: the latest incidents, every task the rules
    may still look at, and the letter ids a later letter could repeat."""
    return state.model_copy(
        update={
            "incidents": dict(list(state.incidents.items())[-CARRIED_INCIDENTS:]),
            "tasks": _carried_tasks(state),
            "letter_ids": current_letter_ids(state),
        }
    )


def recall(state: PartyState, briefs: dict[str, IncidentBrief]) -> None:
    """Put incidents read back from the file into the state, before the carried ones
    (they are not recent: the status's recent ids stay the latest received)."""
    state.incidents = {**briefs, **state.incidents}


def _carried_tasks(state: PartyState) -> list[HumanTask]:
    """Open tasks; tasks about a restriction in force or awaiting approval (R11's
    reviews, numbered by how many there were); the advice an adjustment was
    decided on (R16); and the latest closed tasks."""
    about_live = {r.restriction_id for r in state.restrictions if r.status in _LIVE_RESTRICTION}
    advice = {a.advice_task_id for a in state.adjustments if a.advice_task_id}

    def needed(t: HumanTask) -> bool:
        return t.status == TaskStatus.OPEN or t.subject_id in about_live or t.task_id in advice

    others = [t.task_id for t in state.tasks if not needed(t)]
    recent = set(others[-CARRIED_CLOSED_TASKS:])
    return [t for t in state.tasks if needed(t) or t.task_id in recent]
