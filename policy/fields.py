"""The field types every message shares: ids, staff ids, case references and aware instants.

Kept apart from the messages so that the measures' parameters (policy.measures),
which a restriction request carries, can use them too.
"""

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, model_validator
from pydantic.json_schema import SkipJsonSchema

from policy.vocabulary import Role

PARTY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
MESSAGE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
# An ask, warning or restriction names at most this many incidents: its entry, and
# every save of it, stays small however long the party's record is.
MAX_INCIDENTS_PER_MESSAGE = 100
AWARE_EXAMPLE = "2026-03-01T10:00:00+00:00"
# ISO 8601 as the contract writes it: a date, a time, and an offset (or Z).
_ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# The years an instant may be in. Python's datetimes end at years 1 and 9999, and
# working-day and six-month arithmetic must never run off either end; no record of
# this policy is dated outside these years. The JSON Schema says it too, by a pattern.
FIRST_YEAR, LAST_YEAR = 1900, 2999
_YEAR_PATTERN = "^(19|2[0-9])[0-9]{2}-"


def _only_iso_text(value: Any) -> Any:
    """Refuse numbers, and strings that are numbers: pydantic would read them as Unix
    times, which the contract (an ISO 8601 string with an offset) does not allow."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_INSTANT.match(value):
        return value
    raise ValueError(f"must be an ISO 8601 date-time with a time zone offset, e.g. {AWARE_EXAMPLE}")


def _require_aware(value: datetime) -> datetime:
    """Aware datetimes only, normalised to UTC: every instant inside is UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"must include a time zone offset, e.g. {AWARE_EXAMPLE}")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value.astimezone(UTC)


AwareDatetime = Annotated[
    datetime,
    BeforeValidator(_only_iso_text),
    AfterValidator(_require_aware),
    Field(json_schema_extra={"pattern": _YEAR_PATTERN}),
]
MessageId = Annotated[str, Field(pattern=MESSAGE_ID_PATTERN)]
PartyId = Annotated[str, Field(pattern=PARTY_ID_PATTERN)]
StaffId = Annotated[str, Field(min_length=1, max_length=100)]
CaseReference = Annotated[str, Field(min_length=1, max_length=64, description="the case system's case reference")]


# The validation context of what a party's workflow carries from one run to the next
# (workflows.party): written by this release or, after a rollback, a later one.
CARRIED = {"carried": True}


class Closed(BaseModel):
    """Frozen, and unknown fields are refused (no stray personal data), except in what a
    workflow carries (validated with the `CARRIED` context): a later release may have added
    fields, and a rollback must still read its state and unwritten effects, dropping them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_fields_only_when_carried(cls, data: Any, info: ValidationInfo) -> Any:
        if isinstance(data, dict) and info.context is not None and info.context.get("carried"):
            known = set(cls.model_fields) | {field.alias for field in cls.model_fields.values() if field.alias}
            return {key: value for key, value in data.items() if key in known}
        return data


class Message(Closed):
    """A message from outside: frozen, and unknown fields are refused (no stray personal data).

    Its booleans and counts are strict (`StrictBool`, `StrictInt`): `0` is not `false`,
    nor `"5"` five, as the contract's JSON Schema says.
    """


class Door(StrEnum):
    """Where a principal was authenticated."""

    # The CLI's acting commands sign in through the API: they come through it.
    API = "api"
    INBOX = "inbox"
    # The demo data, the benchmark and the tests, on a machine holding the door key.
    LOCAL = "local"


class Authority(Closed):
    """Who acted on a party's file, as the door authenticated them, and the door's signature."""

    actor: StaffId = Field(description="the member of staff who acted, or the case system acting for itself")
    role: Role = Field(description="the role they acted in")
    via: StaffId | None = Field(default=None, description="the case system that carried it for `actor`")
    door: Door
    sealed_at: AwareDatetime
    key_id: str = Field(min_length=1, max_length=64)
    signature: str = Field(min_length=1, max_length=200, description="Ed25519, base64")


# The seal of a message that does not come through the door (an API request body, a
# line of a bulk import): it has none, and one given is refused. The door makes seals.
NoSeal = Annotated[None, SkipJsonSchema()]
