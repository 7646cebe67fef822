"""The HTTP front door: case-system messages, managers' tasks, and the inbox pages.

For case systems that cannot run a Temporal client: the same messages as
`starter.client.PartyClient`, as JSON over HTTP, with bearer tokens mapped
to staff (`ubp staff token STAFF_ID`). `create_app` builds the app around
the dependencies it is given and keeps no globals, so tests hand it the
time-skipping server's client and a test database.
"""

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Path, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from temporalio.client import RPCTimeoutOrCancelledError, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from policy.messages import (
    MESSAGE_ID_PATTERN,
    PARTY_ID_PATTERN,
    AdjustmentDecision,
    AdjustmentRequest,
    AdviceRequest,
    AskRecord,
    AwareDatetime,
    IncidentReport,
    Message,
    MessageId,
    RestrictionRequest,
    WarningIssue,
)
from policy.state import CommandOutcome, IncidentOutcome, PartyStatus, TaskOutcomeReply
from policy.vocabulary import Role, TaskKind
from records.store import RecordStore, TaskListing
from records.tables import StaffRow
from settings import Settings
from starter.client import PartyClient
from starter.front_door import (
    DecisionForm,
    DecisionRefused,
    FrontDoor,
    NotSignedIn,
    decide,
    front_door,
    http_error,
    staff_for,
)

M = TypeVar("M", bound=Message)

DESCRIPTION = """
The unacceptable-behaviour policy's front door for case systems that cannot
run a Temporal client, and for managers deciding tasks. The payloads are the
messages of the integration contract (`docs/contract.md`).

**Sign-in.** Every call sends `Authorization: Bearer <token>`; `ubp staff
token STAFF_ID` issues one for a member of staff (a case system gets a staff
id of its own). Only a hash of the token is kept.

**Idempotency.** Each message's id (`incident_id`, `ask_id`, `warning_id`,
`restriction_id`, `adjustment_id`) is its idempotency key: sending it again
records it once and answers `duplicate: true`. When the body leaves the id
out, the `Idempotency-Key` header is used as the id. A task decision's key is
the `Idempotency-Key` header (a new id if there is none). Retry a call that
failed with 503, or whose answer was lost, with the same id.

**Errors.** 401: no token, or an unknown one. 403: the signed-in member of
staff does not hold the role they decide in. 404: no such party or task.
409: the policy refuses the message, `{"rule": "R14", "detail": "R14: ..."}`
(`rule` is `WrongParty` for a message addressed to another party). 422: a
malformed body, naming the field, or a path that does not match it. 503:
Temporal or the records database cannot be reached; nothing was applied, or
it was applied once: retry with the same id.
"""

bearer = HTTPBearer(auto_error=False, description="a token from `ubp staff token STAFF_ID`")
PartyId = Annotated[str, Path(pattern=PARTY_ID_PATTERN, description="the case system's party id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=MESSAGE_ID_PATTERN,
        description="the message's id when the body leaves it out; for a task decision, its decision id",
    ),
]


class Refusal(BaseModel):
    """A message the policy refused: nothing was written."""

    rule: str = Field(description="the rule, e.g. R14; `tasks` for a task's own checks; `WrongParty`")
    detail: str = Field(description="why, starting with the rule")


class Problem(BaseModel):
    detail: str


class Accepted(BaseModel):
    """A signalled incident: the workflow records it (or, if malformed, its rejection) shortly."""

    incident_id: str
    party_id: str
    accepted: bool = True


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no token, or an unknown one"},
    409: {"model": Refusal, "description": "the policy refuses the message"},
    503: {"model": Problem, "description": "Temporal or the records database cannot be reached; retry"},
}


def signed_in(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    door: Annotated[FrontDoor, Depends(front_door)],
) -> StaffRow:
    """The member of staff whose bearer token came with the request."""
    try:
        return staff_for(door.store, credentials.credentials if credentials else None)
    except NotSignedIn as err:
        raise http_error(err) from None


Door = Annotated[FrontDoor, Depends(front_door)]
Staff = Annotated[StaffRow, Depends(signed_in)]


# --- bodies: the contract's messages, ids optional (from Idempotency-Key or the path) ----


class IncidentReportBody(IncidentReport):
    """`IncidentReport`; `party.party_id` must be the path's."""

    incident_id: MessageId | None = Field(default=None, description="idempotency key; else Idempotency-Key")


class AskRecordBody(AskRecord):
    """`AskRecord` (R4); `party_id` defaults to the path's."""

    ask_id: MessageId | None = Field(default=None, description="idempotency key; else Idempotency-Key")
    party_id: str | None = Field(default=None, pattern=PARTY_ID_PATTERN)


