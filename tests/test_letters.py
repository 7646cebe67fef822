"""R10 letters: which decision needs one, what it says, read back from its PDF.

Pure rules and the rendering activity's class, without Temporal; the
workflow's part (a letter made once per decision) is in test_letters_workflow.py.
"""

import hashlib
import io
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pikepdf
import pytest
from pypdf import PdfReader

from activities.letters import LetterActivities
from policy import decisions, letters
from policy.dates import written_date
from policy.effects import Effect
from policy.letters import LetterContent, LetterKind
from policy.messages import AdjustmentDecision, AdjustmentRequest, AdviceRequest
from policy.vocabulary import Category, LetterFormat, Measure, Role, TaskOutcome
from printing import LARGE_PRINT_POINTS, STANDARD_POINTS
from settings import Settings
from tests.policy_builders import CODE_FOR, PARTY_ID, Party, incident, restriction, task_decision, utc, warning

T0 = utc(2027, 1, 4, 10)


class Letters:
    """A party driven as the workflow drives it, keeping the letters each step makes due."""

    def __init__(self) -> None:
        self.party = Party()
        self.made: list[LetterContent] = []

    def due(self, effects: list[Effect]) -> list[LetterContent]:
        new = letters.letters_due(self.party.state, effects)
        self.made += new
        return new

    def of(self, kind: LetterKind) -> LetterContent:
        return next(letter for letter in self.made if letter.kind == kind)


def _pdf_text(pdf: bytes) -> str:
    # Lines wrap where the page does: compare words, not line breaks.
    return " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _type_sizes(pdf: bytes) -> Counter[float]:
    """Characters by the type size they are set in, in points (the font's size scaled
    by the text and page matrices: WeasyPrint draws in CSS pixels, 0.75 pt each)."""
    sizes: Counter[float] = Counter()

    def count(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes[round(abs(size * tm[3] * cm[3]), 1)] += len(text.strip())

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=count)
    return sizes


def _body_type_size(pdf: bytes) -> float:
    """The type size most of the text is set in."""
    return _type_sizes(pdf).most_common(1)[0][0]


@pytest.fixture
def renderer() -> LetterActivities:
    return LetterActivities(None, Settings().letters)  # type: ignore[arg-type]  # render() needs no store


@pytest.fixture
def restricted() -> Iterator[Letters]:
    """Warned (R5), restricted (R6), end moved (R12), stepped up (R11), expired, re-applied (R13)."""
    run = Letters()
    p = run.party
    run.due(p.incident(incident("i1", T0), T0)[1])
    run.due(p.warn(warning("w1", ["i1"], T0 + timedelta(days=1)), T0 + timedelta(days=1)))
    t2 = T0 + timedelta(days=10)
    run.due(p.incident(incident("i2", t2), t2)[1])
    run.due(p.restrict(restriction("r1", ["i2"], t2), t2))
    t3 = T0 + timedelta(days=20)
    run.due(p.incident(incident("i3", t3), t3)[1])
    run.due(
        p.restrict(
            restriction("r2", ["i3"], t3, measures=[Measure.SINGLE_CONTACT_CHANNEL], replaces="r1"),
            t3,
        )
    )
    later = T0 + timedelta(days=230)
    run.due(p.advance(later))
    t4 = later + timedelta(days=10)
    run.due(p.incident(incident("i4", t4), t4)[1])
    run.due(p.restrict(restriction("r3", ["i4"], t4), t4))
    yield run


def test_r10_each_decision_on_warnings_and_restrictions_is_written_up_once(restricted):
    """R10, R5, R6, R11, R12, R13: one letter per decision, in order; a re-saved entry makes none."""
    kinds = [letter.kind for letter in restricted.made]
    assert kinds == [
        LetterKind.WARNING,
        LetterKind.WARNING_HELD_OPEN,  # i2 repeated the behaviour while the warning was live
        LetterKind.RESTRICTION,
        LetterKind.END_MOVED,
        LetterKind.STEPPED_UP,
        LetterKind.EXPIRED,
        LetterKind.REAPPLIED,
    ]
    assert len({letter.letter_id for letter in restricted.made}) == len(kinds)
    # Running the same effects through again finds nothing new.
    state = restricted.party.state
    assert letters.letters_due(state, restricted.party.advance(T0 + timedelta(days=231))) == []


