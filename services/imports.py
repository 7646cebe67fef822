"""`ubp import`: adopting parties, with their history, from another case system.

The file is JSON Lines: one record per line (`policy.imports.ImportLine`,
tagged by `record`: incident, ask, warning, restriction, approval,
closed_case), a party's lines anywhere in the file. Each party is imported
whole or not at all:

1. every line is validated; a line that fails refuses its party (found by
   its `party_id`, or `party.party_id`, even when the rest is malformed);
2. the party's lines are replayed through the rules (`policy.imports`);
3. its file and its row in the import ledger are written in one transaction;
4. if anything is live, its workflow is started, and reads that file.

The ledger makes a re-run import nothing twice and finish what a crash left
(a party on file whose workflow was not yet started). A party that already
has a file of its own is refused: an import never merges into a record.
"""

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, TypeAdapter, ValidationError

from client.parties import PartyClient
from policy.effects import EffectBatch
from policy.imports import ImportLine, PartyImportRefused, profile_of, replay_party
from policy.messages import PartyRef
from records.store import RecordStore
from records.tables import ImportedPartyRow

# Parties in flight at once: the records database takes one writer at a time
# anyway; this keeps workflow starts overlapping with the writes.
CONCURRENCY = 16

_LINE: TypeAdapter[ImportLine] = TypeAdapter(ImportLine)


class LineStatus(StrEnum):
    IMPORTED = "imported"
    ALREADY_IMPORTED = "already_imported"  # by an earlier run: nothing is done again
    REFUSED = "refused"  # this line is why its party was not imported
    NOT_IMPORTED = "not_imported"  # another line of its party was refused


class LineReport(BaseModel):
    """What became of one line of the file."""

    line: int
    party_id: str | None
    status: LineStatus
    reason: str = ""


class ImportReport(BaseModel):
    """A run's report: every line, and the counts by party."""

    lines: list[LineReport]
    parties_imported: int = 0
    parties_already_imported: int = 0
    parties_refused: int = 0
    workflows_started: int = 0


@dataclass
class PartyLines:
    """One party's lines: those that are valid, and why the others are not."""

    party_id: str
    lines: list[tuple[int, ImportLine]] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    invalid: dict[int, str] = field(default_factory=dict)

    @property
    def numbers(self) -> list[int]:
        return sorted([n for n, _ in self.lines] + list(self.invalid))

    @property
    def digest(self) -> str:
        """The party's lines, in any order: the same party from other lines is refused."""
        return hashlib.sha256("\n".join(sorted(self.raw)).encode()).hexdigest()


def read_lines(text_lines: Iterable[str]) -> tuple[dict[str, PartyLines], list[LineReport]]:
    """Validate every line and group them by party.

    Returns:
        The parties, and the reports of the lines that belong to no party
        (not JSON, or with no party id).
    """
    parties: dict[str, PartyLines] = {}
    orphans: list[LineReport] = []
    for number, text in enumerate(text_lines, start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except ValueError as err:
            orphans.append(LineReport(line=number, party_id=None, status=LineStatus.REFUSED, reason=f"not JSON: {err}"))
            continue
        party_id = _party_id_in(data)
        if party_id is None:
            reason = "no party_id (or party.party_id) in the line"
            orphans.append(LineReport(line=number, party_id=None, status=LineStatus.REFUSED, reason=reason))
            continue
        party = parties.setdefault(party_id, PartyLines(party_id))
        party.raw.append(text.strip())
        try:
            party.lines.append((number, _LINE.validate_python(data)))
        except ValidationError as err:
            party.invalid[number] = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in err.errors()
            )
    return parties, orphans


def _party_id_in(data: object) -> str | None:
    if not isinstance(data, dict):
        return None
    party = data.get("party")
    value = party.get("party_id") if isinstance(party, dict) else data.get("party_id")
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class _Outcome:
    reports: list[LineReport]
    started: bool = False


