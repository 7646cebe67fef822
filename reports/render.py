"""The board report as HTML (a fragment for the inbox page, or a file that stands alone,
its charts embedded) and as CSV (R10a)."""

import base64
import csv
from io import StringIO
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from policy.dates import written_time
from policy.report import HIDDEN, SMALL, BoardReport
from reports.charts import Chart, bar_chart, trend_chart

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape(default=True)
)


def charts(report: BoardReport) -> list[Chart]:
    """The period's bars (incidents by category, restrictions by measure) and the trend by month."""
    drawn = [bar_chart(report.table("incidents"), "Incidents recorded, by category", "Incidents recorded")]
    measures = report.table("measures")
    if measures.rows:
        drawn.append(bar_chart(measures, "Restrictions put in force, by measure", "Restrictions with the measure"))
    drawn.append(trend_chart(report.trend, "Incidents, warnings and restrictions by month"))
    return drawn


def report_body(report: BoardReport) -> Markup:
    """The report's headings, charts and tables, for a page to place under its own heading."""
    images = [(chart, "data:image/png;base64," + base64.b64encode(chart.png).decode()) for chart in charts(report)]
    html = _templates.get_template("board.html").render(
        report=report,
        images=images,
        generated=written_time(report.generated_at, report.timezone),
        small=SMALL,
        hidden=HIDDEN,
    )
    # Rendered by the autoescaping environment above: safe to place in a page as it is.
    return Markup(html)


def report_file(report: BoardReport) -> str:
    """A whole HTML document: one file to send to the board, nothing fetched when it opens."""
    return _templates.get_template("board_file.html").render(report=report, body=report_body(report))


def report_csv(report: BoardReport) -> str:
    """Every figure as shown (suppressed counts as in the report): table, figure, count."""
    out = StringIO()
    writer = csv.writer(out)
    writer.writerow(["period_from", "period_to", "table", "figure", "count"])
    first, last = report.period.first.isoformat(), report.period.last.isoformat()
    for table in report.tables:
        for row in (*table.rows, *([table.total] if table.total else [])):
            writer.writerow([first, last, table.title, row.label, row.shown])
    writer.writerow([first, last, "Approvals (R7, R9)", "Median working days to decide", report.median_days_to_decide])
    for name, shown in report.trend.series:
        for month, count in zip(report.trend.months, shown, strict=True):
            writer.writerow([first, last, f"{name} by month", month, count])
    return out.getvalue()