def test_r10_r14_every_restriction_letter_read_back_from_its_pdf(restricted, renderer):
    """R10: reasons, measures in words, arrangements and London dates are in the PDF; R14: final."""
    for letter in restricted.made:
        text = _pdf_text(renderer.render(letter).pdf)
        assert letter.title in text
        assert letter.date_written in text
        assert " ".join(letter.reasons.split()) in text
        for day in letter.dates:
            assert f"{day.label}: {day.written}" in text
        if letter.kind in (LetterKind.WARNING, LetterKind.WARNING_HELD_OPEN):
            assert "Abusive language continued" in text or "happened again" in text
            assert "no right of appeal" not in text
            continue
        assert "Contact only through the named caseworker." in text  # the arrangements
        assert "This decision is final. There is no right of appeal" in text
        assert letter.measures and all(" ".join(m.split()) in text for m in letter.measures)
    r2 = restricted.party.state.restriction("r2")
    stepped = _pdf_text(renderer.render(restricted.of(LetterKind.STEPPED_UP)).pdf)
    assert "You may contact us in one way only." in stepped
    assert f"Restrictions last until: {written_date(r2.ends_at)}" in stepped
    moved = _pdf_text(renderer.render(restricted.of(LetterKind.END_MOVED)).pdf)
    assert f"Last instance of the behaviour: {written_date(T0 + timedelta(days=20))}" in moved


def test_r10_dates_are_london_dates():
    """Dates: 23:30 UTC on 30 June is 1 July in London, and the letter says so."""
    run = Letters()
    late = utc(2027, 6, 30, 23, 30)
    run.due(run.party.incident(incident("i1", late), late)[1])
    run.due(run.party.warn(warning("w1", ["i1"], late), late))
    assert run.of(LetterKind.WARNING).date_written == "1 July 2027"


def test_r5a_r10_a_repeat_that_holds_the_warning_open_is_written_up_once_per_new_expiry(renderer):
    """R5a, R10: the party was told the warning lasts six months; each repeat that moves
    its expiry gets a letter stating the new expiry in words; a repeat that does not, none."""
    run = Letters()
    p = run.party
    run.due(p.incident(incident("i1", T0), T0)[1])
    run.due(p.warn(warning("w1", ["i1"], T0), T0))
    repeat = T0 + timedelta(days=30)
    run.due(p.incident(incident("i2", repeat), repeat)[1])
    held = run.of(LetterKind.WARNING_HELD_OPEN)
    w1 = p.state.warnings[0]
    assert w1.extended_by_incident_id == "i2"
    new_expiry = written_date(w1.expires_at)
    assert held.title == "Your warning will now last longer" and held.decided_at == repeat
    assert ("Warning now lasts until", new_expiry) in [(d.label, d.written) for d in held.dates]
    text = _pdf_text(renderer.render(held).pdf)
    assert f"Your warning now lasts until {new_expiry}, six months after that." in text
    assert f"On {written_date(repeat)} the same or similar behaviour happened again" in text
    # A late report of an older repeat moves nothing (R5a: never earlier): no letter.
    older = T0 + timedelta(days=10)
    assert run.due(p.incident(incident("i3", older), older + timedelta(days=25))[1]) == []
    # A later repeat moves it again: a second letter, with the later date.
    again = T0 + timedelta(days=60)
    second = run.due(p.incident(incident("i4", again), again)[1])
    assert [letter.kind for letter in second] == [LetterKind.WARNING_HELD_OPEN]
    assert second[0].letter_id != held.letter_id
    # Only the current expiry's id is carried: the old one can never recur.
    carried = letters.current_letter_ids(p.state)
    assert second[0].letter_id in carried and held.letter_id not in carried


def test_r15_r10_zero_tolerance_stop_and_its_lifting_are_written_up(renderer):
    """R15: the stop of direct contact, at once; lifting it early is a letter too."""
    run = Letters()
    run.due(run.party.incident(incident("z1", T0, Category.ZERO_TOLERANCE), T0)[1])
    stop = run.of(LetterKind.ZERO_TOLERANCE_STOP)
    stop_text = _pdf_text(renderer.render(stop).pdf)
    assert "We have stopped all direct contact with you." in stop_text
    # The behaviour in words, not the case system's code.
    assert f"Behaviour we do not tolerate at all ({CODE_FOR[Category.ZERO_TOLERANCE].replace('_', ' ')})" in stop_text
    assert CODE_FOR[Category.ZERO_TOLERANCE] not in stop_text
    lift = task_decision("zt-review-z1", "manager-1", Role.MANAGER, TaskOutcome.LIFT_STOP, T0, reason="Reviewed.")
    _, _, effects = decisions.apply_decision(run.party.state, lift, T0 + timedelta(days=2))
    run.due(effects)
    lifted = run.of(LetterKind.LIFTED_EARLY)
    text = _pdf_text(renderer.render(lifted).pdf)
    assert f"Restrictions ended: {written_date(T0 + timedelta(days=2))}" in text
    assert "You may contact us in the usual way again." in text


def _adjust(run: Letters, adjustment_id: str, fmt: LetterFormat | None = None) -> None:
    state = run.party.state
    request = AdjustmentRequest(
        adjustment_id=adjustment_id,
        party_id=PARTY_ID,
        description="Letters in large print",
        requested_at=T0,
        recorded_by="staff-1",
        letter_format=fmt,
    )
    run.due(decisions.apply_adjustment_request(state, request, T0))


