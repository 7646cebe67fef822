"""The board report in the inbox (R10a): a form for the period, the charts and the tables.

For staff the permission table lets read it (`read_board_report`); counts only, no
party named. The charts are inline images, so the page is one response.
"""

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from policy.dates import local_date
from policy.permissions import PERMISSIONS, Action, NotPermitted
from policy.report import BoardReport, Period
from policy.vocabulary import in_words
from reports.board import build_report
from reports.render import report_body
from services.acting import Principal, permit
from web.deps import Door, FrontDoor
from web.inbox.problems import Problem, shown
from web.inbox.routes import _render, _SignInNeeded, _staff, form_key

router = APIRouter(prefix="/inbox", include_in_schema=False)
ROLES_IN_WORDS = ", ".join(sorted(in_words(role.value) for role in PERMISSIONS[Action.READ_BOARD_REPORT].roles))


def _default_period(door: FrontDoor) -> dict[str, str]:
    """The last twelve months to today: from the first of the month eleven months ago."""
    today = local_date(datetime.now(UTC), door.settings.timezone)
    months = today.year * 12 + today.month - 1 - 11
    return {"from": f"{months // 12:04d}-{months % 12 + 1:02d}-01", "to": today.isoformat()}


def _problem(err: ValidationError) -> str:
    names = {"from": "From", "to": "To"}
    problems = []
    for e in err.errors():
        field = names.get(str(e["loc"][0]), "") if e["loc"] else ""
        message = str(e["msg"]).removeprefix("Value error, ")
        problems.append(f"{field}: {message}" if field else message[:1].upper() + message[1:])
    return "; ".join(dict.fromkeys(problems)) + "."


def _board_report(door: FrontDoor, period: Period) -> tuple[BoardReport, str]:
    report = build_report(door.store, period, door.settings.timezone, datetime.now(UTC))
    return report, report_body(report)


@router.get("/report", response_class=HTMLResponse)
async def board_report_page(request: Request, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    page: dict[str, Any] = {"staff": staff, "form_key": form_key(session)}
    try:
        permit(Principal.of(staff), Action.READ_BOARD_REPORT)
    except NotPermitted as refused:
        message = f"The board report is for staff with one of these roles: {ROLES_IN_WORDS} ({refused.rule})."
        return _render(
            request, door, "message.html", status.HTTP_403_FORBIDDEN, heading="Board report", message=message, **page
        )
    values = _default_period(door) | {k: v for k, v in request.query_params.items() if k in ("from", "to") and v}
    try:
        period = Period.model_validate(values)
    except ValidationError as err:
        return _render(
            request,
            door,
            "report.html",
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            values=values,
            error=_problem(err),
            **shown([Problem(_problem(err), "from")]),
            **page,
        )
    # Counting and drawing take a moment: off the event loop.
    report, body = await run_in_threadpool(_board_report, door, period)
    return _render(request, door, "report.html", values=values, report=report, body=body, **page)