class WarningIssueBody(WarningIssue):
    """`WarningIssue` (R5, R10); `party_id` defaults to the path's."""

    warning_id: MessageId | None = Field(default=None, description="idempotency key; else Idempotency-Key")
    party_id: str | None = Field(default=None, pattern=PARTY_ID_PATTERN)


class RestrictionRequestBody(RestrictionRequest):
    """`RestrictionRequest` (R6-R14); `party_id` defaults to the path's."""

    restriction_id: MessageId | None = Field(default=None, description="idempotency key; else Idempotency-Key")
    party_id: str | None = Field(default=None, pattern=PARTY_ID_PATTERN)


class AdjustmentRequestBody(AdjustmentRequest):
    """`AdjustmentRequest` (R16); `party_id` defaults to the path's."""

    adjustment_id: MessageId | None = Field(default=None, description="idempotency key; else Idempotency-Key")
    party_id: str | None = Field(default=None, pattern=PARTY_ID_PATTERN)


class AdviceRequestBody(AdviceRequest):
    """`AdviceRequest` (R16); the ids default to the path's. Opens one advice task per adjustment."""

    adjustment_id: MessageId | None = None
    party_id: str | None = Field(default=None, pattern=PARTY_ID_PATTERN)


class AdjustmentDecisionBody(AdjustmentDecision):
    """`AdjustmentDecision` (R16); the ids default to the path's."""

    adjustment_id: MessageId | None = None
    party_id: str | None = Field(default=None, pattern=PARTY_ID_PATTERN)


def _mismatch(field: tuple[str, ...], given: str, expected: str) -> dict[str, Any]:
    return {
        "type": "value_error",
        "loc": ("body", *field),
        "msg": f"Value error, {'.'.join(field)} {given!r} does not match the path's {expected!r}",
        "input": given,
    }


def message_from(
    model: type[M],
    body: BaseModel,
    *,
    path: dict[str, str],
    id_field: str | None = None,
    key: str | None = None,
) -> M:
    """The message a body stands for: ids left out are filled from the path and
    the Idempotency-Key header, and ids given must agree with them.

    Raises:
        RequestValidationError: (422) naming the field that disagrees or is missing.
    """
    values = dict(body)
    errors: list[dict[str, Any]] = []
    for name, expected in path.items():
        given = values.get(name)
        if given is None:
            values[name] = expected
        elif given != expected:
            errors.append(_mismatch((name,), given, expected))
    if id_field is not None:
        given = values.get(id_field)
        if given is None and key is None:
            errors.append(
                {
                    "type": "missing",
                    "loc": ("body", id_field),
                    "msg": f"Field required: give {id_field} in the body or the Idempotency-Key header",
                    "input": None,
                }
            )
        elif given is None:
            values[id_field] = key
        elif key is not None and key != given:
            errors.append(
                {
                    "type": "value_error",
                    "loc": ("header", "Idempotency-Key"),
                    "msg": f"Value error, Idempotency-Key {key!r} differs from the body's {id_field} {given!r}",
                    "input": key,
                }
            )
    if errors:
        raise RequestValidationError(errors)
    try:
        return model.model_validate(values)
    except ValidationError as err:  # the body was valid already: this is a path or header value
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in err.errors(include_url=False, include_context=False)]
        ) from None


# --- case-system routes ------------------------------------------------------------------

parties_router = APIRouter(prefix="/parties", tags=["case systems"], responses=ERRORS)


@parties_router.post(
    "/{party_id}/incidents",
    response_model=IncidentOutcome,
    responses={202: {"model": Accepted, "description": "wait=false: sent as a signal, recorded shortly"}},
    summary="Report an incident (R2, R18)",
)
async def report_incident(
    party_id: PartyId,
    body: IncidentReportBody,
    door: Door,
    staff: Staff,
    idempotency_key: IdempotencyKey = None,
    wait: Annotated[
        bool, Query(description="true: wait for the policy's answer (update); false: fire and forget (signal)")
    ] = True,
) -> IncidentOutcome | JSONResponse:
    """Starts the party's workflow if it has none. With `wait=true` the answer
    is the policy's advice once the incident is on the party's file; a refusal
    (e.g. R3, an incident dated in the future) is a 409. With `wait=false` the
    answer is 202 at once, and a malformed report is kept on the party's status
    under `rejections` instead."""
    if body.party.party_id != party_id:
        raise RequestValidationError([_mismatch(("party", "party_id"), body.party.party_id, party_id)])
    report = message_from(IncidentReport, body, path={}, id_field="incident_id", key=idempotency_key)
    if wait:
        return await door.parties.report_incident(report)
    await door.parties.send_incident(report)
    accepted = Accepted(incident_id=report.incident_id, party_id=party_id)
    return JSONResponse(accepted.model_dump(), status_code=status.HTTP_202_ACCEPTED)


