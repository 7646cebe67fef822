"""What every `ubp` command shares: options, validation at the edge, the HTTP API signed in
with a token, the records database.

Every command that acts on, or reads, a party's file goes through the HTTP API,
signed in with a bearer token (UBP_TOKEN, or --token-file): the API finds who
acts from the token and the permission table (services.acting), as it does for
a case system, and the door seals the message. Nothing on the command line says
who acts, but a case system's --for, which the API checks against its account.
The administrative commands (the records database, the keys, the schedules)
run on this machine and say so in their help.
"""

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar
from urllib.parse import quote

import httpx
import typer
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError

from client.connection import connect
from client.parties import PartyClient
from policy.authority import ACTOR_FIELD
from policy.permissions import Action, NotPermitted
from records.db import make_engine
from records.schema import SchemaNotCurrent, require_current_schema
from records.store import RecordStore
from services.acting import Principal, permit, principal_for
from services.staff import NotSignedIn
from settings import get_settings

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

Party = Annotated[str, typer.Option("--party", help="the case system's party id")]
Incidents = Annotated[list[str], typer.Option("--incident", help="incident id (repeatable)")]
At = Annotated[
    str | None, typer.Option("--at", help="ISO 8601 with offset, e.g. 2026-11-20T10:30:00+00:00; default now")
]
TokenFile = Annotated[
    Path | None,
    typer.Option("--token-file", help="a file holding your bearer token; default the UBP_TOKEN environment variable"),
]
For = Annotated[
    str | None,
    typer.Option(
        "--for",
        help="with a case system's token: the staff id of the member of staff it acts for (its account must allow it)",
    ),
]

SIGN_IN = "sign in: set UBP_TOKEN (a token from `ubp staff token STAFF_ID`)"
# Stands for who acts while a message is checked here; never sent: the API records the signed-in principal.
SIGNED_IN = "signed-in"
# Decisions and erasures wait for their workflow: give them time before calling the API gone.
TIMEOUT = httpx.Timeout(120.0, connect=10.0)


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


def body(model: type[M], acting_for: str | None, **fields: object) -> dict[str, Any]:
    """A message checked here (`build`), as the JSON body the API takes: who acts left out,
    for the API fills it from the token, unless `--for` names whom a case system acts for."""
    actor = ACTOR_FIELD[model]
    message = build(model, **fields, **{actor: acting_for or SIGNED_IN})
    leave_out = {"authority"} if acting_for else {"authority", actor}
    return message.model_dump(mode="json", exclude_none=True, exclude=leave_out)


def segment(value: str) -> str:
    """One segment of a URL's path: a letter id holds colons, any id may hold a slash."""
    return quote(value, safe="")


def _token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as err:
            fail(f"--token-file {token_file}: {err.strerror}", 2)
        if not token:
            fail(f"--token-file {token_file} is empty; {SIGN_IN}", 2)
        return token
    secret = get_settings().token
    if secret is None or not secret.get_secret_value().strip():
        fail(SIGN_IN, 1)
    return secret.get_secret_value().strip()


def api(
    method: str,
    path: str,
    *,
    token_file: Path | None,
    json: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Call the HTTP API (UBP_API_URL) signed in with the token; its refusals become clear exits:
    not signed in, not permitted (the rule named) and policy refusals exit 1, a malformed
    request 2, naming each field."""
    token = _token(token_file)
    base = get_settings().api_base()
    try:
        with httpx.Client(base_url=base, timeout=TIMEOUT) as client:
            response = client.request(
                method,
                path,
                json=json,
                params=params,
                headers={"Authorization": f"Bearer {token}", **(headers or {})},
            )
    except httpx.ConnectError:
        fail(
            f"no HTTP API at {base}: start it with `ubp api` (or scripts/run.sh), or set UBP_API_URL to where it runs",
            1,
        )
    except httpx.TimeoutException:
        fail(f"the HTTP API at {base} did not answer in time; retrying with the same id is safe", 1)
    except httpx.HTTPError as err:
        fail(f"the HTTP API at {base}: {err}", 1)
    if response.is_success:
        return response
    _refused(response)


def _refused(response: httpx.Response) -> NoReturn:
    try:
        answer = response.json()
    except ValueError:
        answer = {"detail": response.text[:500]}
    detail = answer.get("detail", answer) if isinstance(answer, dict) else answer
    status = response.status_code
    if status == httpx.codes.UNAUTHORIZED:
        fail(f"{SIGN_IN}: {detail}", 1)
    if status == httpx.codes.FORBIDDEN:
        rule = answer.get("rule") if isinstance(answer, dict) else None
        named = detail if not rule or str(detail).startswith(str(rule)) else f"{rule}: {detail}"
        fail(f"not permitted: {named}", 1)
    if status == httpx.codes.CONFLICT:
        fail(f"refused: {detail}", 1)
    if status in (httpx.codes.BAD_REQUEST, httpx.codes.UNPROCESSABLE_ENTITY) and isinstance(detail, list):
        problems = "\n".join(
            f"  {'.'.join(str(p) for p in problem.get('loc', [])[1:]) or 'request'}: {problem.get('msg')}"
            for problem in detail
        )
        fail(f"invalid request:\n{problems}", 2)
    if status in (httpx.codes.BAD_REQUEST, httpx.codes.UNPROCESSABLE_ENTITY):
        fail(f"invalid request: {detail}", 2)
    fail(f"{detail}" if status == httpx.codes.NOT_FOUND else f"the HTTP API answered {status}: {detail}", 1)


def signed_in(store: RecordStore, token_file: Path | None, action: Action) -> Principal:
    """Who the token signs in as, checked here against the records database, and allowed
    `action` by the permission table: for the commands that need the database anyway
    (`ubp import`, `ubp retention apply`).

    Exits 1 when there is no token, an unknown or inactive one, or the table refuses them.
    """
    try:
        principal = principal_for(store, _token(token_file))
    except NotSignedIn as err:
        fail(f"{SIGN_IN}: {err}", 1)
    try:
        permit(principal, action)
    except NotPermitted as err:
        fail(f"not permitted: {err}", 1)
    return principal


def echo_json(response: httpx.Response) -> None:
    """Print the API's answer as indented JSON."""
    typer.echo(json.dumps(response.json(), indent=2, ensure_ascii=False))


async def party_client() -> PartyClient:
    """A client that starts parties' workflows but cannot change a party (no door key)."""
    settings = get_settings()
    return PartyClient.of(await connect(settings), settings)


def run(call: Callable[[PartyClient], Awaitable[T]]) -> T:
    """Connect to Temporal, make the call and return its answer; Temporal's refusals become exit code 1."""

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
