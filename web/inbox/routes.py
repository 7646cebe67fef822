"""The staff pages: server-rendered pages to see and decide one's tasks (and, beside this
module, everything else a member of staff does in the browser).

Plain HTML forms, no scripts, on the GOV.UK Design System: GOV.UK Frontend's styles
(npm `govuk-frontend`, compiled by scripts/setup.sh into web/frontend/build and served from
here) and its components as Jinja macros (`govuk-frontend-jinja`, the port made for that
release: the same markup as the Design System's own Nunjucks, kept up by its maintainers).
Staff sign in through the body's identity provider (web.inbox.sign_in); the session is kept
on the server, and every form carries the session's CSRF token, so another site cannot post
a decision in the manager's name.
Dates are shown in the body's time zone (Europe/London); everything inside stays UTC.
"""

import re
import secrets
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.service import RPCError

from policy.fields import Door as Entrance
from policy.permissions import PERMISSIONS, Action, NotPermitted, may
from policy.replies import PartyStatus
from policy.tasks import TASK_RULES, TASK_TITLES
from policy.vocabulary import Role, SupportOption, TaskKind, TaskOutcome, in_words
from records.security_log import SecurityEvent
from records.tables import StaffRow, WebSessionRow
from services.acting import Principal
from services.contacts import party_status
from services.decisions import (
    DecisionForm,
    DecisionRefused,
    allowed_outcomes,
    decide,
    load_task,
    new_decision_id,
    roles_to_decide,
    task_of,
)
from web.deps import SESSION_COOKIE, Door, FrontDoor, session_of
from web.errors import REFUSED_STATUS
from web.inbox.claims_view import claim_context
from web.inbox.problems import Problem, from_validation, shown

FLASH_COOKIE = "ubp_inbox_flash"

TEMPLATES = Path(__file__).parent / "templates"
# The pages' own templates, and GOV.UK Frontend's macros under the prefix their imports name.
templates = Jinja2Templates(
    env=Environment(
        loader=ChoiceLoader(
            [
                FileSystemLoader(TEMPLATES),
                PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
            ]
        ),
        autoescape=True,
    )
)
# GOV.UK Frontend compiled for the pages (web/frontend/pages.scss), by scripts/setup.sh.
STYLESHEET = Path(__file__).parent.parent / "frontend" / "build" / "pages.css"
STYLESHEET_PATH = "/inbox/assets/pages.css"
SERVICE_NAME = "Unacceptable behaviour"
router = APIRouter(prefix="/inbox", include_in_schema=False)

OUTCOME_LABELS = {
    TaskOutcome.APPROVE: "Approve the restriction",
    TaskOutcome.REJECT: "Reject the restriction",
    TaskOutcome.CONFIRM_STOP: "Confirm the stop of direct contact",
    TaskOutcome.LIFT_STOP: "Lift the stop of direct contact",
    TaskOutcome.ADVICE_GIVEN: "Advice given (write the advice as the reason)",
    TaskOutcome.SUPPORT_RECORDED: "Record the support offered to the colleague",
    TaskOutcome.LET_RUN: "Let the restriction run to its end",
    TaskOutcome.LIFT_EARLY: "Lift the restriction early",
    TaskOutcome.STEP_UP: "Step up to a stronger restriction (R11)",
    TaskOutcome.RECUSE: "I have a conflict of interest: pass it to someone else",
}
SUPPORT_LABELS = {
    SupportOption.MENTAL_HEALTH_FIRST_AIDER: "A mental health first aider",
    SupportOption.EMPLOYEE_ASSISTANCE_PROGRAMME: "The employee assistance programme",
    SupportOption.NO_FURTHER_CONTACT: "No further contact with this party",
    SupportOption.MANAGER_TAKES_OVER: "The manager takes over the contact",
    SupportOption.NONE_WANTED: "The colleague wanted no support",
}
DONE_LABELS = {
    TaskOutcome.APPROVE: "the restriction is approved",
    TaskOutcome.REJECT: "the restriction is rejected",
    TaskOutcome.CONFIRM_STOP: "direct contact stays stopped",
    TaskOutcome.LIFT_STOP: "the stop of direct contact is lifted",
    TaskOutcome.ADVICE_GIVEN: "your advice is on file",
    TaskOutcome.SUPPORT_RECORDED: "the support offered is on file",
    TaskOutcome.LET_RUN: "the restriction runs to its end",
    TaskOutcome.LIFT_EARLY: "the restriction is lifted early",
    TaskOutcome.STEP_UP: "a stronger restriction is to follow",
    TaskOutcome.RECUSE: "you passed it on for a conflict of interest",
}


