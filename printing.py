"""Letters and other documents to the party (R10; a subject access export), printed from the
body's templates as HTML and a tagged PDF/UA-1 (ISO 14289).

IO-free templating (Jinja2), printed by WeasyPrint: a public body's documents must be
accessible (the Public Sector Bodies Accessibility Regulations, the Equality Act), and
WeasyPrint is a maintained library that tags the PDF from the HTML itself (language, title,
headings, lists, reading order), so the document a screen reader reads is the page the body's
template lays out. It needs Pango (scripts/setup.sh installs it). Beside the layers, as
holiday_calendar is: the letters' activity (activities.letters) and the services that print
for a door (services.subject_access, services.corrections) share it.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from weasyprint import HTML

from policy.letters import LetterContent
from policy.vocabulary import LetterFormat
from settings import LetterSettings

# The default templates, installed with the letters' activity (docs/letters.md).
DEFAULT_TEMPLATES = Path(__file__).parent / "activities" / "letter_templates"
# Type sizes in points: R16's large print is at least 16pt; 18pt leaves room.
STANDARD_POINTS = 11
LARGE_PRINT_POINTS = 18


@dataclass(frozen=True)
class Block:
    """A piece of the letter: its title, a heading, a paragraph (lines) or a list (items)."""

    kind: str
    lines: list[str]


@dataclass(frozen=True)
class RenderedLetter:
    text: str
    html: str
    pdf: bytes

    @property
    def content_hash(self) -> str:
        """SHA-256 over the HTML and the PDF, as stored."""
        digest = hashlib.sha256(self.html.encode("utf-8"))
        digest.update(b"\0")
        digest.update(self.pdf)
        return digest.hexdigest()


def blocks_of(text: str) -> list[Block]:
    """Split the template's text into blocks (see letter_templates/letter.txt)."""
    blocks: list[Block] = []
    for chunk in text.split("\n\n"):
        lines = [line.rstrip() for line in chunk.strip("\n").splitlines() if line.strip()]
        if not lines:
            continue
        if len(lines) == 1 and lines[0].startswith("# "):
            blocks.append(Block("title", [lines[0][2:]]))
        elif len(lines) == 1 and lines[0].startswith("## "):
            blocks.append(Block("heading", [lines[0][3:]]))
        elif all(line.startswith("- ") for line in lines):
            blocks.append(Block("list", [line[2:] for line in lines]))
        else:
            blocks.append(Block("paragraph", lines))
    return blocks


class Printer:
    """Prints the body's documents to the party.

    Args:
        settings: The body's name, address, signature, and its own templates
            folder, which is searched before the default one.
    """

    def __init__(self, settings: LetterSettings) -> None:
        self._settings = settings
        folders = [settings.templates] if settings.templates is not None else []
        loader = ChoiceLoader([FileSystemLoader([*folders, DEFAULT_TEMPLATES])])
        # The words are plain text; the HTML template escapes them itself.
        self._text = Environment(loader=loader, undefined=StrictUndefined, keep_trailing_newline=True)
        self._html = Environment(loader=loader, undefined=StrictUndefined, autoescape=True)

    def render(self, letter: LetterContent) -> RenderedLetter:
        """The letter as plain text, HTML and PDF, in the format the party's adjustments ask for (R16)."""
        text = self._text.get_template("letter.txt").render(letter=letter, body=self._settings)
        html = self._html.get_template("letter.html").render(
            letter=letter,
            body=self._settings,
            blocks=blocks_of(text),
            created=letter.decided_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            points=LARGE_PRINT_POINTS if letter.format == LetterFormat.LARGE_PRINT else STANDARD_POINTS,
            plain_text=letter.format == LetterFormat.PLAIN_TEXT,
        )
        return RenderedLetter(text=text, html=html, pdf=self.pdf(html, letter.letter_id))

    def document(self, template: str, identity: str, **context: object) -> tuple[str, bytes]:
        """Another document to the party in the letters' hand (a subject access export): the body's
        template `template` (its own folder first) as HTML, and that HTML as a tagged PDF/UA-1."""
        html = self._html.get_template(template).render(body=self._settings, **context)
        return html, self.pdf(html, identity)

    def pdf(self, html: str, identity: str) -> bytes:
        """The HTML printed as PDF/UA-1. Deterministic, so the same letter hashes the same:
        its dates are the decision's (the template's dcterms meta), never the clock's, and
        its file identifier (the /ID print rooms and readers tell files apart by) comes
        from `identity`, the letter's id."""
        # A body's template finds its own files (a logo) beside it.
        folder = self._settings.templates or DEFAULT_TEMPLATES
        identifier = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32].encode("ascii")
        pdf = HTML(string=html, base_url=f"{folder}/").write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=identifier)
        assert pdf is not None  # with no target, write_pdf returns the bytes
        return pdf