async def import_parties(
    parties: PartyClient,
    store: RecordStore,
    grouped: dict[str, PartyLines],
    *,
    by: str | None = None,
    now: datetime | None = None,
    on_party: Callable[[], None] | None = None,
) -> ImportReport:
    """Import each party whole or not at all, `CONCURRENCY` at a time.

    Args:
        parties: Starts the workflows of the parties with something live.
        store: The records database: the parties' files and the import ledger.
        grouped: The parties and their lines, from `read_lines`.
        by: Who signed in to import them (the caller checked the permission table), for the ledger.
        now: The time of the import (default now): deadlines before it have passed.
        on_party: Called as each party is done (a progress bar).

    Returns:
        A report per line, with the counts.
    """
    at = now or datetime.now(UTC)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(party: PartyLines) -> _Outcome:
        async with slots:
            outcome = await _import_party(parties, store, party, at, by)
        if on_party is not None:
            on_party()
        return outcome

    outcomes = await asyncio.gather(*(one(p) for p in grouped.values()))
    statuses = [{r.status for r in o.reports} for o in outcomes]
    return ImportReport(
        lines=sorted((r for o in outcomes for r in o.reports), key=lambda r: r.line),
        parties_imported=sum(1 for s in statuses if s == {LineStatus.IMPORTED}),
        parties_already_imported=sum(1 for s in statuses if s == {LineStatus.ALREADY_IMPORTED}),
        parties_refused=sum(1 for s in statuses if LineStatus.REFUSED in s),
        workflows_started=sum(1 for o in outcomes if o.started),
    )


async def _import_party(
    parties: PartyClient, store: RecordStore, party: PartyLines, now: datetime, by: str | None
) -> _Outcome:
    def every_line(status: LineStatus, reason: str = "") -> list[LineReport]:
        return [LineReport(line=n, party_id=party.party_id, status=status, reason=reason) for n in party.numbers]

    def refused(why: dict[int, str]) -> _Outcome:
        others = f"line {min(why)} of the same party was refused"
        return _Outcome(
            [
                LineReport(
                    line=n,
                    party_id=party.party_id,
                    status=LineStatus.REFUSED if n in why else LineStatus.NOT_IMPORTED,
                    reason=why.get(n, others),
                )
                for n in party.numbers
            ]
        )

    if party.invalid:
        return refused(party.invalid)
    digest = party.digest
    ledger = await asyncio.to_thread(store.imported_party, party.party_id)
    if ledger is not None:
        if ledger.digest != digest:
            return _Outcome(every_line(LineStatus.REFUSED, "imported before from other lines: an import never merges"))
        if ledger.live and ledger.workflow_started_at is None:
            # An earlier run wrote the file and stopped before starting the workflow.
            await _start(parties, store, profile_of([line for _, line in party.lines], party.party_id), now)
            return _Outcome(every_line(LineStatus.IMPORTED, "its file was written by an earlier run"), started=True)
        return _Outcome(every_line(LineStatus.ALREADY_IMPORTED))
    if await asyncio.to_thread(store.party, party.party_id) is not None:
        return _Outcome(every_line(LineStatus.REFUSED, "the party already has a file here: an import never merges"))
    try:
        replayed = replay_party(party.lines, now, parties.timezone, party.party_id)
    except PartyImportRefused as refusal:
        return refused({refusal.line_number: refusal.reason})
    ledger = ImportedPartyRow(
        party_id=party.party_id,
        digest=digest,
        lines=len(party.numbers),
        imported_at=now,
        live=replayed.live,
        imported_by=by,
    )
    batch = EffectBatch(party_id=party.party_id, effects=replayed.effects)
    if not await asyncio.to_thread(store.import_party, batch, ledger):
        return _Outcome(every_line(LineStatus.ALREADY_IMPORTED))
    if replayed.live:
        await _start(parties, store, replayed.party, now)
    return _Outcome(every_line(LineStatus.IMPORTED), started=replayed.live)


async def _start(parties: PartyClient, store: RecordStore, party: PartyRef, now: datetime) -> None:
    await parties.adopt(party)
    await asyncio.to_thread(store.mark_workflow_started, party.party_id, now)
