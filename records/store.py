"""The records database: every party's file (R3), the task list and the staff list."""

from records.contacts import ContactLog
from records.party_state import PartyStateLoader
from records.reads import FileReader
from records.task_list import TaskList
from records.writes import EffectWriter


class RecordStore(EffectWriter, PartyStateLoader, FileReader, TaskList, ContactLog):
    """The records database, one object for the activities, the doors and the tests.

    Args:
        engine: An engine from `records.db.make_engine` (SQLite or PostgreSQL).
    """
