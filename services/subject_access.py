"""Subject access (UK GDPR Art. 15) for every door (the HTTP API, the inbox, `ubp subject-access`):
a party's whole file as JSON, or as one readable document in HTML or tagged PDF (PDF/UA-1,
printed as the letters are: printing.Printer).

What goes in, and what is left out or redacted, is policy.subject_access's. Only the roles
the permission table gives EXPORT_SUBJECT_ACCESS may export; every export is logged in the
party's `file_read` log before it is handed back: who, when, through which door, which format
and how many of each kind of record it held, never what they say.
"""

from datetime import UTC, datetime
from enum import StrEnum

from policy.dates import written_date, written_day, written_time
from policy.fields import Door
from policy.permissions import Action
from policy.subject_access import StaffNames, SubjectAccessExport, cover_note, subject_access_export
from printing import Printer
from records.store import RecordStore
from services.acting import Principal, permit
from services.downloads import Download
from services.file_reads import log_read
from settings import Settings

TEMPLATE = "subject_access.html"


class ExportFormat(StrEnum):
    JSON = "json"
    HTML = "html"
    PDF = "pdf"


MEDIA_TYPES = {
    ExportFormat.JSON: "application/json",
    ExportFormat.HTML: "text/html; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}


class NoFile(LookupError):
    """The party has no file: nothing to export (404)."""


def export_contents(export: SubjectAccessExport) -> str:
    """What an export held, in words for its log line: counts only."""
    counts = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in export.counts().items())
    return f"{counts}; staff names: {export.staff_names.value}"


def _export(store: RecordStore, party_id: str, settings: Settings, reader: Principal) -> SubjectAccessExport:
    permit(reader, Action.EXPORT_SUBJECT_ACCESS)
    file = store.party_file(party_id)
    if file is None:
        raise NoFile(f"No party {party_id} is on file: there is nothing to export.")
    return subject_access_export(
        file,
        store.contacts(party_id),
        {s.staff_id: s.name for s in store.list_staff()},
        StaffNames(settings.subject_access_staff_names),
        datetime.now(UTC),
        settings.timezone,
    )


def subject_access_summary(
    store: RecordStore, party_id: str, settings: Settings, reader: Principal, door: Door
) -> SubjectAccessExport:
    """What an export of the party's file would hold, for a page to show before it is downloaded;
    the read logged as any read of a file is.

    Raises:
        NotPermitted: `reader` may not export (Art. 15).
        NoFile: The party has no file.
    """
    export = _export(store, party_id, settings, reader)
    log_read(store, reader, party_id, "subject access summary", door)
    return export


def subject_access(
    store: RecordStore, party_id: str, fmt: ExportFormat, settings: Settings, reader: Principal, door: Door
) -> Download:
    """The party's file as a subject access export in `fmt`, logged before it is handed back.

    Raises:
        NotPermitted: `reader` may not export (Art. 15).
        NoFile: The party has no file.
    """
    export = _export(store, party_id, settings, reader)
    if fmt == ExportFormat.JSON:
        content = export.model_dump_json(indent=2).encode("utf-8")
    else:
        html, pdf = Printer(settings.letters).document(
            TEMPLATE,
            f"subject-access:{party_id}:{export.produced_at.isoformat()}",
            export=export,
            cover=cover_note(export, settings.body_name),
            entries=export.entries(),
            written_date=lambda at: written_date(at, settings.timezone),
            written_time=lambda at: written_time(at, settings.timezone),
            written_day=written_day,
            created=export.produced_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        content = pdf if fmt == ExportFormat.PDF else html.encode("utf-8")
    log_read(store, reader, party_id, f"subject access export ({fmt.value}): {export_contents(export)}", door)
    day = export.produced_at.date().isoformat()
    return Download(f"subject-access-{party_id}-{day}.{fmt.value}", MEDIA_TYPES[fmt], content)
