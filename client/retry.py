"""Sending again when the Temporal server pushes back on a busy workflow."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from temporalio.service import RPCError, RPCStatusCode

T = TypeVar("T")
BUSY_RETRIES = 20  # about 15 s of back-off: longer means the server is down, not busy
BUSY_STATUSES = frozenset(
    {RPCStatusCode.RESOURCE_EXHAUSTED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.FAILED_PRECONDITION}
)


async def retry_busy(call: Callable[[], Awaitable[T]], attempts: int = BUSY_RETRIES) -> T:
    """Call, and call again with back-off while the server pushes back.

    A message that meets continue-as-new ("workflow is closing", "update was
    aborted", "workflow not ready") or the per-workflow limit of in-flight
    updates was not applied, and applies cleanly when sent again.

    Raises:
        RPCError: Any other error at once; a push-back after `attempts` calls.
    """
    delay = 0.05
    for _ in range(attempts - 1):
        try:
            return await call()
        except RPCError as err:
            if err.status not in BUSY_STATUSES:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 1.0)
    return await call()
