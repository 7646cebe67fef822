"""`ubp report`: the board report (R10a) for a period, as one HTML file, and as CSV if asked."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from cli.common import fail, records
from policy.report import Period
from reports.board import build_report
from reports.render import report_csv, report_file
from settings import get_settings

app = typer.Typer()


@app.command("report")
def report(
    first: Annotated[str, typer.Option("--from", help="the first day of the period, YYYY-MM-DD (local)")],
    last: Annotated[str, typer.Option("--to", help="the last day of the period, included, YYYY-MM-DD (local)")],
    out: Annotated[Path, typer.Option("--out", help="the HTML file to write, its charts inside it")],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="also write the figures, as shown, to this CSV file")
    ] = None,
) -> None:
    """The board report: counts for the period, small counts suppressed, charts; no party named.

    Local: runs against the records database on this machine; not an action on a party."""
    try:
        period = Period.model_validate({"from": first, "to": last})
    except ValidationError as err:
        problems = "; ".join(
            f"--{e['loc'][0]}: {str(e['msg']).removeprefix('Value error, ')}"
            if e["loc"]
            else str(e["msg"]).removeprefix("Value error, ")
            for e in err.errors()
        )
        fail(f"invalid period: {problems}", 2)
    with records() as store:
        board = build_report(store, period, get_settings().timezone, datetime.now(UTC))
    try:
        out.write_text(report_file(board), encoding="utf-8")
        if csv is not None:
            csv.write_text(report_csv(board), encoding="utf-8", newline="")
    except OSError as err:
        fail(f"cannot write the report: {err}", 1)
    typer.echo(f"board report for {period.written()}: {out}" + (f" and {csv}" if csv else ""))
