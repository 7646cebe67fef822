"""`ubp restrict`'s measure parameters (R8): options that become the measures' objects."""

from dataclasses import dataclass
from datetime import time
from typing import Any

from cli.common import fail
from policy.vocabulary import ContactChannel, ContactPeriod, Measure, Weekday


@dataclass(frozen=True)
class MeasureOptions:
    """The parameter options as given; each belongs to one measure."""

    named_contact: str | None = None
    channels: tuple[ContactChannel, ...] = ()
    blocked: tuple[ContactChannel, ...] = ()
    issues: tuple[str, ...] = ()
    max_contacts: int | None = None
    per: ContactPeriod | None = None
    windows: tuple[str, ...] = ()
    response_days: int | None = None
    from_latest_contact: bool = False
    time_out_ends: str | None = None
    third_party: str | None = None

    def parameters(self) -> dict[Measure, tuple[str, dict[str, Any]]]:
        """For each measure, the options given for it (by their command-line names) and its fields."""
        limit: dict[str, Any] = {"max_contacts": self.max_contacts, "per": self.per}
        if self.windows:
            limit["windows"] = [_window(w) for w in self.windows]
        response: dict[str, Any] = {"working_days": self.response_days}
        if self.from_latest_contact:
            response["from_latest_contact"] = True
        given: dict[Measure, tuple[str, dict[str, Any]]] = {
            Measure.SINGLE_NAMED_CONTACT: ("--named-contact", {"named_contact": self.named_contact}),
            Measure.SINGLE_CONTACT_CHANNEL: ("--channel", {"channels": list(self.channels)}),
            Measure.BLOCK_EMAILS_OR_REFUSE_CALLS: ("--block", {"channels": list(self.blocked)}),
            Measure.RESTRICT_ISSUES: ("--issue", {"issues": list(self.issues)}),
            Measure.RESTRICT_TIME_OR_VOLUME: ("--max-contacts/--per/--window", limit),
            Measure.EXTENDED_RESPONSE_TIME: ("--response-days/--from-latest-contact", response),
            Measure.TIME_OUT: ("--time-out-ends", {"ends_at": self.time_out_ends}),
            Measure.CONTACT_THROUGH_THIRD_PARTY: ("--third-party", {"third_party": self.third_party}),
        }
        return {m: (option, fields) for m, (option, fields) in given.items() if any(v for v in fields.values())}


def measure_items(measures: list[Measure], options: MeasureOptions) -> list[str | dict[str, Any]]:
    """The restriction's `measures`: an object for each measure given with parameters, else its name.

    Exits with code 2 when a parameter option is given for a measure not named with --measure.
    """
    given = options.parameters()
    stray = [option for m, (option, _) in given.items() if m not in measures]
    if stray:
        fail(f"{', '.join(stray)}: give the measure it belongs to with --measure", 2)
    items: list[str | dict[str, Any]] = []
    for m in measures:
        if m in given:
            fields = {k: v for k, v in given[m][1].items() if v is not None}
            items.append({"measure": m.value, **fields})
        else:
            items.append(m.value)
    return items


def _window(text: str) -> dict[str, Any]:
    """ "monday,wednesday 10:00-12:00" as a contact window."""
    try:
        days, hours = text.split()
        starts, ends = hours.split("-")
        return {
            "days": [Weekday(d.strip().lower()) for d in days.split(",")],
            "starts": time.fromisoformat(starts),
            "ends": time.fromisoformat(ends),
        }
    except ValueError:
        fail(f"--window: {text!r} is not like 'monday,wednesday 10:00-12:00'", 2)
