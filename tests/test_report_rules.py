"""The board report's pure parts (R10a): suppression, the period and its month buckets,
working days to decide, the median. No Temporal, no database."""

from datetime import UTC, date, datetime
from itertools import product

import pytest
from pydantic import ValidationError

from policy.report import (
    HIDDEN,
    SMALL,
    BoardCounts,
    Period,
    board_report,
    month_buckets,
    protect,
    shown_median,
    working_days_between,
)
from policy.vocabulary import PartyKind


def group(total: int, *cells: int) -> dict[str, str]:
    values = {"t": total} | {f"c{i}": n for i, n in enumerate(cells)}
    return protect(values, [("t", tuple(k for k in values if k != "t"))])


@pytest.mark.parametrize(
    ("cells", "shown"),
    [
        ((20, 15, 0), ["35", "20", "15", "0"]),  # nothing small: everything shown, 0 as 0
        ((20, 15, 2, 1), ["38", "20", "15", SMALL, SMALL]),  # two small: 3 between them, neither pinned
        ((8, 4), ["12", HIDDEN, SMALL]),  # 12 - 8 would tell the 4: the 8 is hidden
        ((5, 1), [HIDDEN, HIDDEN, SMALL]),  # hiding the 5 is not enough (6 - at least 5 = 1): the total goes
        ((4, 4), [HIDDEN, SMALL, SMALL]),  # 8 = 4 + 4 would pin both
        ((1, 2, 0), [SMALL, SMALL, SMALL, SMALL]),  # a small total: no breakdown, zeros included
    ],
    ids=["none-small", "two-small", "secondary", "total-hidden", "both-four", "small-total"],
)
def test_r10a_small_counts_are_suppressed_and_no_total_gives_one_away(cells, shown):
    assert list(group(sum(cells), *cells).values()) == shown


def _possible(shown: dict[str, str], total_key: str = "t") -> list[dict[str, int]]:
    """Every set of counts up to 12 a reader could believe from what is shown."""

    def options(s: str) -> range:
        if s == SMALL:
            return range(0, 5)  # "fewer than 5" (a small total's zeros are SMALL too)
        if s == HIDDEN:
            return range(5, 13)
        return range(int(s), int(s) + 1)

    keys = list(shown)
    cells = [k for k in keys if k != total_key]
    found = []
    for combination in product(*(options(shown[k]) for k in keys)):
        values = dict(zip(keys, combination, strict=True))
        if values[total_key] == sum(values[c] for c in cells):
            found.append(values)
    return found


@pytest.mark.parametrize("cells", [c for c in product(range(0, 9), repeat=3) if sum(c) <= 12])
def test_r10a_no_count_from_1_to_4_can_be_worked_out_from_what_is_shown(cells):
    """Every breakdown of up to 12 in three cells: each small count could be at least two values."""
    values = {"t": sum(cells)} | {f"c{i}": n for i, n in enumerate(cells)}
    shown = group(sum(cells), *cells)
    readings = _possible(shown)
    assert values in readings
    for key, value in values.items():
        if 0 < value < 5:
            assert len({r[key] for r in readings}) >= 2, (values, shown)


def test_r10a_a_hidden_total_hides_a_cell_in_every_breakdown_of_it():
    """Months pin a count, so the total goes; the categories must not add up to it then."""
    values = {"t": 6, "m0": 5, "m1": 1, "a": 3, "b": 3}
    shown = protect(values, [("t", ("m0", "m1")), ("t", ("a", "b"))])
    assert shown == {"t": HIDDEN, "m0": HIDDEN, "m1": SMALL, "a": SMALL, "b": SMALL}
    values = {"t": 6, "m0": 5, "m1": 1, "a": 6, "b": 0}
    shown = protect(values, [("t", ("m0", "m1")), ("t", ("a", "b"))])
    assert shown == {"t": HIDDEN, "m0": HIDDEN, "m1": SMALL, "a": HIDDEN, "b": "0"}


def test_r10a_the_period_is_whole_london_days_and_its_months_follow_the_clocks():
    period = Period.model_validate({"from": "2027-03-15", "to": "2027-04-10"})
    start, end = period.bounds("Europe/London")
    assert start == datetime(2027, 3, 15, 0, tzinfo=UTC)  # GMT
    assert end == datetime(2027, 4, 10, 23, tzinfo=UTC)  # midnight BST after the 10th
    march, april = month_buckets(period, "Europe/London")
    assert (march.label, march.start, march.end) == ("March 2027", start, datetime(2027, 3, 31, 23, tzinfo=UTC))
    assert (april.label, april.start, april.end) == ("April 2027", march.end, end)
    assert len(month_buckets(Period(first=date(2026, 12, 5), last=date(2027, 11, 30)), "Europe/London")) == 12


@pytest.mark.parametrize(
    ("period", "says"),
    [
        ({"from": "2027-02-01", "to": "2027-01-31"}, "must not end before it starts"),
        ({"from": "2020-01-01", "to": "2027-01-31"}, "at most 60 months, not 85"),
        ({"from": "2027-02-30", "to": "2027-03-01"}, "from"),
        ({"from": "2027-01-01"}, "to"),
    ],
)
def test_r10a_a_bad_period_is_refused_saying_why(period, says):
    with pytest.raises(ValidationError) as refused:
        Period.model_validate(period)
    assert says in str(refused.value)


def test_r10a_working_days_to_decide_skip_weekends_and_bank_holidays():
    christmas = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 23), christmas) == 0
    # Thu 24th, then Tue 29th, Wed 30th, Thu 31st, Mon 4th (25th, 28th and 1st are holidays).
    assert working_days_between(date(2026, 12, 23), date(2027, 1, 4), christmas) == 5


def test_r10a_the_median_is_shown_only_for_five_decisions_or_more():
    assert shown_median([]) == "none decided"
    assert shown_median([1, 2, 3, 4]) == f"not shown ({SMALL} decisions)"
    assert shown_median([5, 1, 2, 9, 3]) == "3" and shown_median([1, 2, 3, 4, 5, 6]) == "3.5"


def test_r10a_a_cell_hidden_in_one_table_is_hidden_in_the_table_that_breaks_it_down():
    counts = BoardCounts(
        incidents_by_behaviour={("aggressive_or_abusive", "verbal_abuse"): 7, ("zero_tolerance", "stalking"): 2},
        incidents_by_month=[9],
        restrictions_by_kind={PartyKind.INDIVIDUAL.value: 6},
        restrictions_by_month=[6],
    )
    period = Period(first=date(2027, 1, 1), last=date(2027, 1, 31))
    report = board_report(
        counts, period, month_buckets(period, "Europe/London"), [], datetime(2027, 2, 1, tzinfo=UTC), "Europe/London"
    )
    # 9 - 7 would tell the 2 zero-tolerance incidents: the 7 is hidden, in both tables.
    incidents = {r.label: r.shown for r in report.table("incidents").rows}
    assert (incidents["Aggressive or abusive"], incidents["Zero tolerance"]) == (HIDDEN, SMALL)
    behaviour = {r.label: r.shown for r in report.table("behaviour").rows}
    assert behaviour["Aggressive or abusive: verbal abuse"] == HIDDEN and behaviour["Zero tolerance: stalking"] == SMALL
    assert report.table("incidents").total.shown == "9" and report.trend.series[0] == ("Incidents", ("9",))
    assert {r.label: r.shown for r in report.table("restrictions").rows} == {"Individuals": "6", "Organisations": "0"}
    assert report.median_days_to_decide == "none decided"
