"""The task list (Camunda Tasklist, ServiceNow, GOSS): open tasks filtered and sorted, who works
each, claim and give back, assign to a colleague who may decide it, and a manager's move of a
leaver's tasks. Every change goes through services.task_claims as the signed-in person.

The filters are a GET form (a list one can bookmark and share), read here and checked: a value
the list does not know is named in an error summary, and the list is shown without it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from policy.claims import may_work
from policy.fields import Door as Entrance
from policy.permissions import Action, NotPermitted, may
from policy.tasks import TASK_TITLES
from policy.vocabulary import NoticeStatus, Role, TaskKind
from records.tables import NoticeRow, StaffRow
from records.task_list import TaskFilter, TaskSort
from services.acting import Principal
from services.decisions import DecisionRefused
from services.staff import colleague_of
from services.task_claims import Assignment, Reassignment, assign_task, claim_task, reassign_tasks, unclaim_task
from web.deps import Door, FrontDoor
from web.errors import REFUSED_STATUS
from web.inbox.problems import Problem, from_validation, shown
from web.inbox.routes import _redirect, _render, _SignInNeeded, _staff, _task_page, form_key, signed_form

router = APIRouter(prefix="/inbox", include_in_schema=False)

TASKS_PER_PAGE = 50
# The "Due" filter's choices: how far ahead, from now.
DUE_WITHIN = {"today": "By the end of today", "week": "Within 7 days"}
# The "Who has it" filter's choices.
HOLDERS = {"me": "Me", "nobody": "Nobody", "someone": "Someone"}
SORTS = {TaskSort.DUE: "Due date, soonest first", TaskSort.NEWEST: "Newest first", TaskSort.OLDEST: "Oldest first"}
SCOPES = {"mine": "Tasks I can decide", "all": "All open tasks"}
# What the forms ask, where the API's model finds a field missing or wrong.
ASSIGN_QUESTIONS = {"to": "Choose who is to work on the task"}
REASSIGN_QUESTIONS = {"from_staff": "Choose whose tasks to move", "reason": "Enter why their tasks move"}


@dataclass(frozen=True)
class Filters:
    """The task list's filters as given in the query, checked."""

    scope: str = "mine"
    kind: str = ""
    party: str = ""
    due: str = ""
    overdue: bool = False
    holder: str = ""
    sort: str = TaskSort.DUE.value
    page: int = 1

    def query(self, **changed: Any) -> str:
        """The query string of these filters, with `changed` (a sort, a page)."""
        values = {**self.__dict__, **changed}
        # What is as when nothing is chosen stays out: the shortest link to the same list.
        default = Filters().__dict__
        return urlencode({k: ("yes" if v is True else v) for k, v in values.items() if v != default[k]})


def _filters(request: Request) -> tuple[Filters, list[Problem]]:
    """The filters from the query string, and what was wrong with any (that one left out)."""
    given = request.query_params
    problems = []

    def choice(name: str, allowed: Any, default: str, problem: str) -> str:
        value = given.get(name, default) or default
        if value != default and value not in allowed:
            problems.append(Problem(problem, name))
            return default
        return value

    page = given.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        problems.append(Problem("Enter a page number, 1 or more", "page"))
        page = "1"
    party = given.get("party", "").strip()
    if len(party) > 200:
        problems.append(Problem("Enter a party id of 200 characters or fewer", "party"))
        party = ""
    return (
        Filters(
            scope=choice("scope", SCOPES, "mine", "Choose which tasks to show"),
            kind=choice("kind", [k.value for k in TaskKind], "", "Choose a kind of task from the list"),
            party=party,
            due=choice("due", DUE_WITHIN, "", "Choose when the tasks are due from the list"),
            overdue=given.get("overdue") == "yes",
            holder=choice("holder", HOLDERS, "", "Choose who has the tasks from the list"),
            sort=choice("sort", [s.value for s in SORTS], TaskSort.DUE.value, "Choose an order from the list"),
            page=int(page),
        ),
        problems,
    )


def _due_before(due: str, timezone: str, now: datetime) -> datetime | None:
    if not due:
        return None
    local = now.astimezone(ZoneInfo(timezone))
    end_of_today = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return end_of_today if due == "today" else now + timedelta(days=7)


