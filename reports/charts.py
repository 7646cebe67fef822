"""The board report's charts as PNG images (matplotlib's Agg renderer: no display, no network).

A chart is drawn from the counts as shown, never from the counts themselves: a
suppressed count ("<5" or "c") has no bar and no point, only its label, so no chart
gives away what the tables hide. Colours are Okabe and Ito's, which colour-blind
readers tell apart; each series also has its own marker and line style.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from policy.report import HIDDEN, SMALL, SMALLEST_SHOWN, Table, Trend

# Okabe-Ito: blue, vermilion, bluish green (dark enough on white for WCAG's 3:1 for graphics).
COLOURS = ("#0072B2", "#D55E00", "#009E73")
MARKERS = ("o", "s", "^")
LINES = ("-", "--", ":")
TEXT = "#1b1b1b"


@dataclass(frozen=True)
class Chart:
    """A chart and the text that stands for it (WCAG 1.1.1)."""

    title: str
    png: bytes
    alt: str


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    return figure


def _png(figure: Figure) -> bytes:
    out = BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _number(shown: str) -> int | None:
    return int(shown) if shown.isdigit() else None


def bar_chart(table: Table, title: str, axis: str) -> Chart:
    """Horizontal bars, one per row of `table`, each labelled with its count as shown."""
    rows = list(table.rows)
    figure = _figure(8, 1.2 + 0.45 * max(len(rows), 1))
    ax = figure.add_subplot()
    labels = [r.label for r in rows]
    values = [_number(r.shown) or 0 for r in rows]
    positions = range(len(rows))
    ax.barh(positions, values, color=COLOURS[0], height=0.6)
    ax.set_yticks(list(positions), labels, fontsize=10, color=TEXT)
    ax.invert_yaxis()  # first row at the top, as in the table
    peak = max([*values, SMALLEST_SHOWN])
    ax.set_xlim(0, peak * 1.15)
    for y, (row, value) in enumerate(zip(rows, values, strict=True)):
        ax.annotate(
            row.shown,
            (value, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
            color=TEXT,
            fontweight="bold" if _number(row.shown) is None else "normal",
        )
    ax.set_xlabel(axis + _key_line(r.shown for r in rows), color=TEXT)
    ax.set_title(title, loc="left", fontsize=12, color=TEXT, fontweight="bold")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines[["top", "right"]].set_visible(False)
    alt = f"Bar chart: {title}. " + "; ".join(f"{r.label}: {r.shown}" for r in rows) + "."
    return Chart(title, _png(figure), alt + _key(r.shown for r in rows))


def trend_chart(trend: Trend, title: str) -> Chart:
    """A line per series over the months; a count shown "<5" is a hollow marker in a band
    between 1 and 4, a hidden one ("c") a gap in the line."""
    months = list(trend.months)
    figure = _figure(9, 4.2)
    ax = figure.add_subplot()
    x = list(range(len(months)))
    peak = SMALLEST_SHOWN
    ax.axhspan(1, SMALLEST_SHOWN - 1, color="#f3f2f1", zorder=0, label="Band of counts under 5")
    for n, (name, shown) in enumerate(trend.series):
        values = [_number(s) for s in shown]
        peak = max([peak, *(v for v in values if v is not None)])
        ys = [float(v) if v is not None else float("nan") for v in values]
        style: dict[str, Any] = {"color": COLOURS[n], "marker": MARKERS[n]}
        ax.plot(x, ys, linestyle=LINES[n], linewidth=2, label=name, **style)
        small = [i for i, s in enumerate(shown) if s == SMALL]
        if small:
            # Side by side, so that two series under 5 in the same month do not hide each other.
            nudge = (n - 1) * 0.18
            middle = (1 + SMALLEST_SHOWN - 1) / 2
            ax.plot(
                [i + nudge for i in small],
                [middle] * len(small),
                linestyle="none",
                markerfacecolor="white",
                markeredgewidth=2,
                markersize=8,
                **style,
            )
    ax.set_xticks(x, [_short(m) for m in months], fontsize=9, color=TEXT, rotation=45 if len(months) > 12 else 0)
    ax.set_ylim(0, peak * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("Count in the month", color=TEXT)
    ax.set_xlabel("Month" + _key_line(s for _, shown in trend.series for s in shown), color=TEXT)
    ax.set_title(title, loc="left", fontsize=12, color=TEXT, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9, title="Hollow marker: under 5")
    described = "; ".join(
        f"{name}: " + ", ".join(f"{m} {s}" for m, s in zip(months, shown, strict=True)) for name, shown in trend.series
    )
    every = [s for _, shown in trend.series for s in shown]
    return Chart(title, _png(figure), f"Line chart: {title}. {described}." + _key(every))


def _short(month: str) -> str:
    """ "January 2027" as "Jan\n2027": twelve months side by side without overlapping."""
    name, year = month.split(" ")
    return f"{name[:3]}\n{year}"


def _key_line(shown: Iterable[str]) -> str:
    """Under the axis, what the marks for suppressed counts mean (the image may travel alone)."""
    values = set(shown)
    notes = [f"{SMALL}: fewer than 5, not drawn"] if SMALL in values else []
    notes += [f"{HIDDEN}: hidden so that a count under 5 cannot be worked out"] if HIDDEN in values else []
    return ("\n(" + "; ".join(notes) + ")") if notes else ""


def _key(shown: Iterable[str]) -> str:
    """What the marks for suppressed counts mean, for the text that stands for the chart."""
    values = set(shown)
    notes = []
    if SMALL in values:
        notes.append(f'"{SMALL}" means fewer than 5')
    if HIDDEN in values:
        notes.append('"c" means hidden so that a small count cannot be worked out')
    return (" " + "; ".join(notes) + ".") if notes else ""