@parties_router.post("/{party_id}/asks", summary="Record an ask to stop (R4)")
async def record_ask(
    party_id: PartyId, body: AskRecordBody, door: Door, staff: Staff, idempotency_key: IdempotencyKey = None
) -> CommandOutcome:
    ask = message_from(AskRecord, body, path={"party_id": party_id}, id_field="ask_id", key=idempotency_key)
    return await door.parties.record_ask(ask)


@parties_router.post("/{party_id}/warnings", summary="Issue a warning (R5, R10)")
async def issue_warning(
    party_id: PartyId, body: WarningIssueBody, door: Door, staff: Staff, idempotency_key: IdempotencyKey = None
) -> CommandOutcome:
    warning = message_from(
        WarningIssue, body, path={"party_id": party_id}, id_field="warning_id", key=idempotency_key
    )
    return await door.parties.issue_warning(warning)


@parties_router.post("/{party_id}/restrictions", summary="Apply a restriction (R6-R14)")
async def apply_restriction(
    party_id: PartyId,
    body: RestrictionRequestBody,
    door: Door,
    staff: Staff,
    idempotency_key: IdempotencyKey = None,
) -> CommandOutcome:
    """Grounds are found by the policy; without them the request is refused (409, R14).
    One that needs approval (R7, R9) answers `awaiting_approval` and opens a task."""
    request = message_from(
        RestrictionRequest, body, path={"party_id": party_id}, id_field="restriction_id", key=idempotency_key
    )
    return await door.parties.apply_restriction(request)


@parties_router.post("/{party_id}/adjustments", summary="Record a requested reasonable adjustment (R16)")
async def request_adjustment(
    party_id: PartyId,
    body: AdjustmentRequestBody,
    door: Door,
    staff: Staff,
    idempotency_key: IdempotencyKey = None,
) -> PartyStatus:
    request = message_from(
        AdjustmentRequest, body, path={"party_id": party_id}, id_field="adjustment_id", key=idempotency_key
    )
    return await door.parties.request_adjustment(request)


@parties_router.post(
    "/{party_id}/adjustments/{adjustment_id}/advice", summary="Ask a specialist adviser about an adjustment (R16)"
)
async def seek_advice(
    party_id: PartyId,
    adjustment_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: AdviceRequestBody,
    door: Door,
    staff: Staff,
) -> PartyStatus:
    """Opens one advice task per adjustment: asking again changes nothing."""
    request = message_from(AdviceRequest, body, path={"party_id": party_id, "adjustment_id": adjustment_id})
    return await door.parties.seek_advice(request)


@parties_router.post(
    "/{party_id}/adjustments/{adjustment_id}/decision", summary="Agree or decline an adjustment (R16)"
)
async def decide_adjustment(
    party_id: PartyId,
    adjustment_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: AdjustmentDecisionBody,
    door: Door,
    staff: Staff,
) -> PartyStatus:
    """Declining needs the specialist's advice first (409, R16). The same
    decision sent again (same person, same `decided_at`) changes nothing."""
    decision = message_from(
        AdjustmentDecision, body, path={"party_id": party_id, "adjustment_id": adjustment_id}
    )
    return await door.parties.decide_adjustment(decision)


@parties_router.get(
    "/{party_id}",
    responses={404: {"model": Problem, "description": "the party has no workflow"}},
    summary="A party's status",
)
async def party_status(party_id: PartyId, door: Door, staff: Staff) -> PartyStatus:
    """Stage, deadlines, warnings, restrictions, open tasks and rejected messages.
    A party whose workflow completed answers from its last run."""
    try:
        return await door.parties.status(party_id)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"party {party_id} has no workflow") from None
        raise


# --- managers' tasks -----------------------------------------------------------------------

tasks_router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERRORS)


@tasks_router.get("", summary="Open tasks, soonest due first")
async def list_tasks(
    door: Door,
    staff: Staff,
    role: Annotated[Role | None, Query(description="tasks this role may decide now")] = None,
    kind: Annotated[TaskKind | None, Query()] = None,
    party: Annotated[str | None, Query(description="one party's tasks")] = None,
    due_before: Annotated[AwareDatetime | None, Query(description="ISO 8601 with offset")] = None,
    mine: Annotated[
        bool, Query(description="only tasks the signed-in member of staff may decide (four eyes included)")
    ] = True,
) -> list[TaskListing]:
    person = staff.staff_id if mine else None
    return await run_in_threadpool(
        door.store.open_tasks, role=role, person=person, kind=kind, party_id=party, due_before=due_before
    )


