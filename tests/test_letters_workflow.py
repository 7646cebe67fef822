"""R10 letters through the party workflow: made by an activity, once per decision."""

import asyncio
import io
from datetime import timedelta

from pypdf import PdfReader

from policy.letters import LetterKind
from printing import RenderedLetter
from records.store import RecordStore
from tests.helpers import incident, new_party, restriction, warning


async def _letters_settled(store: RecordStore, party_id: str, count: int, timeout: float = 20.0) -> list:
    """The party's letters once `count` are on file: the main loop makes them after the reply."""
    deadline = asyncio.get_running_loop().time() + timeout
    while len(store.letters(party_id)) < count:
        assert asyncio.get_running_loop().time() < deadline, f"letters on file: {store.letters(party_id)}"
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # and no more follow
    return store.letters(party_id)


async def test_r10_a_letter_is_made_once_for_a_decision_sent_three_times(time_skipping_env, parties, store):
    """R10, R5, R5a, R6: the warning and the restriction, each sent three times, make one letter each
    (and the repeat that holds the warning open one more),
    stored with its content hash and the time the workflow asked for it."""
    party = new_party()
    now = await time_skipping_env.get_current_time()
    first = incident(party, now - timedelta(days=2))
    await parties.report_incident(first)
    warn = warning(party, [first.incident_id], now - timedelta(days=2))
    for _ in range(3):
        await parties.issue_warning(warn)
    repeat = incident(party, now - timedelta(days=1))
    await parties.report_incident(repeat)
    restrict = restriction(party, [repeat.incident_id], now)
    for _ in range(3):
        await parties.apply_restriction(restrict)

    rows = await _letters_settled(store, party.party_id, 3)
    assert [(row.kind, row.subject_id) for row in rows] == [
        (LetterKind.WARNING.value, warn.warning_id),
        (LetterKind.WARNING_HELD_OPEN.value, warn.warning_id),  # R5a: the repeat held it open
        (LetterKind.RESTRICTION.value, restrict.restriction_id),
    ]
    for row in rows:
        assert row.content_hash == RenderedLetter(text="", html=row.html, pdf=row.pdf).content_hash
        assert row.produced_at >= now - timedelta(seconds=1) and row.sent_at is None
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(rows[2].pdf)).pages)
    assert "The abuse continued while a warning was in place." in text
    assert "Contact only with your named caseworker, by email." in text
