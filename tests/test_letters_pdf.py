"""R10, R16: every kind of letter, in every format, as a tagged PDF/UA-1 that a screen
reader can follow and a print-and-post service can take.

Each kind is made by the pure rules (policy.letters), as the workflow makes it, and
rendered directly (no workflow runs: the suite's time is near its budget). Checked:
the machine-checkable PDF/UA-1 rules (the `pdfua` package's checks, plus those it
lacks or cannot run here, read with pikepdf), the text read back in order
(pdftotext), and GOV.UK Notify's precompiled letter layout (docs/letters.md).
Pages are kept as pictures in var/letter-pages/ (pdftoppm) for a person to look at.
"""

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pikepdf
import pytest
from pdfua import Validator

from activities.letters import LetterActivities
from policy import decisions
from policy.corrections import AnnexKind, CorrectionEntry, CorrectionForm, RecordKind, annex_letter, annex_letter_id
from policy.fields import Door
from policy.letters import LetterContent, LetterKind
from policy.messages import AdjustmentDecision, AdjustmentRequest, AdviceRequest
from policy.timeline import PartyFile
from policy.vocabulary import Category, LetterFormat, Measure, PartyKind, Role, TaskOutcome
from printing import RenderedLetter
from settings import Settings
from tests.policy_builders import PARTY_ID, incident, restriction, task_decision, utc, warning
from tests.test_letters import Letters

T0 = utc(2027, 1, 4, 10)
PAGES = Path(__file__).resolve().parent.parent / "var" / "letter-pages"
MM = 72 / 25.4  # PDF points in a millimetre
# pdfua 0.1.3's empty-heading check (UA-14-001) raises on a heading whose /K is an
# array, as WeasyPrint writes them; `structure_failures` checks headings instead.
PDFUA_CANNOT_RUN = {"UA-14-001"}


def _letters_of_every_kind() -> dict[LetterKind, LetterContent]:
    """One letter of each kind, from the decisions that call for it."""
    run = Letters()
    p = run.party
    run.due(p.incident(incident("i1", T0), T0)[1])
    run.due(p.warn(warning("w1", ["i1"], T0 + timedelta(days=1)), T0 + timedelta(days=1)))
    t2 = T0 + timedelta(days=10)
    run.due(p.incident(incident("i2", t2), t2)[1])  # R5a: holds the warning open
    run.due(p.restrict(restriction("r1", ["i2"], t2), t2))
    t3 = T0 + timedelta(days=20)
    run.due(p.incident(incident("i3", t3), t3)[1])  # R12: moves r1's end
    stepped = restriction("r2", ["i3"], t3, measures=[Measure.SINGLE_CONTACT_CHANNEL], replaces="r1")
    run.due(p.restrict(stepped, t3))
    later = T0 + timedelta(days=230)
    run.due(p.advance(later))  # r2 expires
    t4 = later + timedelta(days=10)
    run.due(p.incident(incident("i4", t4), t4)[1])
    run.due(p.restrict(restriction("r3", ["i4"], t4), t4))  # R13
    t5 = t4 + timedelta(days=1)
    run.due(p.incident(incident("z1", t5, Category.ZERO_TOLERANCE), t5)[1])
    lift = task_decision("zt-review-z1", "manager-1", Role.MANAGER, TaskOutcome.LIFT_STOP, t5, reason="Reviewed.")
    run.due(decisions.apply_decision(p.state, lift, t5 + timedelta(days=2))[2])
    for adjustment_id in ("a1", "a2"):
        request = AdjustmentRequest(
            adjustment_id=adjustment_id,
            party_id=PARTY_ID,
            description="Letters by email",
            requested_at=T0,
            recorded_by="staff-1",
        )
        run.due(decisions.apply_adjustment_request(p.state, request, T0))
    agree = AdjustmentDecision(
        adjustment_id="a1", party_id=PARTY_ID, agree=True, decided_by="manager-1", reason="Yes.", decided_at=T0
    )
    run.due(decisions.apply_adjustment_decision(p.state, agree, T0))
    asked = AdviceRequest(adjustment_id="a2", party_id=PARTY_ID, requested_by="m")
    run.due(decisions.apply_advice_request(p.state, asked, T0))
    advice = task_decision(
        "advice-a2", "adviser-1", Role.SPECIALIST_ADVISER, TaskOutcome.ADVICE_GIVEN, T0, reason="No."
    )
    run.due(decisions.apply_decision(p.state, advice, T0)[2])
    decline = agree.model_copy(update={"adjustment_id": "a2", "agree": False, "reason": "Not workable."})
    run.due(decisions.apply_adjustment_decision(p.state, decline, T0))
    # Art. 16: a correction and a dispute put on a letter (services.corrections, not the workflow).
    file = PartyFile(party_id=PARTY_ID, kind=PartyKind.INDIVIDUAL, stage=p.state.stage, warnings=p.state.warnings)
    for kind, text in ((AnnexKind.CORRECTION, "It was on 5 January."), (AnnexKind.DISPUTE, "I did not shout.")):
        form = CorrectionForm(
            correction_id=f"c-{kind}", about_kind=RecordKind.WARNING, about_id="w1", text=text, letter=True
        )
        entry = CorrectionEntry(
            **form.model_dump(exclude={"letter"}), kind=kind, recorded_at=t5, recorded_by="manager-1",
            role=Role.MANAGER, door=Door.INBOX, letter_id=annex_letter_id(form, kind),
        )  # fmt: skip
        run.made.append(annex_letter(file, entry, "Europe/London"))
    return {kind: run.of(kind) for kind in LetterKind}


