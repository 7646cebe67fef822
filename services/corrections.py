"""Corrections and disputes (UK GDPR Art. 16) for every door: added beside the record they are about,
which is kept as it was (policy.corrections).

Not through the party's workflow: the rules never act on a correction, and the file's
records stay what the rules acted on, so it is written here, as the contact gate writes
its log, by whoever the permission table allows (RECORD_CORRECTION, RECORD_DISPUTE), who
acted taken from the signed-in principal.
"""

from datetime import UTC, datetime

from pydantic import Field

from policy.corrections import (
    ANNEX_ACTION,
    AnnexKind,
    CorrectionEntry,
    CorrectionForm,
    annex_letter,
    annex_letter_id,
    check_about,
)
from policy.fields import Door
from policy.refusals import PolicyRefusal
from printing import Printer
from records.store import RecordStore
from services.acting import Principal, authorise
from services.message_ids import RULE as IDS_PER_PARTY
from services.subject_access import NoFile
from settings import Settings


class CorrectionAdded(CorrectionEntry):
    duplicate: bool = Field(description="true: the id was recorded before, and that correction stands")


def add_correction(
    store: RecordStore,
    party_id: str,
    kind: AnnexKind,
    form: CorrectionForm,
    settings: Settings,
    principal: Principal,
    door: Door,
) -> CorrectionAdded:
    """Add a correction, or the person's statement disputing a record, to the party's file; put it on
    a letter to the person if the form asks (kept with their letters, to send as any other).

    Args:
        settings: The body's letters (its name, templates) and time zone.
        principal: Who signed in, and so who adds it: a member of staff (a case system, which acts
            for itself, may not; the permission table gives it neither action).

    Raises:
        NotPermitted: (403) The principal may not add this kind.
        NoFile: (404) The party has no file.
        PolicyRefusal: (409) No such record is on the party's file.
    """
    acting = authorise(store, principal, ANNEX_ACTION[kind], door)
    file = store.party_file(party_id)
    if file is None:
        raise NoFile(f"No party {party_id} is on file.")
    check_about(file, form)
    entry = CorrectionEntry(
        **form.model_dump(exclude={"letter"}),
        kind=kind,
        letter_id=annex_letter_id(form, kind),
        recorded_at=datetime.now(UTC),
        recorded_by=acting.actor,
        role=acting.role,
        via=acting.via,
        door=door,
    )
    stored, owner, added = store.add_correction(party_id, entry)
    if owner != party_id:
        # As services.message_ids refuses a case system's id on file for another party, naming neither.
        raise PolicyRefusal(IDS_PER_PARTY, f"correction id {form.correction_id!r} is already on file; choose a new one")
    # Kept once per letter id: a correction sent again, after a lost answer, makes its letter if it was not.
    if stored.letter_id is not None and store.letter(stored.letter_id) is None:
        letter = annex_letter(file, stored, settings.timezone)
        printed = Printer(settings.letters).render(letter)
        store.store_letter(letter, stored.recorded_at, printed.html, printed.pdf, printed.content_hash)
    return CorrectionAdded(**stored.model_dump(), duplicate=not added)
