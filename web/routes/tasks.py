"""Managers' tasks: the task list, and deciding a task as the signed-in member of staff."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from policy.fields import MESSAGE_ID_PATTERN, AwareDatetime
from policy.fields import Door as Entrance
from policy.need_to_know import task_for
from policy.replies import TaskOutcomeReply
from policy.vocabulary import Role, TaskKind
from records.task_list import TaskFilter, TaskListing, TaskSort
from services.decisions import DecisionForm, DecisionRefused, decide
from web.deps import Caller, Door
from web.errors import ERRORS, Problem, decision_refused, with_body
from web.headers import IdempotencyKey

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERRORS)

# A page of the task list: the default, and the most one request may ask for.
TASKS_PER_PAGE = 100
MAX_TASKS_PER_PAGE = 500


@router.get("", summary="Open tasks, soonest due first (or as sorted), a page at a time")
async def list_tasks(
    request: Request,
    response: Response,
    door: Door,
    caller: Caller,
    role: Annotated[Role | None, Query(description="tasks this role may decide now")] = None,
    kind: Annotated[TaskKind | None, Query()] = None,
    party: Annotated[str | None, Query(description="one party's tasks")] = None,
    due_before: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only tasks overdue (past their escalation); false: only those not")
    ] = None,
    mine: Annotated[
        bool, Query(description="only tasks the signed-in member of staff may decide (four eyes included)")
    ] = True,
    limit: Annotated[int, Query(ge=1, le=MAX_TASKS_PER_PAGE, description="tasks on this page")] = TASKS_PER_PAGE,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="tasks skipped before this page")] = 0,
    sort: Annotated[
        TaskSort, Query(description="due: soonest first (unplanned last); newest or oldest opened")
    ] = TaskSort.DUE,
) -> list[TaskListing]:
    """The next page, if there is one, is the `Link` header's `rel="next"`; `X-Total-Count`
    says how many tasks match."""
    where = TaskFilter(
        role=role, person=caller.id if mine else None, kind=kind, party_id=party, due_before=due_before, overdue=overdue
    )
    # The database filters, orders, pages and counts (records.task_list): a page never reads them all.
    page = await run_in_threadpool(door.store.open_task_page, where, sort=sort, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(page.total)
    if offset + limit < page.total:
        after = request.url.include_query_params(offset=offset + limit, limit=limit)
        response.headers["Link"] = f'<{after.path}?{after.query}>; rel="next"'
    # A support task names the colleague; its details only for who needs to know (R18).
    return [task_for(task, caller.viewer) for task in page.tasks]


@router.post(
    "/{task_id}/decision",
    responses={
        403: {
            "model": Problem,
            "description": "the permission table refuses (the rule named), or the person does not hold the role",
        },
        404: {"model": Problem, "description": "no such task"},
        **with_body(),
    },
    summary="Decide a task as the signed-in member of staff",
)
async def decide_task(
    task_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: DecisionForm,
    door: Door,
    caller: Caller,
    idempotency_key: IdempotencyKey = None,
) -> TaskOutcomeReply:
    """`decided_by` is the signed-in member of staff (a case system names the member of
    staff it acts for, where its account allows), checked against the permission
    table and the staff list for `role` (403) before the workflow checks the role
    may decide this task, conflicts of interest, the outcome and its reason (409). The
    `Idempotency-Key` header is the decision's id: the same key twice records
    one decision."""
    try:
        return await decide(
            door.parties,
            door.store,
            caller=caller,
            door=Entrance.API,
            task_id=task_id,
            form=body,
            decision_id=idempotency_key,
        )
    except DecisionRefused as err:
        raise decision_refused(err) from None
