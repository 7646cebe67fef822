"""Activities that write and read the party's file (R3).

Plain `def`s: they block on the database and run in the worker's thread
pool. The workflow calls `write_effects` as a local activity.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from policy.effects import EffectBatch
from policy.payloads import LoadPartyInput
from policy.state import PartyState
from records.store import RecordStore

DATABASE_ERROR = "RecordsDatabaseError"


class RecordActivities:
    """The records activities, bound to one records database.

    Args:
        store: The records database the worker writes to.
    """

    def __init__(self, store: RecordStore) -> None:
        self._store = store

    @activity.defn(name="write_effects")
    def write_effects(self, batch: EffectBatch) -> int:
        """Write a batch of the rules' effects to the party's file, idempotently.

        Args:
            batch: The effects, in the order the rules produced them.

        Returns:
            The number of effects written.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with _retryable_database_errors():
            return self._store.apply(batch)

    @activity.defn(name="load_party_state")
    def load_party_state(self, inp: LoadPartyInput) -> PartyState | None:
        """Rebuild the party's state from its file, for a new workflow run.

        Args:
            inp: The party and the body's time zone.

        Returns:
            The state, or None if the party has no file yet.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with _retryable_database_errors():
            return self._store.load_party_state(inp.party, inp.timezone)


@contextmanager
def _retryable_database_errors() -> Iterator[None]:
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