def form_key(session: WebSessionRow) -> str:
    """The inbox forms' anti-forgery field: the session's own random token (kept on the
    server with the session), so another site cannot fill it in."""
    return session.csrf_token


def _label(value: Any) -> str:
    """A vocabulary value in plain words: `single_named_contact` -> `single named contact`."""
    return in_words(str(getattr(value, "value", value)))


def _local(settings_timezone: str):
    zone = ZoneInfo(settings_timezone)

    def local(instant: datetime | None) -> str:
        if instant is None:
            return "not set yet"
        at = instant.astimezone(zone)
        return f"{at:%a} {at.day} {at:%b %Y, %H:%M %Z}"

    return local


# The pages in the service navigation: (path, text, the action whose permission shows it; None: everyone).
NAVIGATION: list[tuple[str, str, Action | None]] = [
    ("/inbox", "Tasks", None),
    ("/inbox/parties", "Parties", Action.READ_STATUS),
    ("/inbox/reassign", "Reassign tasks", Action.REASSIGN_TASKS),
    ("/inbox/contact", "A contact: what do I do?", Action.ASK_CONTACT_GATE),
    ("/inbox/act", "Act on a party", Action.REPORT_INCIDENT),
    ("/inbox/report", "Board report", Action.READ_BOARD_REPORT),
    ("/inbox/markers", "Markers", Action.READ_MARKER_REGISTER),
    ("/inbox/security-log", "Security log", Action.READ_SECURITY_LOG),
]


def navigation(staff: StaffRow | None) -> list[tuple[str, str]]:
    """The pages `staff` may open, for the service navigation: only what their roles may do."""
    if staff is None:
        return []
    roles = {Role(r) for r in staff.roles}
    return [(path, text) for path, text, action in NAVIGATION if action is None or may(roles, action)]


def _render(request: Request, door: FrontDoor, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    flash = request.cookies.get(FLASH_COOKIE)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "body_name": door.settings.body_name,
            "service_name": SERVICE_NAME,
            "stylesheet": STYLESHEET_PATH,
            "navigation_links": navigation(context.get("staff")),
            "errors": [],
            "field_errors": {},
            "local": _local(door.settings.timezone),
            "label": _label,
            "timezone": door.settings.timezone,
            "report_roles": PERMISSIONS[Action.READ_BOARD_REPORT].roles,
            "register_roles": PERMISSIONS[Action.READ_MARKER_REGISTER].roles,
            "export_roles": PERMISSIONS[Action.EXPORT_SUBJECT_ACCESS].roles,
            "dispute_roles": PERMISSIONS[Action.RECORD_DISPUTE].roles,
            "flash": unquote(flash) if flash else None,
            **context,
        },
        status_code=code,
    )
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/inbox")
    return response


def _redirect(url: str, *, flash: str | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status.HTTP_303_SEE_OTHER)
    if flash:
        response.set_cookie(FLASH_COOKIE, quote(flash), max_age=120, httponly=True, samesite="lax", path="/inbox")
    return response


