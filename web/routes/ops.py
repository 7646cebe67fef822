"""For operators and their tools: liveness, readiness and metrics. No sign-in: they
say nothing about any party (keep them off the public address all the same)."""

import asyncio
from collections.abc import Awaitable

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from settings import release
from web.deps import Door

router = APIRouter(tags=["ops"])

# A check that takes longer than this counts as a failure: a probe must answer quickly.
CHECK_TIMEOUT_SECONDS = 5.0


@router.get("/healthz", summary="The API answers (nothing behind it is checked)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Whether Temporal and the records database answer",
    responses={503: {"description": "Temporal or the records database does not answer; the body says which"}},
)
async def readyz(door: Door) -> JSONResponse:
    """`{"status": "ready", "temporal": "ok", "records": "ok", "release": "1.0.0"}`, or 503 naming what
    does not answer; the release says which code answers (during a rolling deploy, which API did)."""

    async def records() -> None:
        await run_in_threadpool(door.store.ping)

    checks = {
        "temporal": await _check(door.parties.check_health()),
        "records": await _check(records()),
    }
    ready = all(answer == "ok" for answer in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", **checks, "release": release()},
        status.HTTP_200_OK if ready else status.HTTP_503_SERVICE_UNAVAILABLE,
    )


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g} s"
    except SQLAlchemyError as err:
        # The driver's error names the problem; the statement (SELECT 1) adds nothing.
        cause = getattr(err, "orig", None) or err
        return f"unreachable ({type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''})"
    except Exception as err:  # any failure to answer is "not ready", said plainly
        return f"unreachable ({type(err).__name__}: {err})"
    return "ok"


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests, and the figures operators act on",
    # Prometheus's text format, as the OpenAPI document says.
    response_class=PlainTextResponse,
)
def metrics(request: Request) -> Response:
    # A plain `def`: counting reads the records database, so it runs in the thread pool.
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
