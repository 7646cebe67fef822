"""What the staff pages show when a form cannot be taken: GOV.UK's error summary, each problem
linked to its field, and the same message beside the field (the Design System's error pattern).

A problem is the API's own message (a validation error of the same model, or the policy's
refusal naming its rule), put in the form's words: a page never checks input a second way.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from policy.vocabulary import in_words


@dataclass(frozen=True)
class Problem:
    """One thing wrong with what was sent.

    Args:
        text: What is wrong, in plain words.
        field: The form field it is about (its `name`); empty for a refusal of the whole form.
    """

    text: str
    field: str = ""


def shown(problems: Iterable[Problem], ids: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The page's context for `problems`: `errors` for the summary (components.html errorSummary)
    and `field_errors` (a field's name to its message) for each component's `errorMessage`.

    Args:
        problems: What is wrong.
        ids: A field's name to the id of the input the summary links to, where they differ
            (radios and checkboxes: their first item's id); otherwise the name is the id.
    """
    found = list(dict.fromkeys(problems))
    ids = ids or {}
    return {
        "errors": [
            {"text": p.text, "href": f"#{ids.get(p.field, p.field)}"} if p.field else {"text": p.text} for p in found
        ],
        "field_errors": {p.field: p.text for p in reversed(found) if p.field},
    }


def field_of(location: tuple[int | str, ...]) -> str:
    """A validation error's location as the form's field name: `("measures", 0, "channel")` -> `measures-0-channel`."""
    return "-".join(str(part) for part in location)


def from_validation(err: ValidationError, questions: Mapping[str, str] | None = None) -> list[Problem]:
    """The problems of a validation error of the API's own model, each on its field.

    Args:
        err: What pydantic found.
        questions: A field to what to say when it is missing or wrong (the form's question, as
            the Design System asks: "Choose ...", "Enter ..."); otherwise the model's message.
            A check across fields (a model validator) has no field of its own: its message is
            put on the question it starts by naming, in the model's words.
    """
    questions = questions or {}
    problems = []
    for e in err.errors():
        field = field_of(tuple(e["loc"]))
        message = str(e["msg"]).removeprefix("Value error, ")
        if not field:
            leading = re.match(r"(\w+)[ :]", message)
            problems.append(Problem(message, leading.group(1) if leading and leading.group(1) in questions else ""))
            continue
        text = questions.get(field) or f"{in_words(field.replace('-', ' ')).capitalize()}: {message}"
        problems.append(Problem(text, field))
    return problems