EVERY_KIND = _letters_of_every_kind()


@dataclass(frozen=True)
class Rendered:
    letter: LetterContent
    out: RenderedLetter
    path: Path


@pytest.fixture(scope="module")
def renderer() -> LetterActivities:
    return LetterActivities(None, Settings().letters)  # type: ignore[arg-type]  # render() needs no store


def _render(renderer: LetterActivities, kind: LetterKind, fmt: LetterFormat, folder: Path) -> Rendered:
    letter = EVERY_KIND[kind].model_copy(update={"format": fmt})
    out = renderer.render(letter)
    path = folder / f"{kind.value}-{fmt.value}.pdf"
    path.write_bytes(out.pdf)
    return Rendered(letter, out, path)


def _poppler(tool: str, *args: str) -> str:
    assert shutil.which(tool), f"{tool} (poppler-utils) is missing: run scripts/setup.sh"
    return subprocess.run([tool, *args], check=True, capture_output=True, text=True).stdout


def pdfua_failures(path: Path) -> list[str]:
    """The `pdfua` package's findings, and any check of its that could not run."""
    report = Validator().validate(str(path))
    failures = [f"{f.rule_id}: {f.message}" for outcome in report.outcomes for f in outcome.findings]
    failures += [
        f"{o.rule_id} not run: {o.skipped_reason}"
        for o in report.outcomes
        if o.skipped_reason and o.rule_id not in PDFUA_CANNOT_RUN
    ]
    return failures


def _kids(node: pikepdf.Object) -> list[pikepdf.Object]:
    k = node.get("/K")
    if k is None:
        return []
    return list(k) if isinstance(k, pikepdf.Array) else [k]


def _marks_content(node: pikepdf.Object) -> bool:
    return any(
        not isinstance(kid, pikepdf.Dictionary) or kid.get("/Type") == "/MCR" or _marks_content(kid)
        for kid in _kids(node)
    )