class _SignInNeeded(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _staff(request: Request, door: FrontDoor) -> tuple[StaffRow, WebSessionRow]:
    """The signed-in member of staff and their session, or a response that signs them in.

    Raises:
        HTTPException: (429) They are over their rate of requests.
    """
    found = await run_in_threadpool(session_of, door, request.cookies.get(SESSION_COOKIE))
    if found is None:
        response = _redirect(f"/inbox/sign-in?next={quote(request.url.path)}")
        if SESSION_COOKIE in request.cookies:
            response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
        raise _SignInNeeded(response)
    request.state.principal_id = found[0].staff_id
    door.per_principal.check(found[0].staff_id, "requests", request)
    return found


def csrf_refused(request: Request, door: FrontDoor, staff: StaffRow, session: WebSessionRow) -> Response:
    """A form posted without the session's CSRF token (403), logged."""
    door.store.record_security_event(SecurityEvent.CSRF_REFUSED, staff_id=staff.staff_id, route=request.url.path)
    request.state.security_logged = True
    return _render(
        request,
        door,
        "message.html",
        status.HTTP_403_FORBIDDEN,
        staff=staff,
        form_key=form_key(session),
        message="This form did not come from your inbox. Open the page again and send it from there.",
    )


async def signed_form(request: Request, door: FrontDoor) -> tuple[StaffRow, WebSessionRow, FormData] | Response:
    """The signed-in member of staff, their session and the form they posted; or, instead,
    the answer to give: sign in again, or refused (the form lacks the session's CSRF token)."""
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    form = await request.form()
    if not secrets.compare_digest(str(form.get("form_key", "")), form_key(session)):
        return await run_in_threadpool(csrf_refused, request, door, staff, session)
    return staff, session, form


@router.get("/assets/pages.css", include_in_schema=False)
async def stylesheet() -> Response:
    if not STYLESHEET.exists():
        return Response(
            "/* The pages' styles are not built: bash scripts/setup.sh (needs npm) */",
            status.HTTP_404_NOT_FOUND,
            media_type="text/css",
        )
    # The one response that may be cached: it holds no personal data.
    return FileResponse(STYLESHEET, media_type="text/css", headers={"Cache-Control": "max-age=3600"})


async def _party_status(door: FrontDoor, staff: StaffRow, party_id: str) -> tuple[PartyStatus | None, str | None]:
    """The party's status for the summary, or why it cannot be shown: the page
    still shows the task from the records database. Read as every door reads it:
    allowed by the permission table, and logged."""
    try:
        return await party_status(door.parties, door.store, party_id, Principal.of(staff), Entrance.INBOX), None
    except NotPermitted as err:
        return None, f"The party's current status is not shown to you ({err.rule})."
    except (RPCError, WorkflowQueryFailedError) as err:
        return None, f"The party's current status cannot be shown just now ({getattr(err, 'message', err)})."


async def _task_page(
    request: Request,
    door: FrontDoor,
    staff: StaffRow,
    session: WebSessionRow,
    task_id: str,
    *,
    code: int = 200,
    values: dict[str, Any] | None = None,
    problems: list[Problem] | None = None,
) -> Response:
    try:
        row = await load_task(door.store, task_id)
    except DecisionRefused as err:
        return _render(
            request,
            door,
            "message.html",
            REFUSED_STATUS[err.why],
            staff=staff,
            form_key=form_key(session),
            message=err.message,
        )
    task = task_of(row)
    party, party_problem = await _party_status(door, staff, row.party_id)
    claim = await claim_context(door.store, staff, row)
    roles = roles_to_decide(staff, task)
    rule = TASK_RULES[task.kind]
    return _render(
        request,
        door,
        "task.html",
        code,
        staff=staff,
        form_key=form_key(session),
        task=task,
        party_id=row.party_id,
        party=party,
        party_problem=party_problem,
        roles=roles,
        excluded=staff.staff_id in task.excluded_staff,
        outcomes=[(o, OUTCOME_LABELS[o], o in rule.reason_required) for o in allowed_outcomes(task)],
        support_options=list(SUPPORT_LABELS.items()) if task.kind == TaskKind.COLLEAGUE_SUPPORT else [],
        asks_police=task.kind == TaskKind.ZERO_TOLERANCE_REVIEW,
        kind_label=TASK_TITLES[task.kind],
        decision_id=(values or {}).get("decision_id") or new_decision_id(),
        values=values or {},
        now=datetime.now(UTC),
        **claim,
        **shown(problems or [], _DECISION_FIELD_IDS),
    )


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
async def task_page(request: Request, task_id: str, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    return await _task_page(request, door, staff, session, task_id)


def _form_values(form: Any) -> dict[str, Any]:
    police = form.get("police_referral")
    return {
        "decision_id": str(form.get("decision_id") or ""),
        "role": form.get("role") or None,
        "outcome": form.get("outcome") or None,
        "reason": str(form.get("reason") or ""),
        "police_referral": {"yes": True, "no": False}.get(str(police)) if police else None,
        "support_offered": [str(s) for s in form.getlist("support_offered")],
    }


_VOCABULARY = sorted(
    (value.value for vocabulary in (TaskOutcome, TaskKind, Role, SupportOption) for value in vocabulary),
    key=len,
    reverse=True,
)


# The policy names the API's fields; in the inbox the same answer is a question on the form,
# and the error summary links to it.
_FORM_HINTS = {
    "(police_referral true or false)": ('(answer "Refer to the police?")', "police_referral"),
    "(support_offered)": ('(tick at least one under "Support offered to the colleague")', "support_offered"),
}
# The police question's radios: the summary links to its first item (the others' first item has the field's name).
_DECISION_FIELD_IDS = {"police_referral": "police-yes"}
_DECISION_QUESTIONS = {"outcome": "Choose a decision", "role": "Choose the role you decide in"}


def _in_words(refusal: str) -> str:
    """A refusal with the policy's codes in plain words (`lift_stop` -> `lift stop`) and its
    field names as the form's questions."""
    for field, (hint, _) in _FORM_HINTS.items():
        refusal = refusal.replace(field, hint)
    for code in _VOCABULARY:
        if "_" in code:
            refusal = re.sub(rf"\b{code}\b", code.replace("_", " "), refusal)
    return refusal


def _refusal(message: str) -> list[Problem]:
    """The decision's refusal as the form's problem: on the question it names, if it names one."""
    field = next((name for api_field, (_, name) in _FORM_HINTS.items() if api_field in message), "")
    return [Problem(_in_words(message), field)]


def _plain(err: ValidationError) -> str:
    names = {"outcome": "Choose a decision", "role": "Choose the role you decide in"}
    problems = []
    for e in err.errors():
        field = str(e["loc"][0]) if e["loc"] else ""
        problems.append(names.get(field, f"{_label(field)}: {e['msg']}"))
    return "; ".join(dict.fromkeys(problems)) + "."


@router.post("/tasks/{task_id}/decision")
async def post_decision(request: Request, task_id: str, door: Door) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    values = _form_values(form)
    again = partial(_task_page, request, door, staff, session, task_id, values=values)
    try:
        decision = DecisionForm.model_validate({k: v for k, v in values.items() if k != "decision_id"})
    except ValidationError as err:
        return await again(
            problems=from_validation(err, _DECISION_QUESTIONS), code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    try:
        reply = await decide(
            door.parties,
            door.store,
            caller=Principal.of(staff),
            door=Entrance.INBOX,
            task_id=task_id,
            form=decision,
            decision_id=values["decision_id"] or None,
        )
    except DecisionRefused as err:
        return await again(problems=_refusal(err.message), code=REFUSED_STATUS[err.why])
    except NotPermitted as err:
        return await again(problems=_refusal(str(err)), code=status.HTTP_403_FORBIDDEN)
    except WorkflowUpdateFailedError as err:
        cause = err.cause
        message = getattr(cause, "message", None) or str(cause or err)
        return await again(problems=_refusal(message), code=status.HTTP_409_CONFLICT)
    except RPCError as err:
        return await again(
            problems=[Problem(f"The party's workflow cannot be reached just now ({err.message}). Send it again.")],
            code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    what = "was already recorded" if reply.duplicate else "is recorded"
    return _redirect(
        "/inbox", flash=f"Your decision on task {reply.task.task_id} {what}: {DONE_LABELS[decision.outcome]}."
    )
