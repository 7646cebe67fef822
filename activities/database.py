"""How the activities fail when the records database does."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

DATABASE_ERROR = "RecordsDatabaseError"


@contextmanager
def retryable_database_errors() -> Iterator[None]:
    """Turn database errors into short, explicitly retryable failures.

    The database may be down for a while and the workflow retries forever, so
    nothing here may be non-retryable. SQLAlchemy's own message carries the
    whole statement; the failure keeps the driver's message only, since it is
    stored in the workflow's history.
    """
    try:
        yield
    except SQLAlchemyError as err:
        cause = getattr(err, "orig", None) or err
        activity.logger.warning("records database error, will retry: %s", err)
        raise ApplicationError(
            f"records database error ({type(cause).__name__}): {str(cause)[:1000]}",
            type=DATABASE_ERROR,
            non_retryable=False,
        ) from err