def structure_failures(path: Path) -> list[str]:
    """Matterhorn's machine-checkable items that pdfua does not check (or cannot, here):
    the PDF/UA identifier, fonts embedded, every piece of text marked as content or
    artifact and every content item in the structure, one H1 first and no level
    skipped, no empty heading, lists as L > LI > Lbl/LBody."""
    failures: list[str] = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root
        with pdf.open_metadata() as xmp:
            if xmp.get("pdfuaid:part") != "1":
                failures.append("06-002: no PDF/UA identifier (pdfuaid:part 1) in the XMP metadata")
            if not xmp.get("dc:title"):
                failures.append("06-003: no dc:title in the XMP metadata")
        if root.get("/Lang") != "en-GB":
            failures.append(f"11-006: document language {root.get('/Lang')!r}, not en-GB")
        parent_tree = dict(zip(*[iter(root.StructTreeRoot.ParentTree.Nums)] * 2, strict=True))
        for number, page in enumerate(pdf.pages, start=1):
            for font in page.Resources.Font.values():
                for f in [font, *font.get("/DescendantFonts", [])]:
                    descriptor = f.get("/FontDescriptor")
                    if descriptor is not None and not any(k in descriptor for k in ("/FontFile", "/FontFile2")):
                        failures.append(f"31-001: font {f.get('/BaseFont')} on page {number} is not embedded")
            mapped = parent_tree.get(int(page.StructParents), [])
            stack: list[int | str | None] = []
            for instruction in pikepdf.parse_content_stream(page):
                operands, op = instruction.operands, str(instruction.operator)
                if op == "BDC":
                    tag, props = operands
                    mcid = props.get("/MCID") if isinstance(props, pikepdf.Dictionary) else None
                    stack.append("artifact" if tag == "/Artifact" else None if mcid is None else int(mcid))
                elif op == "BMC":
                    stack.append("artifact" if operands[0] == "/Artifact" else None)
                elif op == "EMC":
                    stack.pop()
                elif op in ("Tj", "TJ", "'", '"') and not any(m is not None for m in stack):
                    failures.append(f"01-005: text on page {number} is neither tagged content nor an artifact")
                if op == "BDC" and isinstance(stack[-1], int) and stack[-1] >= len(mapped):
                    failures.append(f"01-005: content item {stack[-1]} on page {number} is not in the structure")
        headings: list[int] = []
        lists_ok = True

        def walk(node: pikepdf.Object) -> None:
            nonlocal lists_ok
            role = str(node.get("/S", ""))
            if re.fullmatch(r"/H[1-6]", role):
                headings.append(int(role[2]))
                if not _marks_content(node):
                    failures.append(f"14-001: empty heading {role}")
            children = [k for k in _kids(node) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
            if role == "/L" and any(str(c.S) != "/LI" for c in children):
                lists_ok = False
            if role == "/LI" and any(str(c.S) not in ("/Lbl", "/LBody") for c in children):
                lists_ok = False
            for child in children:
                walk(child)

        for top in _kids(root.StructTreeRoot):
            walk(top)
        if not lists_ok:
            failures.append("17: a list is not L > LI > Lbl/LBody")
        if not headings or headings[0] != 1 or headings.count(1) != 1:
            failures.append(f"14-002: headings {headings}: one H1, first")
        if any(b > a + 1 for a, b in pairwise(headings)):
            failures.append(f"14-003: a heading level skipped in {headings}")
    return failures


def reading_order_failures(rendered: Rendered) -> list[str]:
    """The letter's title, headings and last words, read back from the PDF in the order written."""
    read = " ".join(_poppler("pdftotext", str(rendered.path), "-").split())
    marks = [line[2:].strip("# ") for line in rendered.out.text.splitlines() if line.startswith("#")]
    marks += ["End of letter"]
    positions = [read.find(mark) for mark in marks]
    if -1 in positions or positions != sorted(positions):
        return [f"read back out of order: {list(zip(marks, positions, strict=True))}"]
    return []


def test_r10_every_kind_of_letter_is_made_by_the_rules():
    """Each LetterKind is due from some decision, or a correction or dispute (the fixture above names them all)."""
    assert set(EVERY_KIND) == set(LetterKind)


@pytest.mark.parametrize("fmt", list(LetterFormat))
@pytest.mark.parametrize("kind", list(LetterKind))
def test_r10_r16_each_kind_is_tagged_pdf_ua_1_read_in_order_and_kept_as_pages(renderer, tmp_path, kind, fmt):
    """R10, R16: every kind, normal, large print and plain text, passes PDF/UA-1's
    machine-checkable rules with no failure and reads back in order; the pages of the
    normal and large-print ones are kept as pictures."""
    rendered = _render(renderer, kind, fmt, tmp_path)
    assert _poppler("pdfinfo", str(rendered.path)).count("Tagged:          yes") == 1
    failures = pdfua_failures(rendered.path) + structure_failures(rendered.path)
    failures += reading_order_failures(rendered)
    assert failures == []
    text = " ".join(_poppler("pdftotext", str(rendered.path), "-").split())
    # The letter's conventions, in every kind (the Home Office's "send a letter").
    assert f"Our reference: {rendered.letter.subject_id} Please quote this reference" in text
    assert "What happens next" in text and "End of letter" in text
    assert "If you are unhappy with how we have treated you" in text and "service complaint" in text
    assert re.search(r"Page 1 of \d", text)
    if fmt != LetterFormat.PLAIN_TEXT:
        PAGES.mkdir(parents=True, exist_ok=True)
        for stale in PAGES.glob(f"{kind.value}-{fmt.value}-*.png"):
            stale.unlink()  # a letter that got shorter leaves no old page behind
        _poppler("pdftoppm", "-r", "50", "-png", str(rendered.path), str(PAGES / f"{kind.value}-{fmt.value}"))
        assert list(PAGES.glob(f"{kind.value}-{fmt.value}-*.png"))


# GOV.UK Notify's precompiled letter layout, in mm from the page's top left (docs/letters.md).
PRINTABLE = (15.0, 5.0, 195.0, 292.0)  # left, top, right, bottom
FIRST_PAGE_BODY_TOP = 95.0
SENDER_COLUMN = (125.0, 5.0, 195.0, 95.0)  # the body's address and the date
ADDRESS_WINDOW = (24.6, 39.5, 120.0, 66.3)  # left clear: the case system adds the party's address


def _inside(box: tuple[float, ...], area: tuple[float, ...]) -> bool:
    return area[0] <= box[0] and area[1] <= box[1] and box[2] <= area[2] and box[3] <= area[3]


def _overlaps(box: tuple[float, ...], area: tuple[float, ...]) -> bool:
    return box[0] < area[2] and area[0] < box[2] and box[1] < area[3] and area[1] < box[3]


@pytest.mark.parametrize("fmt", [LetterFormat.STANDARD, LetterFormat.LARGE_PRINT])
def test_r10_letters_fit_a_print_and_post_services_precompiled_layout(renderer, tmp_path, fmt):
    """R10: A4 portrait; every word within the printable area; on the first page, the
    sender's column above the letter, and the address window left clear."""
    rendered = _render(renderer, LetterKind.STEPPED_UP, fmt, tmp_path)
    bbox = _poppler("pdftotext", "-bbox", str(rendered.path), "-")
    pages = re.split(r"<page ", bbox)[1:]
    assert len(pages) >= 2  # the first page and a later one are both checked
    for number, page in enumerate(pages, start=1):
        width, height = (float(v) / MM for v in re.findall(r'(?:width|height)="([\d.]+)"', page)[:2])
        assert (round(width), round(height)) == (210, 297)
        words = re.findall(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page)
        assert words
        for *corners, word in words:
            box = tuple(float(c) / MM for c in corners)
            assert _inside(box, PRINTABLE), (number, word, box)
            if number == 1:
                assert not _overlaps(box, ADDRESS_WINDOW), (word, box)
                assert box[1] >= FIRST_PAGE_BODY_TOP or _inside(box, SENDER_COLUMN), (word, box)
