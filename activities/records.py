"""Activities that write and read the party's file (R3).

Plain `def`s: they block on the database and run in the worker's thread
pool. The workflow calls `write_effects` as a local activity.
"""

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.database import retryable_database_errors
from policy.effects import EffectBatch
from policy.payloads import IncidentLookup, LoadPartyInput, RecalledIncidents
from policy.state import PartyState
from records.store import RecordStore

# The failure type while an erasure holds the file (records.retention.hold_file).
FILE_ON_HOLD = "FileOnHold"


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
        with retryable_database_errors():
            return self._store.apply(batch)

    @activity.defn(name="load_party_state")
    def load_party_state(self, inp: LoadPartyInput) -> PartyState | None:
        """Rebuild the party's state from its file, for a new workflow run.

        Args:
            inp: The party and the body's time zone.

        Returns:
            The state, or None if the party has no file yet.

        Raises:
            ApplicationError: Retryable, if the database fails, or while an erasure holds the
                file (R3): the run reads it once the erasure is done, so it never starts from
                a file about to go (the workflow retries its IO without end: workflows.io).
        """
        with retryable_database_errors():
            if self._store.file_on_hold(inp.party.party_id):
                raise ApplicationError(
                    "the party's file is being erased (R3): it is read once the erasure is done",
                    type=FILE_ON_HOLD,
                    non_retryable=False,
                )
            return self._store.load_party_state(inp.party, inp.timezone)

    @activity.defn(name="recall_incidents")
    def recall_incidents(self, lookup: IncidentLookup) -> RecalledIncidents:
        """Read back incidents a run does not carry: the file says whether each is known.

        Args:
            lookup: The party and the incident ids a message names.

        Returns:
            A brief of each one on file; an id not on file is left out.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        with retryable_database_errors():
            return RecalledIncidents(
                briefs=self._store.incident_briefs(lookup.party_id, lookup.incident_ids, lookup.received_before)
            )
