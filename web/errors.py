"""How failures become HTTP answers: one place for every route and the app."""

from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import (
    RPCTimeoutOrCancelledError,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from policy.permissions import NotPermitted
from services.acting import UnknownStaff
from services.decisions import DecisionRefused, Refused
from services.letters import LetterNotFound, LetterRefused
from services.message_ids import IdOfAnotherParty
from services.retention import ErasureRefused


class Refusal(BaseModel):
    """A message the policy refused: nothing was written."""

    rule: str = Field(
        description="the rule, e.g. R14; `tasks` for a task's own checks; `WrongParty`; `ids-per-party` for an id "
        "on file for another party; "
        "`who-acts` when a body names someone other than who signed in"
    )
    detail: str = Field(description="why, starting with the rule")


class Problem(BaseModel):
    detail: str


class FieldProblem(BaseModel):
    """One thing wrong with a request, naming where (`loc`, e.g. `["body", "occurred_at"]`)."""

    loc: list[str | int]
    msg: str
    type: str
    input: Any = None


class Invalid(BaseModel):
    """A malformed request: every problem, each naming its field."""

    detail: list[FieldProblem]


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "no token, or an unknown, expired or revoked one"},
    403: {
        "model": Refusal,
        "description": "the permission table refuses the signed-in principal (the rule named); nothing is written",
    },
    409: {"model": Refusal, "description": "the policy refuses the message"},
    429: {
        "model": Problem,
        "description": "over the principal's rate of requests; `Retry-After` says in how many seconds to try again",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    },
    503: {"model": Problem, "description": "Temporal or the records database cannot be reached; retry"},
}


def with_body(*rules: str) -> dict[int | str, dict[str, Any]]:
    """The answers of a route with a JSON body: 400 for a body that is not JSON, and 422
    naming the field for one that breaks the schema or a rule across fields (`rules`)."""
    also = "; or breaks a rule across fields: " + "; ".join(rules) if rules else ""
    return {
        400: {"model": Problem, "description": "the body is not JSON"},
        413: {"model": Problem, "description": "the body is larger than the limit (1 MiB unless set otherwise)"},
        422: {"model": Invalid, "description": f"the body (or a parameter) breaks the schema{also}"},
    }


# The rules across fields that JSON Schema cannot state (the path and the header are not in the body).
PATH_PARTY = "`party_id` in the body, if given, equals the path's"
KEY_ID = "the `Idempotency-Key` header, if given, equals the body's id; one of them gives the id"

REFUSED_STATUS = {
    Refused.UNKNOWN_TASK: status.HTTP_404_NOT_FOUND,
    Refused.NOT_ALLOWED: status.HTTP_403_FORBIDDEN,
    Refused.INVALID: status.HTTP_422_UNPROCESSABLE_CONTENT,
    Refused.CLAIMED: status.HTTP_409_CONFLICT,
    Refused.NOT_OPEN: status.HTTP_409_CONFLICT,
}


def decision_refused(err: DecisionRefused) -> HTTPException:
    return HTTPException(REFUSED_STATUS[err.why], err.message)


async def _update_failed(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, WorkflowUpdateFailedError)
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.type in ("PolicyRefusal", "WrongParty"):
        rule = str(cause.details[0]) if cause.type == "PolicyRefusal" and cause.details else cause.type
        return JSONResponse(Refusal(rule=rule, detail=cause.message).model_dump(), status.HTTP_409_CONFLICT)
    return JSONResponse({"detail": f"the workflow failed the message: {cause or err}"}, 500)


async def _not_permitted(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, NotPermitted)
    return JSONResponse(Refusal(rule=err.rule, detail=str(err)).model_dump(), status.HTTP_403_FORBIDDEN)


async def _unknown_staff(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, UnknownStaff)
    problem = FieldProblem(loc=["body", err.field], msg=str(err), type="unknown_staff")
    return JSONResponse(Invalid(detail=[problem]).model_dump(), status.HTTP_422_UNPROCESSABLE_CONTENT)


async def _id_of_another_party(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, IdOfAnotherParty)
    return JSONResponse(Refusal(rule=err.rule, detail=str(err)).model_dump(), status.HTTP_409_CONFLICT)


async def _erasure_refused(request: Request, err: Exception) -> JSONResponse:
    return JSONResponse(Refusal(rule="R3", detail=str(err)).model_dump(), status.HTTP_409_CONFLICT)


async def _letter_not_found(request: Request, err: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(err)}, status.HTTP_404_NOT_FOUND)


async def _letter_refused(request: Request, err: Exception) -> JSONResponse:
    problem = FieldProblem(loc=["body", "sent_at"], msg=str(err), type="before_produced")
    return JSONResponse(Invalid(detail=[problem]).model_dump(), status.HTTP_422_UNPROCESSABLE_CONTENT)


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


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WorkflowUpdateFailedError, _update_failed)
    app.add_exception_handler(RPCError, _temporal_error)
    app.add_exception_handler(RPCTimeoutOrCancelledError, _timed_out)
    app.add_exception_handler(WorkflowQueryFailedError, _query_failed)
    app.add_exception_handler(SQLAlchemyError, _records_error)
    app.add_exception_handler(IdOfAnotherParty, _id_of_another_party)
    app.add_exception_handler(ErasureRefused, _erasure_refused)
    app.add_exception_handler(NotPermitted, _not_permitted)
    app.add_exception_handler(UnknownStaff, _unknown_staff)
    app.add_exception_handler(LetterNotFound, _letter_not_found)
    app.add_exception_handler(LetterRefused, _letter_refused)
