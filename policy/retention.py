"""R3's retention period and erasure, as pure rules (docs/policy.md, R3).

A party's file is kept for the body's retention period after the party's last
activity: the latest instant anywhere in the file. After that it goes, with
the party's closed workflow runs, unless anything about the party is still
live. An erasure request for one party is refused while anything is live,
unless someone in a senior role forces it (`policy.vocabulary.FORCED_ERASURE_ROLES`,
checked by `policy.payloads.ErasureRequest`).
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from policy.rules import is_dormant, next_deadline
from policy.state import PartyState
from policy.vocabulary import RestrictionStatus, TaskStatus, WarningStatus


def retention_cutoff(now: datetime, years: int, timezone: str) -> datetime:
    """The instant `years` calendar years before `now` on the body's calendar: a file
    whose last activity is before it has passed its retention period.

    29 February less a year is 28 February, as `policy.dates` counts months.
    """
    if years < 1:
        raise ValueError(f"a retention period is at least one year, not {years}")
    local = now.astimezone(ZoneInfo(timezone))
    return (local - relativedelta(years=years)).astimezone(UTC)


def what_is_live(state: PartyState, now: datetime) -> list[str]:
    """What about the party is still live at `now`, in words (no personal data);
    empty exactly when `policy.rules.is_dormant` holds, so retention and the
    workflow's own end agree on what "nothing live" means."""
    if is_dormant(state, now):
        return []
    live: list[str] = []
    open_tasks = [t for t in state.tasks if t.status == TaskStatus.OPEN]
    if open_tasks:
        live.append(f"{len(open_tasks)} open task(s): {', '.join(sorted({t.kind.value for t in open_tasks}))}")
    for status, words in (
        (RestrictionStatus.IN_FORCE, "in force"),
        (RestrictionStatus.AWAITING_APPROVAL, "awaiting approval"),
    ):
        count = sum(r.status == status for r in state.restrictions)
        if count:
            live.append(f"{count} restriction(s) {words}")
    warnings = sum(w.status == WarningStatus.LIVE for w in state.warnings)
    if warnings:
        live.append(f"{warnings} live warning(s)")
    ground_rules = sum(c.standing() is not None for c in state.ended_calls)
    if ground_rules:
        live.append(f"{ground_rules} set(s) of ground rules standing (R4a)")
    if any(r.recurrence_window_open_at(now) for r in state.restrictions):
        live.append("a recurrence window is open (R13)")
    if not live:
        deadline = next_deadline(state, now)
        live.append(f"the workflow has a deadline at {deadline.isoformat() if deadline else 'once planned'}")
    return live
