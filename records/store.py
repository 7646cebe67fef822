"""The records database: every party's file (R3), the task list, the staff list, the notice
queue, the decode audit log, the contact log, the register of case systems' ids, the import ledger,
the letters (R10), a party's timeline, the log of reads of a party's file, the operators' figures,
the board report's counts (R10a), retention and erasure (R3), corrections and disputes (Art. 16),
and the register of markers in force, who works each task, and the parties list."""

from records.audit import DecodeAudit
from records.board import BoardFigures
from records.contacts import ContactLog
from records.corrections import CorrectionFile
from records.figures import OperationalFigures
from records.file_reads import FileReadLog
from records.imports import ImportLedger
from records.letters import LetterFile
from records.markers import MarkerRegister
from records.message_ids import MessageIdRegister
from records.notices import NoticeQueue
from records.party_list import PartyList
from records.party_state import PartyStateLoader
from records.reads import FileReader
from records.retention import RetentionFile
from records.task_claims import TaskClaims
from records.task_list import TaskList
from records.timeline import PartyFileReader


class RecordStore(
    ImportLedger,
    LetterFile,
    RetentionFile,
    PartyStateLoader,
    FileReader,
    PartyFileReader,
    TaskList,
    TaskClaims,
    PartyList,
    NoticeQueue,
    DecodeAudit,
    ContactLog,
    MessageIdRegister,
    FileReadLog,
    OperationalFigures,
    BoardFigures,
    CorrectionFile,
    MarkerRegister,
):
    """The records database, one object for the activities, the doors and the tests.

    Args:
        engine: An engine from `records.db.make_engine` (SQLite or PostgreSQL).
    """