@tasks_router.post(
    "/{task_id}/decision",
    responses={
        403: {"model": Problem, "description": "the signed-in member of staff does not hold the role"},
        404: {"model": Problem, "description": "no such task"},
    },
    summary="Decide a task as the signed-in member of staff",
)
async def decide_task(
    task_id: Annotated[str, Path(pattern=MESSAGE_ID_PATTERN)],
    body: DecisionForm,
    door: Door,
    staff: Staff,
    idempotency_key: IdempotencyKey = None,
) -> TaskOutcomeReply:
    """`decided_by` is the signed-in member of staff, checked against the staff
    list for `role` (403) before the workflow checks the role may decide this
    task, conflicts of interest, the outcome and its reason (409). The
    `Idempotency-Key` header is the decision's id: the same key twice records
    one decision."""
    try:
        return await decide(door, staff, task_id, body, idempotency_key)
    except DecisionRefused as err:
        raise http_error(err) from None


# --- errors ----------------------------------------------------------------------------------


async def _update_failed(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, WorkflowUpdateFailedError)
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in ("PolicyRefusal", "WrongParty"):
        rule = str(cause.details[0]) if cause.type == "PolicyRefusal" and cause.details else cause.type
        return JSONResponse(Refusal(rule=rule, detail=cause.message).model_dump(), status.HTTP_409_CONFLICT)
    return JSONResponse({"detail": f"the workflow failed the message: {cause or err}"}, 500)


async def _temporal_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RPCError)
    if err.status == RPCStatusCode.NOT_FOUND:
        return JSONResponse({"detail": err.message}, status.HTTP_404_NOT_FOUND)
    return JSONResponse(
        {"detail": f"Temporal cannot be reached or is busy ({err.status.name}): {err.message}; retry with the same id"},
        status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


async def _timed_out(request: Request, err: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "Temporal did not answer in time; the message may or may not be applied: retry with the same id"},
        status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


async def _query_failed(request: Request, err: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"the party's status query failed: {err}"}, status.HTTP_502_BAD_GATEWAY)


async def _records_error(request: Request, err: Exception) -> JSONResponse:
    # Parameters are hidden by the engine (records.db); the statement is not shown.
    reason = type(getattr(err, "orig", None) or err).__name__
    return JSONResponse(
        {"detail": f"the records database cannot be reached ({reason}); retry"},
        status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": "5"},
    )


def create_app(parties: PartyClient, store: RecordStore, settings: Settings) -> FastAPI:
    """The HTTP API and the managers' inbox.

    Args:
        parties: The Temporal client module, connected (`starter.client`).
        store: The records database: staff, tokens and the task list.
        settings: The body's time zone, for the inbox's local dates.

    Returns:
        The app; OpenAPI at `/openapi.json`, its pages at `/docs`.
    """
    from starter import inbox

    app = FastAPI(
        title="Unacceptable-behaviour policy orchestrator",
        version="0.1.0",
        description=DESCRIPTION,
        openapi_tags=[
            {"name": "case systems", "description": "the integration contract's messages (docs/contract.md)"},
            {"name": "tasks", "description": "human tasks: the task list, and deciding a task"},
        ],
    )
    app.state.front_door = FrontDoor(parties=parties, store=store, settings=settings)
    app.include_router(parties_router)
    app.include_router(tasks_router)
    app.include_router(inbox.router)
    app.add_exception_handler(WorkflowUpdateFailedError, _update_failed)
    app.add_exception_handler(RPCError, _temporal_error)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _timed_out)
    app.add_exception_handler(WorkflowQueryFailedError, _query_failed)
    app.add_exception_handler(SQLAlchemyError, _records_error)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/inbox", status.HTTP_303_SEE_OTHER)

    @app.get("/healthz", tags=["ops"], summary="The API answers (Temporal is not checked)")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def api_server(
    settings: Settings, parties: PartyClient, store: RecordStore, *, embedded: bool = False
) -> uvicorn.Server:
    """A uvicorn server for the app on `settings.api_host:api_port`; `await server.serve()` runs it.

    Args:
        embedded: True inside the dev stack, which handles SIGINT and SIGTERM
            itself: set `server.should_exit` to stop this one.
    """
    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if embedded:
                yield
                return
            with super().capture_signals():
                yield

    config = uvicorn.Config(
        create_app(parties, store, settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        lifespan="off",
    )
    return _Server(config)
