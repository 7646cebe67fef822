"""The board report (docs/policy.md, R10a): the period, the month buckets, the figures'
definitions, and the suppression of small counts. Pure: the records database counts,
this module decides what may be shown.

Every figure is a count over the period, or a state at its end; no figure names a
party. A count of 1 to 4 is shown "<5" (primary suppression); further counts are
hidden ("c") where a small count could otherwise be worked out by difference from
a total (secondary suppression); 0 is shown as 0.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from math import inf
from statistics import median
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import BaseModel, ConfigDict, Field, model_validator

from policy.dates import written_day
from policy.fields import FIRST_YEAR, LAST_YEAR
from policy.vocabulary import BEHAVIOUR_CODES, Category, Measure, PartyKind, Role, in_words
from policy.working_days import is_working_day

# Who may read the board report: those who oversee how the policy is applied
# (a manager and R7's approvers); a colleague, an adviser or operations may not.
REPORT_ROLES = frozenset(
    {
        Role.MANAGER,
        Role.OMBUDSMAN,
        Role.EXECUTIVE_TEAM,
        Role.ASSISTANT_DEPUTY_OMBUDSMAN,
        Role.HEAD_OF_OMBUDSMAN_ASSURANCE,
    }
)
# Five years of months: enough for any board, and a bound on the report's size.
MAX_MONTHS = 60
SMALL = "<5"
HIDDEN = "c"
SMALLEST_SHOWN = 5
# A median of fewer decisions than this could tell one person's decision apart.
MIN_FOR_MEDIAN = 5


class Period(BaseModel):
    """The report's period: whole local days, `from` to `to` inclusive."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    first: Annotated[date, Field(alias="from", description="the first day, local (YYYY-MM-DD)")]
    last: Annotated[date, Field(alias="to", description="the last day, local, included (YYYY-MM-DD)")]

    @model_validator(mode="after")
    def _in_order(self) -> Self:
        if self.first > self.last:
            raise ValueError(f"the period must not end before it starts ({self.first} is after {self.last})")
        if self.first.year < FIRST_YEAR or self.last.year > LAST_YEAR:
            raise ValueError(f"the period must lie in the years {FIRST_YEAR} to {LAST_YEAR}")
        months = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        if months > MAX_MONTHS:
            raise ValueError(f"the period may span at most {MAX_MONTHS} months, not {months}")
        return self

    def bounds(self, timezone: str) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants: local midnight of `first` to local midnight after `last`."""
        return _midnight(self.first, timezone), _midnight(self.last + timedelta(days=1), timezone)

    def written(self) -> str:
        return f"{written_day(self.first)} to {written_day(self.last)}"


def _midnight(day: date, timezone: str) -> datetime:
    # Midnight is never skipped or repeated in London (the clocks change at 01:00 UTC).
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True)
class Bucket:
    """One month of the trend, cut to the period: [start, end) in UTC."""

    label: str
    start: datetime
    end: datetime


def month_buckets(period: Period, timezone: str) -> list[Bucket]:
    """The local calendar months the period touches, the first and last cut to the period."""
    buckets = []
    month = period.first.replace(day=1)
    while month <= period.last:
        following = month + relativedelta(months=1)
        first, last = max(month, period.first), min(following - timedelta(days=1), period.last)
        start, end = Period(first=first, last=last).bounds(timezone)
        # "January 2027", spelled out: strftime's %B follows the process locale.
        buckets.append(Bucket(written_day(month).split(" ", 1)[1], start, end))
        month = following
    return buckets


def working_days_between(start: date, end: date, holidays: Collection[date]) -> int:
    """Working days after `start` up to and including `end` (0 on the same day), as due dates count."""
    return sum(1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n), holidays))


def shown_median(days: Sequence[int]) -> str:
    """The median, or SMALL when too few decisions to show it without telling one apart."""
    if not days:
        return "none decided"
    if len(days) < MIN_FOR_MEDIAN:
        return f"not shown ({SMALL} decisions)"
    return f"{median(days):g}"


# --- suppression -------------------------------------------------------------

Group = tuple[str, tuple[str, ...]]  # (the total's key, the keys of the cells that sum to it)


def protect(values: Mapping[str, int], groups: Iterable[Group]) -> dict[str, str]:
    """What to show for each count (R10a).

    1 to 4 is SMALL; 0 and 5 or more are shown, unless hidden (HIDDEN) so that no
    count of 1 to 4 can be worked out from a group's total and its other cells.
    A reader is taken to know that a SMALL count is 1 to 4 and a hidden one at
    least 5. Within each group the exact range each count can take is worked out;
    while some small count is pinned to one value, the smallest shown count of 5
    or more is hidden, or, with none left, the total. A hidden total must not be
    the sum of exact cells either: each of its groups then hides a cell too.
    Hiding only widens what a reader can infer, so this settles.

    A group whose total is itself small shows every cell SMALL, zeros included
    ("fewer than 5" is true of 0): a handful of cases is not broken down.
    """
    groups = list(groups)
    blurred = {c for total, cells in groups if _small(values[total]) for c in cells}
    hidden: set[str] = set()
    changed = True
    while changed:
        changed = False
        for total, cells in groups:
            while (key := _to_hide(values, hidden, blurred, total, cells)) is not None:
                hidden.add(key)
                changed = True
    return {key: _shown(value, key in hidden, key in blurred) for key, value in values.items()}


def _small(value: int) -> bool:
    return 0 < value < SMALLEST_SHOWN


def _shown(value: int, hidden: bool, blurred: bool) -> str:
    if _small(value) or blurred:
        return SMALL
    return HIDDEN if hidden else str(value)


def _known(value: int, hidden: bool, blurred: bool) -> tuple[float, float]:
    """What a reader can tell of a count from how it is shown."""
    if blurred:
        return 0, SMALLEST_SHOWN - 1
    if _small(value):
        return 1, SMALLEST_SHOWN - 1
    return (SMALLEST_SHOWN, inf) if hidden else (value, value)


def _to_hide(
    values: Mapping[str, int], hidden: set[str], blurred: set[str], total: str, cells: tuple[str, ...]
) -> str | None:
    """The next count to hide in this group, or None when it gives nothing away."""
    # Only counts of 5 or more are hidden: a small one is always shown SMALL.
    candidates = sorted(
        (values[c], c) for c in cells if c not in hidden and c not in blurred and values[c] >= SMALLEST_SHOWN
    )
    exact = all(c not in hidden and c not in blurred and not _small(values[c]) for c in cells)
    if total in hidden and exact and candidates:
        return candidates[0][1]  # else the shown cells would add up to the hidden total
    known = {k: _known(values[k], k in hidden, k in blurred) for k in (total, *cells)}
    if not _pinned(values, known, total, cells):
        return None
    if candidates:
        return candidates[0][1]
    return total if total not in hidden and not _small(values[total]) else None


def _pinned(
    values: Mapping[str, int], known: Mapping[str, tuple[float, float]], total: str, cells: tuple[str, ...]
) -> bool:
    """Some small count of the group (the total included) can take one value only.

    For one sum with each term in a range, these ranges are exact: nothing sharper follows."""
    lo_sum = sum(known[c][0] for c in cells)
    hi_sum = sum(known[c][1] for c in cells)
    t_lo, t_hi = known[total]
    ranges = {total: (max(t_lo, lo_sum), min(t_hi, hi_sum))}
    for c in cells:
        c_lo, c_hi = known[c]
        ranges[c] = (max(c_lo, t_lo - (hi_sum - c_hi)), min(c_hi, t_hi - (lo_sum - c_lo)))
    return any(_small(values[k]) and lo == hi for k, (lo, hi) in ranges.items())


# --- the figures ---------------------------------------------------------------


@dataclass
class BoardCounts:
    """The counts behind the report, as the records database gives them (all for the period)."""

    incidents_by_behaviour: dict[tuple[str, str], int] = field(default_factory=dict)
    incidents_by_month: list[int] = field(default_factory=list)
    asks: int = 0
    # R4a: calls or meetings ended after an ask (when ended), and ground rules agreed (when agreed).
    calls_ended: int = 0
    ground_rules_agreed: int = 0
    warnings: int = 0
    warnings_by_month: list[int] = field(default_factory=list)
    # Put in force in the period (started), by the party's kind and by measure.
    restrictions_by_kind: dict[str, int] = field(default_factory=dict)
    restrictions_by_measure: dict[str, int] = field(default_factory=dict)
    restrictions_by_month: list[int] = field(default_factory=list)
    in_force_at_end: int = 0
    warning_repeats: int = 0
    ends_moved: int = 0
    zero_tolerance_stops: int = 0
    police_referrals: int = 0
    approvals_requested: int = 0
    approvals_approved: int = 0
    approvals_rejected: int = 0
    approvals_escalated: int = 0
    overdue_tasks: int = 0
    adjustments_requested: int = 0
    adjustments_agreed: int = 0
    adjustments_declined: int = 0


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    shown: str


@dataclass(frozen=True)
class Table:
    """A table of the report; `total` is the row its rows add up to, if it has one."""

    key: str
    title: str
    rows: tuple[Row, ...]
    total: Row | None = None
    note: str = ""


@dataclass(frozen=True)
class Trend:
    """Counts by month: one series per figure, each shown as the tables show counts."""

    months: tuple[str, ...]
    series: tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class BoardReport:
    period: Period
    generated_at: datetime
    timezone: str
    tables: tuple[Table, ...]
    trend: Trend
    median_days_to_decide: str

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)


def _label(code: str) -> str:
    return in_words(code).capitalize()


def board_report(
    counts: BoardCounts,
    period: Period,
    buckets: Sequence[Bucket],
    decision_days: Sequence[int],
    generated_at: datetime,
    timezone: str,
) -> BoardReport:
    """The report's tables, with every count protected (R10a)."""
    values: dict[str, int] = {}
    groups: list[Group] = []

    def cell(key: str, value: int) -> str:
        values[key] = value
        return key

    categories = list(Category)
    by_category = {
        c: {code: counts.incidents_by_behaviour.get((c.value, code), 0) for code in sorted(BEHAVIOUR_CODES[c])}
        for c in categories
    }
    incidents = cell("incidents", sum(sum(codes.values()) for codes in by_category.values()))
    category_keys = tuple(cell(f"incidents.{c.value}", sum(by_category[c].values())) for c in categories)
    groups.append((incidents, category_keys))
    for c in categories:
        codes = tuple(cell(f"incidents.{c.value}.{code}", n) for code, n in by_category[c].items())
        groups.append((f"incidents.{c.value}", codes))

    def monthly(name: str, total: str, series: Sequence[int]) -> tuple[str, ...]:
        if series and len(series) != len(buckets):
            raise ValueError(f"{name}: {len(series)} monthly counts for {len(buckets)} months")
        keys = tuple(cell(f"{name}.month.{i}", n) for i, n in enumerate(series or [0] * len(buckets)))
        groups.append((total, keys))
        return keys

    incident_months = monthly("incidents", incidents, counts.incidents_by_month)
    warnings = cell("warnings", counts.warnings)
    warning_months = monthly("warnings", warnings, counts.warnings_by_month)
    restrictions = cell("restrictions", sum(counts.restrictions_by_kind.get(k.value, 0) for k in PartyKind))
    kind_keys = tuple(
        cell(f"restrictions.kind.{k.value}", counts.restrictions_by_kind.get(k.value, 0)) for k in PartyKind
    )
    groups.append((restrictions, kind_keys))
    restriction_months = monthly("restrictions", restrictions, counts.restrictions_by_month)
    # A restriction may have several measures: these add up to no total.
    measure_keys = tuple(
        cell(f"restrictions.measure.{m.value}", counts.restrictions_by_measure.get(m.value, 0)) for m in Measure
    )
    decided = cell("approvals.decided", counts.approvals_approved + counts.approvals_rejected)
    outcome_keys = (
        cell("approvals.approved", counts.approvals_approved),
        cell("approvals.rejected", counts.approvals_rejected),
    )
    groups.append((decided, outcome_keys))
    singles = {
        "asks": ("Asks to stop (R4)", counts.asks),
        "calls_ended": ("Calls or meetings ended after an ask (R4a)", counts.calls_ended),
        "ground_rules_agreed": ("Ground rules agreed for future calls or meetings (R4a)", counts.ground_rules_agreed),
        "in_force_at_end": ("Restrictions in force at the end of the period", counts.in_force_at_end),
        "warning_repeats": ("Repeats while a warning was live, holding it open (R5a)", counts.warning_repeats),
        "ends_moved": ("Restriction end dates moved by a repeat (R12)", counts.ends_moved),
        "zero_tolerance_stops": ("Zero-tolerance stops of direct contact (R15)", counts.zero_tolerance_stops),
        "police_referrals": ("Zero-tolerance reviews referring the matter to the police", counts.police_referrals),
        "approvals.requested": ("Restrictions sent for approval (R7, R9)", counts.approvals_requested),
        "approvals.escalated": ("Approvals escalated to the alternates", counts.approvals_escalated),
        "overdue_tasks": ("Tasks of any kind that became overdue", counts.overdue_tasks),
        "adjustments.requested": ("Adjustments requested (R16)", counts.adjustments_requested),
        "adjustments.agreed": ("Adjustments agreed", counts.adjustments_agreed),
        "adjustments.declined": ("Adjustments declined, after specialist advice", counts.adjustments_declined),
    }
    for key, (_, n) in singles.items():
        cell(key, n)

    shown = protect(values, groups)

    def row(key: str, label: str) -> Row:
        return Row(key, label, shown[key])

    def single(key: str) -> Row:
        return row(key, singles[key][0])

    behaviour_rows = tuple(
        row(f"incidents.{c.value}.{code}", f"{_label(c.value)}: {code.replace('_', ' ')}")
        for c in categories
        for code in by_category[c]
        if values[f"incidents.{c.value}.{code}"] > 0 or code == "other"
    )
    tables = (
        Table(
            "incidents",
            "Incidents recorded, by category (R2)",
            tuple(row(k, _label(c.value)) for k, c in zip(category_keys, categories, strict=True)),
            row(incidents, "All incidents"),
        ),
        Table(
            "behaviour",
            "Incidents recorded, by behaviour",
            behaviour_rows,
            note="Behaviours with no incident in the period are left out, except each category's 'other'.",
        ),
        Table(
            "stages",
            "Asks, ended calls, warnings and repeats",
            (
                single("asks"),
                single("calls_ended"),
                single("ground_rules_agreed"),
                row(warnings, "Warnings given (R5)"),
                single("warning_repeats"),
                single("ends_moved"),
            ),
        ),
        Table(
            "restrictions",
            "Restrictions put in force, by kind of party (R1)",
            tuple(row(k, _label(kind.value) + "s") for k, kind in zip(kind_keys, PartyKind, strict=True)),
            row(restrictions, "All restrictions put in force"),
        ),
        Table(
            "measures",
            "Restrictions put in force, by measure (R8, R9, R15)",
            tuple(row(k, _label(m.value)) for k, m in zip(measure_keys, Measure, strict=True) if values[k] > 0),
            note="A restriction with several measures counts under each, so these do not add up to the "
            "restrictions put in force. Measures not used in the period are left out.",
        ),
        Table(
            "in_force",
            "Restrictions and zero tolerance",
            (single("in_force_at_end"), single("zero_tolerance_stops"), single("police_referrals")),
        ),
        Table(
            "approvals",
            "Approvals (R7, R9)",
            (
                single("approvals.requested"),
                *(row(k, lbl) for k, lbl in zip(outcome_keys, ("Approved", "Rejected"), strict=True)),
                single("approvals.escalated"),
            ),
            row(decided, "Approval decisions"),
        ),
        Table(
            "tasks",
            "Tasks and reasonable adjustments (R16)",
            (
                single("overdue_tasks"),
                single("adjustments.requested"),
                single("adjustments.agreed"),
                single("adjustments.declined"),
            ),
        ),
    )
    trend = Trend(
        months=tuple(b.label for b in buckets),
        series=(
            ("Incidents", tuple(shown[k] for k in incident_months)),
            ("Warnings", tuple(shown[k] for k in warning_months)),
            ("Restrictions put in force", tuple(shown[k] for k in restriction_months)),
        ),
    )
    return BoardReport(period, generated_at, timezone, tables, trend, shown_median(decision_days))
