"""R10: letters to the party, printed from the body's templates as HTML and a tagged PDF/UA-1
(printing.Printer) and kept on the party's file. In an activity because the result is stored:
the workflow only says which letter is due and what it says (policy.letters).
"""

import logging

from temporalio import activity

from activities.database import retryable_database_errors
from policy.letters import LetterContent
from policy.payloads import LetterMade, LetterRequest
from printing import Printer, RenderedLetter
from records.store import RecordStore
from settings import LetterSettings

log = logging.getLogger(__name__)


class LetterActivities:
    """Makes and keeps the party's letters.

    Args:
        store: The records database the letters are kept in.
        settings: The body's name, address, signature, and its own templates
            folder, which is searched before the default one.
    """

    def __init__(self, store: RecordStore, settings: LetterSettings) -> None:
        self._store = store
        self._printer = Printer(settings)

    def render(self, letter: LetterContent) -> RenderedLetter:
        """The letter as plain text, HTML and PDF, in the format the party's adjustments ask for (R16)."""
        return self._printer.render(letter)

    @activity.defn(name="make_letter")
    def make_letter(self, request: LetterRequest) -> LetterMade:
        """Render a letter and keep it on the party's file, once per letter id.

        Args:
            request: What the letter says, and when the workflow asked for it.

        Returns:
            Its id and content hash; `stored` False if it was on file already.

        Raises:
            ApplicationError: Retryable, if the database fails.
        """
        letter = request.letter
        with retryable_database_errors():
            existing = self._store.letter(letter.letter_id)
            if existing is not None:
                return LetterMade(letter_id=letter.letter_id, content_hash=existing.content_hash, stored=False)
            rendered = self.render(letter)
            stored = self._store.store_letter(
                letter, request.requested_at, rendered.html, rendered.pdf, rendered.content_hash
            )
        # Ids and kinds only: the letter's words are personal data.
        log.info("letter %s (%s) %s", letter.letter_id, letter.kind.value, "made" if stored else "was on file")
        return LetterMade(letter_id=letter.letter_id, content_hash=rendered.content_hash, stored=stored)
