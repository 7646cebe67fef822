"""What one letter costs to make (R10): `LetterActivities.render`, the body's templates
(Jinja2) to the letter's text, HTML and PDF, as the `make_letter` activity runs it.

    .venv/bin/python -m bench.letters [--iterations 20 --repeats 5]

Two letters, each in the three formats (R16): a warning (one page) and a
restriction with three measures, its reasons and arrangements (two pages or
more). Each figure is the median over `--repeats` of the mean over
`--iterations` renders, in milliseconds, as wall time and as this process's CPU
time (waiting for a core other processes hold does not count in the second),
with the PDF's size. The same file runs against an older commit from a
worktree of it (the letters' API, `render(letter)`, is the same), which is how
bench/RESULTS.md compares reportlab with WeasyPrint.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from activities.letters import LetterActivities
from bench.run import load_average
from policy.letters import LetterContent, LetterDate, LetterKind
from policy.vocabulary import LetterFormat
from settings import Settings

DECIDED = datetime(2027, 1, 4, 10, tzinfo=UTC)
REASONS = (
    "On 2 January 2027 you called our helpline four times and used abusive language towards the "
    "caseworker each time. We had written to you on 20 December 2026 to warn you that this behaviour "
    "was unacceptable, and it continued while the warning was in place."
)


def sample_letters() -> dict[str, LetterContent]:
    """A short letter and a long one, with the words the rules would give them."""
    warning = LetterContent(
        letter_id="letter:warning:w1",
        kind=LetterKind.WARNING,
        party_id="party-1",
        subject_id="w1",
        decided_at=DECIDED,
        title="A warning about your behaviour",
        date_written="4 January 2027",
        about=["aggressive or abusive behaviour"],
        reasons=REASONS,
        dates=[
            LetterDate(label="Warning given", written="4 January 2027"),
            LetterDate(label="Warning lasts until", written="4 July 2027"),
        ],
        next_steps="If the behaviour continues or happens again while this warning is in place, we may restrict "
        "how you contact us.",
    )
    restriction = warning.model_copy(
        update={
            "letter_id": "letter:restriction:r1",
            "kind": LetterKind.RESTRICTION,
            "subject_id": "r1",
            "title": "Restrictions on your contact with us",
            "measures": [
                "You may contact only one named member of our staff.",
                "You may contact us in one way only. (channels: email)",
                "We will take longer than our usual 10 working days to reply.",
            ],
            "arrangements": "Write to your named caseworker by email; we will reply within 20 working days.",
            "dates": [
                LetterDate(label="Restrictions started", written="4 January 2027"),
                LetterDate(label="Restrictions last until", written="2 July 2027"),
                LetterDate(label="Last instance of the behaviour", written="2 January 2027"),
            ],
            "next_steps": "These restrictions last until six months after the last instance of the behaviour. "
            "If it continues or happens again, they will last until six months after that. We will review them "
            "before they end.",
            "final": True,
        }
    )
    return {"warning": warning, "restriction": restriction}


def per_render_ms(call: Callable[[], object], iterations: int, repeats: int) -> tuple[float, float]:
    """The median over `repeats` of the mean wall and CPU time of one call, in milliseconds."""
    call()  # warm the templates, the fonts and lazy imports
    walls, cpus = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iterations):
            call()
        walls.append(1e3 * (time.perf_counter() - w0) / iterations)
        cpus.append(1e3 * (time.process_time() - c0) / iterations)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    renderer = LetterActivities(None, Settings().letters)  # type: ignore[arg-type]  # render() needs no store
    print(f"load average at start: {load_average()}")
    print("| letter | format | wall ms | CPU ms | PDF bytes |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, letter in sample_letters().items():
        for fmt in LetterFormat:
            one = letter.model_copy(update={"format": fmt})
            wall, cpu = per_render_ms(partial(renderer.render, one), args.iterations, args.repeats)
            size = len(renderer.render(one).pdf)
            print(f"| {name} | {fmt.value} | {wall:.1f} | {cpu:.1f} | {size:,} |")
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
