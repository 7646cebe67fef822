"""What every `ubp` command shares: options, validation at the edge, sending, the records database."""

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, NoReturn, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError

from client.connection import connect
from client.parties import PartyClient
from records.db import make_engine
from records.schema import SchemaNotCurrent, require_current_schema
from records.store import RecordStore
from settings import get_settings

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

Party = Annotated[str, typer.Option("--party", help="the case system's party id")]
Incidents = Annotated[list[str], typer.Option("--incident", help="incident id (repeatable)")]
By = Annotated[str, typer.Option("--by", help="staff id of the colleague")]
At = Annotated[
    str | None, typer.Option("--at", help="ISO 8601 with offset, e.g. 2026-11-20T10:30:00+00:00; default now")
]


def fail(message: str, code: int) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def build(model: type[M], **fields: object) -> M:
    """Validate a message here, so a mistake is named before anything is sent."""
    try:
        return model.model_validate(fields)
    except ValidationError as err:
        problems = "\n".join(f"  {'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}" for e in err.errors())
        fail(f"invalid {model.__name__}:\n{problems}", 2)


async def party_client() -> PartyClient:
    settings = get_settings()
    return PartyClient(await connect(settings), settings.task_queue, settings.timezone)


def send(call: Callable[[PartyClient], Awaitable[BaseModel | None]]) -> None:
    """Connect, make the call, print its answer as JSON; Temporal's refusals become exit code 1."""
    result = run(call)
    if result is not None:
        typer.echo(result.model_dump_json(indent=2))


def run(call: Callable[[PartyClient], Awaitable[T]]) -> T:
    """Connect, make the call and return its answer; Temporal's refusals become exit code 1."""

    async def go() -> T:
        return await call(await party_client())

    try:
        return asyncio.run(go())
    except WorkflowUpdateFailedError as err:
        fail(f"refused: {err.cause.message if isinstance(err.cause, FailureError) else err}", 1)
    except WorkflowQueryFailedError as err:
        fail(f"query failed: {err}", 1)
    except RPCError as err:
        fail(f"Temporal: {err.message}", 1)
    except RuntimeError as err:
        fail(str(err), 1)


def at_or_now(value: str | None) -> str:
    return value or datetime.now(UTC).isoformat()


def instant(value: str, option: str) -> datetime:
    """An ISO 8601 instant with its offset, from a command-line option."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: not an ISO 8601 date-time: {value!r}", 2)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        fail(f"{option}: include a time zone offset, e.g. 2026-12-24T17:00:00+00:00", 2)
    return parsed.astimezone(UTC)


@contextmanager
def records() -> Iterator[RecordStore]:
    """The records database in the settings (DATABASE_URL), at this code's schema revision."""
    engine = make_engine(get_settings().database_url)
    try:
        require_current_schema(engine)
        yield RecordStore(engine)
    except SchemaNotCurrent as err:
        fail(str(err), 1)
    except SQLAlchemyError as err:
        fail(f"records database: {type(getattr(err, 'orig', None) or err).__name__}: {getattr(err, 'orig', err)}", 1)
    finally:
        engine.dispose()
