"""Custom search attributes of party workflows: no personal data, ever.

Every server the project starts registers all of these (an unregistered
attribute fails the workflow task forever).
"""

from temporalio.common import SearchAttributeKey

STAGE = SearchAttributeKey.for_keyword("UbpStage")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("UbpNextDeadline")
PARTY_KIND = SearchAttributeKey.for_keyword("UbpPartyKind")
OPEN_TASKS = SearchAttributeKey.for_int("UbpOpenTasks")
ZERO_TOLERANCE = SearchAttributeKey.for_bool("UbpZeroTolerance")

ALL = (STAGE, NEXT_DEADLINE, PARTY_KIND, OPEN_TASKS, ZERO_TOLERANCE)

_CLI_TYPE_NAMES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "INT": "Int", "BOOL": "Bool"}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE_NAMES[key.indexed_value_type.name]}"]
    return flags