def _where(filters: Filters, staff: StaffRow, timezone: str, now: datetime) -> TaskFilter:
    holder = filters.holder
    return TaskFilter(
        person=staff.staff_id if filters.scope == "mine" else None,
        kind=TaskKind(filters.kind) if filters.kind else None,
        party_id=filters.party or None,
        due_before=_due_before(filters.due, timezone, now),
        overdue=True if filters.overdue else None,
        claimed_by=staff.staff_id if holder == "me" else None,
        claimed={"nobody": False, "someone": True}.get(holder),
    )


@router.get("", response_class=HTMLResponse)
async def task_list(request: Request, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    filters, problems = _filters(request)
    now = datetime.now(UTC)
    where = _where(filters, staff, door.settings.timezone, now)
    page = await run_in_threadpool(
        door.store.open_task_page,
        where,
        sort=TaskSort(filters.sort),
        limit=TASKS_PER_PAGE,
        offset=(filters.page - 1) * TASKS_PER_PAGE,
    )
    holders = await run_in_threadpool(door.store.holders, [t.task_id for t in page.tasks])
    names = {s.staff_id: s.name for s in await run_in_threadpool(door.store.list_staff)}
    me = colleague_of(staff)
    roles = {Role(r) for r in staff.roles}
    undeliverable, without_email = await run_in_threadpool(_mail_problems, door, staff)
    pages = -(-page.total // TASKS_PER_PAGE)
    return _render(
        request,
        door,
        "inbox.html",
        status.HTTP_422_UNPROCESSABLE_CONTENT if problems else status.HTTP_200_OK,
        staff=staff,
        form_key=form_key(session),
        tasks=page.tasks,
        total=page.total,
        pages=pages,
        filters=filters,
        holders=holders,
        staff_names=names,
        may_claim={t.task_id: may(roles, Action.CLAIM_TASK) and may_work(me, t) for t in page.tasks},
        may_reassign=may(roles, Action.REASSIGN_TASKS),
        kind_labels=TASK_TITLES,
        due_choices=DUE_WITHIN,
        holder_choices=HOLDERS,
        sort_choices={s.value: text for s, text in SORTS.items()},
        scope_choices=SCOPES,
        here=f"/inbox?{filters.query()}" if filters.query() else "/inbox",
        page_href=lambda n: f"/inbox?{filters.query(page=n)}",
        undeliverable=undeliverable,
        without_email=without_email,
        now=now,
        **shown(problems),
    )


def _mail_problems(door: FrontDoor, staff: StaffRow) -> tuple[list[NoticeRow], list[StaffRow]]:
    """For managers: notices nobody could be mailed, and staff who get no notices for want of an address."""
    if Role.MANAGER.value not in staff.roles:
        return [], []
    return door.store.notices(status=NoticeStatus.UNDELIVERABLE), door.store.staff_without_email()


def _back_to(form: Any, task_id: str) -> str:
    """Where a claim's form came from: the task list (with its filters) or the task's page; never elsewhere."""
    back = str(form.get("back") or "")
    return back if back.startswith("/inbox") and not back.startswith("//") else f"/inbox/tasks/{task_id}"


@router.post("/tasks/{task_id}/claim")
async def post_claim(request: Request, task_id: str, door: Door) -> Response:
    return await _claim_change(request, task_id, door, "claim")


@router.post("/tasks/{task_id}/unclaim")
async def post_unclaim(request: Request, task_id: str, door: Door) -> Response:
    return await _claim_change(request, task_id, door, "unclaim")


@router.post("/tasks/{task_id}/assignment")
async def post_assignment(request: Request, task_id: str, door: Door) -> Response:
    return await _claim_change(request, task_id, door, "assign")


async def _claim_change(request: Request, task_id: str, door: FrontDoor, change: str) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    caller = Principal.of(staff)
    again = partial(_task_page, request, door, staff, session, task_id)
    try:
        if change == "claim":
            await claim_task(door.store, caller=caller, door=Entrance.INBOX, task_id=task_id)
            done = f"You are working on task {task_id}: nobody else may decide it while you have it."
        elif change == "unclaim":
            await unclaim_task(door.store, caller=caller, door=Entrance.INBOX, task_id=task_id)
            done = f"Task {task_id} is back in the list: nobody is working on it."
        else:
            try:
                # The API's own model: the page checks nothing a second way.
                given = Assignment.model_validate({"to": form.get("to") or None, "reason": form.get("reason") or ""})
            except ValidationError as err:
                # The summary links only to "Assign it to"; "reason" on this page is the decision's.
                problems = [p if p.field == "to" else Problem(p.text) for p in from_validation(err, ASSIGN_QUESTIONS)]
                return await again(code=status.HTTP_422_UNPROCESSABLE_CONTENT, problems=problems)
            await assign_task(
                door.store, caller=caller, door=Entrance.INBOX, task_id=task_id, to=given.to, reason=given.reason
            )
            done = f"Task {task_id} is assigned to {given.to}."
    except DecisionRefused as err:
        field = "to" if change == "assign" else ""
        return await again(code=REFUSED_STATUS[err.why], problems=[Problem(err.message, field)])
    except NotPermitted as err:
        return await again(code=status.HTTP_403_FORBIDDEN, problems=[Problem(str(err))])
    return _redirect(_back_to(form, task_id), flash=done)


@router.get("/reassign", response_class=HTMLResponse)
async def reassign_page(request: Request, door: Door) -> Response:
    try:
        staff, session = await _staff(request, door)
    except _SignInNeeded as needed:
        return needed.response
    return await _reassign_page(request, door, staff, form_key(session))


async def _reassign_page(
    request: Request,
    door: FrontDoor,
    staff: StaffRow,
    key: str,
    *,
    code: int = status.HTTP_200_OK,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
) -> Response:
    holding = await run_in_threadpool(door.store.holding)
    people = await run_in_threadpool(door.store.list_staff)
    names = {s.staff_id: s.name for s in people}
    return _render(
        request,
        door,
        "reassign.html",
        code,
        staff=staff,
        form_key=key,
        allowed=may({Role(r) for r in staff.roles}, Action.REASSIGN_TASKS),
        holding=[(staff_id, names.get(staff_id, staff_id), count) for staff_id, count in holding.items()],
        inactive={s.staff_id for s in people if not s.active},
        takers=[(s.staff_id, s.name) for s in people if s.active and s.kind == "person"],
        values=values or {},
        **shown(problems or []),
    )


@router.post("/reassign")
async def post_reassign(request: Request, door: Door) -> Response:
    posted = await signed_form(request, door)
    if isinstance(posted, Response):
        return posted
    staff, session, form = posted
    values = {name: str(form.get(name) or "").strip() for name in ("from_staff", "to", "reason")}
    again = {"values": values}
    try:
        given = Reassignment.model_validate({k: v or None for k, v in values.items()})
    except ValidationError as err:
        problems = from_validation(err, REASSIGN_QUESTIONS)
        return await _reassign_page(request, door, staff, form_key(session), code=422, problems=problems, **again)
    try:
        moved = await reassign_tasks(
            door.store,
            caller=Principal.of(staff),
            door=Entrance.INBOX,
            leaver=given.from_staff,
            to=given.to,
            reason=given.reason,
        )
    except DecisionRefused as err:
        problem = Problem(err.message, "to")
        return await _reassign_page(
            request, door, staff, form_key(session), code=REFUSED_STATUS[err.why], problems=[problem], **again
        )
    except NotPermitted as err:
        return await _reassign_page(
            request, door, staff, form_key(session), code=403, problems=[Problem(str(err))], **again
        )
    to_them = sum(1 for m in moved if m.holder)
    back = len(moved) - to_them
    flash = f"{len(moved)} task{'s' if len(moved) != 1 else ''} of {values['from_staff']} moved"
    flash += f": {to_them} to {values['to']}" if values["to"] else ""
    flash += f"{',' if values['to'] else ':'} {back} back to nobody (they may not decide them)" if back else ""
    return _redirect("/inbox/reassign", flash=flash + ".")
