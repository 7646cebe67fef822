"""Request headers the API reads."""

from typing import Annotated

from fastapi import Header

from policy.fields import MESSAGE_ID_PATTERN

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=MESSAGE_ID_PATTERN,
        description="the message's id when the body leaves it out; for a task decision, its decision id",
    ),
]
