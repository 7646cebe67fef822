"""Proof with a client the project did not write (issue 25): `openapi-python-client` generates a
Python client from the running API's `/openapi.json`, without a hand edit, and a case system
uses it to report, ask, warn and restrict, and to read the feed; the webhook receiver checks
each delivery with `standardwebhooks` and against that feed."""

import asyncio
import importlib
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from policy.events import EventType
from policy.vocabulary import Role
from settings import PROJECT_ROOT
from tests.helpers import in_the_sqlite_pass_only
from tests.test_webhooks import CASE_SYSTEM, check_against_feed, subscribed
from tests.webhook_receiver import caught_up

GENERATOR = PROJECT_ROOT / ".venv-openapi" / "bin" / "openapi-python-client"
COLLEAGUE = "col-1"
PACKAGE = "ubp_generated_client"

pytestmark = [
    pytest.mark.skipif(
        not GENERATOR.exists(),
        reason="the client generator is not installed: scripts/setup.sh puts it in .venv-openapi",
    ),
    in_the_sqlite_pass_only("the OpenAPI document and the client generated from it"),
]


def generate(document: dict[str, Any], folder: Path) -> Any:
    """The client generated from `document` into `folder`, imported."""
    (folder / "openapi.json").write_text(json.dumps(document))
    done = subprocess.run(
        [GENERATOR, "generate", "--path", folder / "openapi.json", "--output-path", folder / PACKAGE, "--meta", "none"],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
        # Its post-generation formatting runs the ruff beside it.
        env=os.environ | {"PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ['PATH']}"},
        timeout=120,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "Warning" not in said, said
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))


def _module(client: Any, path: str) -> Any:
    return importlib.import_module(f"{client.__name__}.{path}")


async def test_a_generated_client_reports_asks_warns_and_restricts_and_reads_the_feed(
    time_skipping_env, parties, store, settings, monkeypatch, tmp_path
):
    store.add_staff(COLLEAGUE, "Colleague", [Role.COLLEAGUE])
    async with subscribed(parties, store, settings, monkeypatch, poll_seconds=1) as hooks:
        generated = await asyncio.to_thread(generate, (await hooks.api.get("/openapi.json")).json(), tmp_path)
        try:
            await _drive(generated, hooks, store, time_skipping_env)
        finally:
            for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
                del sys.modules[name]


async def _drive(generated: Any, hooks: Any, store: Any, env: Any) -> None:
    models = _module(generated, "models")
    calls = "api.case_systems."
    report = _module(generated, calls + "report_incident_parties_party_id_incidents_post")
    ask = _module(generated, calls + "record_ask_parties_party_id_asks_post")
    warn = _module(generated, calls + "issue_warning_parties_party_id_warnings_post")
    restrict = _module(generated, calls + "apply_restriction_parties_party_id_restrictions_post")
    events = _module(generated, "api.events.events_events_get")
    colleague = generated.AuthenticatedClient(base_url=hooks.ubp.url, token=hooks.ubp.token(store, COLLEAGUE))
    case_system = generated.AuthenticatedClient(base_url=hooks.ubp.url, token=hooks.ubp.token(store, CASE_SYSTEM))

    now = await env.get_current_time()
    party_id = "p-generated-1"

    def at(days: float) -> str:
        return (now - timedelta(days=days)).isoformat()

    async def incident(incident_id: str, days: float) -> None:
        body = models.IncidentReportBodyType4.from_dict(
            {
                "incident_id": incident_id,
                "party": {"party_id": party_id, "kind": "individual"},
                "category": "aggressive_or_abusive",
                "behaviour_code": "verbal_abuse",
                "occurred_at": at(days),
                "channel": "phone",
                "summary": "Shouted at the caseworker",
            }
        )
        outcome = await report.asyncio(party_id, client=colleague, body=body)
        assert isinstance(outcome, models.IncidentOutcome), outcome

    await incident("i-1", 3)
    asked = await ask.asyncio(
        party_id,
        client=colleague,
        body=models.AskRecordBody.from_dict({"ask_id": "a-1", "incident_ids": ["i-1"], "asked_at": at(3)}),
    )
    assert isinstance(asked, models.CommandOutcome), asked
    await incident("i-2", 2)
    warned = await warn.asyncio(
        party_id,
        client=colleague,
        body=models.WarningIssueBody.from_dict(
            {"warning_id": "w-1", "incident_ids": ["i-2"], "communicated_at": at(2), "reasons": "It went on."}
        ),
    )
    assert isinstance(warned, models.CommandOutcome), warned
    await incident("i-3", 1)
    restricted = await restrict.asyncio(
        party_id,
        client=colleague,
        body=models.RestrictionRequestBody.from_dict(
            {
                "restriction_id": "r-1",
                "incident_ids": ["i-3"],
                "measures": ["single_named_contact"],
                "reasons": "It went on during the warning.",
                "contact_arrangements": "Your caseworker, by email.",
                "decided_at": at(0.01),
            }
        ),
    )
    assert isinstance(restricted, models.CommandOutcome), restricted
    assert restricted.restriction.status.value == "in_force"

    fed = await caught_up(hooks.receiver, hooks.api, hooks.reader)
    check_against_feed(hooks, fed)
    # The feed through the generated client, page by page, as the case system.
    read: list[Any] = []
    after: Any = generated.types.UNSET
    while True:
        page = await events.asyncio(client=case_system, after=after, party=party_id, limit=4)
        assert isinstance(page, models.EventPage), page
        if not page.events:
            break
        read += page.events
        after = page.next_
    assert [(e.id, e.sequence) for e in read] == [(e["id"], e["sequence"]) for e in fed]
    types = {e.type_.value for e in read}
    assert {
        EventType.INCIDENT_RECORDED,
        EventType.ASK_RECORDED,
        EventType.WARNING_GIVEN,
        EventType.WARNING_HELD_OPEN,
        EventType.RESTRICTION_IN_FORCE,
        EventType.STAGE_CHANGED,
    } <= types, types
