"""The records database: every party's file (R3), the task list, the staff list, the notice queue, the
operators' figures, and retention and erasure (R3)."""

from records.figures import OperationalFigures
from records.notices import NoticeQueue
from records.party_state import PartyStateLoader
from records.reads import FileReader
from records.retention import RetentionFile
from records.task_list import TaskList
from records.writes import EffectWriter


class RecordStore(EffectWriter, RetentionFile, PartyStateLoader, FileReader, TaskList, NoticeQueue, OperationalFigures):
    """The records database, one object for the activities, the doors and the tests.

    Args:
        engine: An engine from `records.db.make_engine` (SQLite or PostgreSQL).
    """
