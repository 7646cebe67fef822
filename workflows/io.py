"""IO from a party's workflow that keeps its history bounded while the IO keeps failing.

A local activity runs inside a workflow task and adds nothing to the history
when it succeeds at once, which is why the party reads and writes its file
that way. Retried, it keeps the workflow task open, and the worker heartbeats
that task: about 23 events a minute were measured while the records database
was down, so a weekend's outage would take a party awake through it past the
server's limit of 51,200 events, where it is terminated. So each IO is tried
as a local activity for a bounded window, then, still failing, handed to an
ordinary activity: the server retries that one without adding an event until
it succeeds (scheduled now; started and completed when it does), however long
the outage.

Per party awake through an outage: at most about 20 events for the window
(a heartbeat's three events every 8 seconds, the default workflow task timeout's
80 %, for 30 s) and the handover, once per IO in flight, whatever the outage's
length; messages that arrive meanwhile add their own events as always.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar, overload

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, FailureError

A = TypeVar("A")
R = TypeVar("R")

# Long enough for a database failover or a restart to pass unnoticed.
LOCAL_WINDOW = timedelta(seconds=30)
# Attempts bound it too: a quickly failing attempt (a connection refused) was retried past
# the window's end on the dev server (seen here), while slow ones (SQLite's lock) were not.
LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10), maximum_attempts=5
)
# Unlimited attempts: the party's file must be written in the end. Quick at first, for a
# database that is only busy (SQLite's lock held by another writer), then once a minute:
# the work resumes within a minute of the database's return, and a thousand parties
# waiting through an outage cost the server about 17 attempts a second.
OUTAGE_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))


@overload
async def durable_io(
    method: Callable[[Any, A], Awaitable[R]], arg: A, *, summary: str, start_to_close: timedelta
) -> R: ...


@overload
async def durable_io(method: Callable[[Any, A], R], arg: A, *, summary: str, start_to_close: timedelta) -> R: ...


async def durable_io(method: Callable[[Any, A], Any], arg: A, *, summary: str, start_to_close: timedelta) -> Any:
    """Run an activity method: as a local activity within `LOCAL_WINDOW`, then as an ordinary one until it succeeds."""
    try:
        return await workflow.execute_local_activity_method(
            method,
            arg,
            start_to_close_timeout=start_to_close,
            schedule_to_close_timeout=LOCAL_WINDOW,
            retry_policy=LOCAL_RETRY,
            summary=summary,
        )
    except CancelledError:
        raise
    # A local activity's last failure reaches the workflow as itself (seen here: the activity's
    # ApplicationError, not an ActivityError wrapping it), or as a timeout.
    except FailureError:
        workflow.logger.warning("IO failed for %s; retrying it as an activity", LOCAL_WINDOW)
        return await workflow.execute_activity_method(
            method, arg, start_to_close_timeout=start_to_close, retry_policy=OUTAGE_RETRY, summary=summary
        )