def test_r16_adjustments_agreed_and_declined_after_advice_are_written_up(renderer):
    """R16: an agreed adjustment and one declined after specialist advice each get a letter."""
    run = Letters()
    state = run.party.state
    _adjust(run, "a1")
    agree = AdjustmentDecision(
        adjustment_id="a1", party_id=PARTY_ID, agree=True, decided_by="manager-1", reason="Happy to.", decided_at=T0
    )
    run.due(decisions.apply_adjustment_decision(state, agree, T0))
    _adjust(run, "a2")
    run.due(
        decisions.apply_advice_request(
            state, AdviceRequest(adjustment_id="a2", party_id=PARTY_ID, requested_by="m"), T0
        )
    )
    advice = task_decision(
        "advice-a2", "adviser-1", Role.SPECIALIST_ADVISER, TaskOutcome.ADVICE_GIVEN, T0, reason="No."
    )
    run.due(decisions.apply_decision(state, advice, T0)[2])
    decline = agree.model_copy(update={"adjustment_id": "a2", "agree": False, "reason": "Not workable."})
    run.due(decisions.apply_adjustment_decision(state, decline, T0))
    agreed = _pdf_text(renderer.render(run.of(LetterKind.ADJUSTMENT_AGREED)).pdf)
    assert "We have agreed to this adjustment. Happy to." in agreed
    declined = _pdf_text(renderer.render(run.of(LetterKind.ADJUSTMENT_DECLINED)).pdf)
    assert "We took specialist advice and have decided not to make this adjustment. Not workable." in declined


def test_r16_agreed_large_print_gives_larger_type_in_the_pdf(renderer):
    """R16: once a large-print adjustment is agreed, later letters are set in larger type."""
    run = Letters()
    run.due(run.party.incident(incident("i1", T0), T0)[1])
    run.due(run.party.warn(warning("w1", ["i1"], T0), T0))
    standard = run.of(LetterKind.WARNING)
    _adjust(run, "a1", LetterFormat.LARGE_PRINT)
    agree = AdjustmentDecision(
        adjustment_id="a1", party_id=PARTY_ID, agree=True, decided_by="manager-1", reason="Yes.", decided_at=T0
    )
    run.due(decisions.apply_adjustment_decision(run.party.state, agree, T0))
    large = run.of(LetterKind.ADJUSTMENT_AGREED)
    assert standard.format == LetterFormat.STANDARD and large.format == LetterFormat.LARGE_PRINT
    assert _body_type_size(renderer.render(standard).pdf) == STANDARD_POINTS
    assert _body_type_size(renderer.render(large).pdf) == LARGE_PRINT_POINTS
    assert f"font-size: {LARGE_PRINT_POINTS}pt" in renderer.render(large).html


def test_r16_plain_text_letter_is_unstyled(renderer):
    """R16: a plain-text adjustment gives the letter's words without layout."""
    run = Letters()
    _adjust(run, "a1", LetterFormat.PLAIN_TEXT)
    agree = AdjustmentDecision(
        adjustment_id="a1", party_id=PARTY_ID, agree=True, decided_by="manager-1", reason="Yes.", decided_at=T0
    )
    run.due(decisions.apply_adjustment_decision(run.party.state, agree, T0))
    rendered = renderer.render(run.of(LetterKind.ADJUSTMENT_AGREED))
    # One monospaced type, one size, headings included (still tagged as headings).
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        fonts = {str(font.BaseFont) for page in pdf.pages for font in page.Resources.Font.values()}
    assert fonts and all("Mono" in font for font in fonts), fonts
    assert set(_type_sizes(rendered.pdf)) == {STANDARD_POINTS}


def test_r10_the_same_letter_renders_to_the_same_hash(renderer, restricted):
    """R10: the content hash identifies what was made: the PDF's dates are the decision's,
    not the clock's, and its file identifier comes from the letter's id."""
    letter = restricted.made[0]
    rendered = renderer.render(letter)
    assert rendered.content_hash == renderer.render(letter).content_hash
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        decided = letter.decided_at.strftime("D:%Y%m%d%H%M%SZ")
        assert (pdf.docinfo.CreationDate, pdf.docinfo.ModDate) == (decided, decided)
        assert str(pdf.trailer.ID[0]) == hashlib.sha256(letter.letter_id.encode()).hexdigest()[:32]


def test_r10_the_bodys_own_template_is_used(tmp_path, restricted):
    """R10: a body edits its letters in its own template folder (UBP_LETTER_TEMPLATES)."""
    (tmp_path / "letter.txt").write_text("# {{ letter.title }}\n\nFrom the Fair Ombudsman: {{ letter.reasons }}\n")
    settings = Settings(letter_templates=tmp_path, body_name="Fair Ombudsman")
    rendered = LetterActivities(None, settings.letters).render(restricted.made[0])  # type: ignore[arg-type]  # render() needs no store
    assert "From the Fair Ombudsman: Abusive language" in _pdf_text(rendered.pdf)
