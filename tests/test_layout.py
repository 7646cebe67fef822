"""The project's layering, read from its imports: each package imports only the
ones below it, and imports on its own.

policy ← records ← activities ← workflows ← worker and client ← services ←
cli, web, devstack ← starter (docs/architecture.md, "Module map"); beside them,
holiday_calendar (bank holidays as data) for activities, services and reports, printing
(letters and other documents as PDF/UA-1) for activities and services, and reports (the
board report) beside services, for cli and web.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "records" / "migrations"

# What each package may import from the project; settings is configuration,
# kept away from the policy and the workflows (which get what they need in
# their input).
MAY_IMPORT: dict[str, set[str]] = {
    "policy": set(),
    "settings": set(),
    # Bank holidays as data: never for workflows (the library's data changes between releases).
    "holiday_calendar": {"policy"},
    "records": {"policy", "settings"},
    # Letters and other documents to the party as HTML and PDF/UA-1: for the letters' activity and the services.
    "printing": {"policy", "settings"},
    "activities": {"policy", "records", "settings", "holiday_calendar", "printing"},
    "workflows": {"policy", "activities"},
    "client": {"policy", "workflows", "settings"},
    "worker": {"policy", "records", "activities", "workflows", "client", "settings"},
    "services": {"policy", "records", "client", "settings", "holiday_calendar", "printing"},
    # The board report (R10a): counts from the records, charts and HTML; no Temporal.
    "reports": {"policy", "records", "settings", "holiday_calendar"},
    "web": {"policy", "records", "client", "services", "reports", "settings"},
    "cli": {"policy", "records", "client", "services", "reports", "settings"},
    "devstack": {"policy", "records", "workflows", "client", "settings"},
    "starter": {"policy", "records", "activities", "workflows", "client", "worker", "services", "printing"}
    | {"reports", "web", "cli", "devstack", "settings"},
}
PROJECT = set(MAY_IMPORT) | {"tests", "bench"}


def _sources(package: str) -> list[Path]:
    module = ROOT / f"{package}.py"
    return [module] if module.exists() else sorted((ROOT / package).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    """The project's top-level packages that `path` imports (absolute imports only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & PROJECT


def test_every_package_is_placed_in_the_layering() -> None:
    top_level = {p.stem for p in ROOT.glob("*.py")} | {
        p.parent.name for p in ROOT.glob("*/__init__.py") if p.parent.name not in ("tests", "bench")
    }
    assert top_level == set(MAY_IMPORT)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_only_packages_below_it(package: str) -> None:
    wrong = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(package)
        for name in _imports(path) - MAY_IMPORT[package] - {package}
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_on_its_own(package: str) -> None:
    """In a fresh interpreter, so no other import has filled sys.modules first.

    Alembic's scripts (`records/migrations/`) are not modules: Alembic runs them
    by path, inside its own environment. Their imports are still held to the
    layering above."""
    modules = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in _sources(package)
        if not path.is_relative_to(MIGRATIONS)
    ]
    code = "\n".join(f"import {m}" for m in modules)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


# What a workflow may not ask the machine for (design/STYLE.md): the worker passes the workflow
# modules through its sandbox (worker.WORKFLOW_RUNNER), which then no longer
# intercepts these calls in them; workflow.now(), workflow.uuid4() and
# workflow.random() are the deterministic ones.
NONDETERMINISTIC = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
    ("uuid", "uuid4"),
    ("random", "random"),
    ("random", "randint"),
    ("random", "choice"),
    ("os", "urandom"),
    ("os", "getenv"),
    ("os", "environ"),
}


def _machine_calls(source: str, name: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source, name)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and (node.value.id, node.attr) in NONDETERMINISTIC
        ):
            found.add(f"{name}:{node.lineno} {node.value.id}.{node.attr}")
    return found


def test_workflows_take_time_and_chance_from_temporal_only() -> None:
    calls = {
        call for path in _sources("workflows") for call in _machine_calls(path.read_text(), str(path.relative_to(ROOT)))
    }
    assert not calls, sorted(calls)


def test_the_check_finds_a_call_to_the_clock() -> None:
    source = "from datetime import datetime\n\n\ndef f():\n    return datetime.now(), workflow.now()\n"
    assert _machine_calls(source, "w.py") == {"w.py:5 datetime.now"}
