"""The permission table as docs/policy.md shows it is the one the code enforces.

docs/policy.md ("Who may act: the permission table") is where staff, assessors and
integrators read who may do what. Its tables are rendered here from
`policy.permissions` (PERMISSIONS, SYSTEM_ACTIONS, DECIDE_TASK), and the test fails
when the page says anything else, so the page cannot drift from the code. To put
it right, paste the tables the failure prints between the page's markers.

Pure: no servers, no database.
"""

import difflib
from pathlib import Path

from policy.permissions import DECIDE_TASK, PERMISSIONS, SYSTEM_ACTIONS, Action
from policy.vocabulary import Role

POLICY = Path(__file__).resolve().parent.parent / "docs" / "policy.md"
BEGIN = "<!-- permission table: from policy/permissions.py, checked by tests/test_permission_docs.py -->"
END = "<!-- end of the permission table -->"


def _roles(roles: frozenset[Role]) -> str:
    """The roles in the vocabulary's order, as the code names them."""
    return ", ".join(f"`{role.value}`" for role in Role if role in roles)


def rendered() -> str:
    """The tables docs/policy.md must hold between its markers."""
    lines = [
        "| action | who may | rule | why | a case system for itself |",
        "|---|---|---|---|---|",
    ]
    for action, permission in PERMISSIONS.items():
        own = "yes" if action in SYSTEM_ACTIONS else "no"
        cells = [f"`{action.value}`", _roles(permission.roles), permission.rule, permission.why, own]
        lines.append(f"| {' | '.join(cells)} |")
    lines += ["", "| task kind | deciding it is the action |", "|---|---|"]
    lines += [f"| `{kind.value}` | `{action.value}` |" for kind, action in DECIDE_TASK.items()]
    return "\n".join(lines)


def documented() -> str:
    """What docs/policy.md holds between its markers."""
    text = POLICY.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1, f"docs/policy.md must hold {BEGIN!r} and {END!r} once"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_the_permission_table_in_docs_policy_md_is_the_one_the_code_enforces() -> None:
    expected, found = rendered(), documented()
    if found != expected:
        lines = difflib.unified_diff(
            found.splitlines(), expected.splitlines(), "docs/policy.md", "policy.permissions", lineterm=""
        )
        diff = "\n".join(lines)
        raise AssertionError(
            f"docs/policy.md's permission table differs from the code:\n{diff}\n\nthe table to paste:\n{expected}"
        )


def test_every_action_and_task_kind_is_in_the_table() -> None:
    """The rendering leaves nothing out: each action once, each task kind's action a row."""
    rows = [line.split(" | ")[0].removeprefix("| ") for line in rendered().splitlines()]
    for action in Action:
        assert rows.count(f"`{action.value}`") == 1, action
    assert set(DECIDE_TASK.values()) <= set(PERMISSIONS)


def test_a_difference_is_found() -> None:
    """The check is not vacuous: a row changed on the page no longer matches the code."""
    permission = PERMISSIONS[Action.FORCE_ERASURE]
    changed = documented().replace(
        f"| `force_erasure` | {_roles(permission.roles)} |", f"| `force_erasure` | {_roles(frozenset(Role))} |"
    )
    assert changed != documented()
    assert changed != rendered()
