"""Bench phases for the contact gate and the bulk import (`--phases gate,import` in bench.run).

- gate: the gate's round trip (`services.contacts.answer_contact`: a query to the
  party's cached workflow, the contact log's count and insert) against the
  status query on the same server, and the history events 100 contacts add to
  the party's workflow;
- import: `services.imports` for N parties (a third with something live, whose
  workflows start), parties and lines a second.
"""

import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from client.parties import PartyClient
from policy.messages import InboundContact, IncidentReport, PartyRef, RestrictionRequest, WarningIssue
from policy.vocabulary import Category, ContactChannel
from records.store import RecordStore
from services.contacts import answer_contact
from services.imports import import_parties, read_lines


def _quantiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:6.1f}  p95 {q[94]:6.1f}  p99 {q[98]:6.1f}  max {max(values):6.1f}"


async def _restricted_party(parties: PartyClient) -> str:
    """A party warned, then restricted to email with a named contact (R6, R8)."""
    pid = f"gate-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    party = PartyRef(party_id=pid)

    def incident(n: int, at: datetime) -> IncidentReport:
        return IncidentReport(
            incident_id=f"{pid}-i{n}",
            party=party,
            category=Category.AGGRESSIVE_OR_ABUSIVE,
            behaviour_code="verbal_abuse",
            occurred_at=at,
            reported_by="colleague-1",
        )

    await parties.report_incident(incident(1, now - timedelta(days=3)))
    await parties.issue_warning(
        WarningIssue(
            warning_id=f"{pid}-w1",
            party_id=pid,
            incident_ids=[f"{pid}-i1"],
            communicated_at=now - timedelta(days=2),
            issued_by="colleague-1",
            reasons="Abuse continued after we asked you to stop.",
        )
    )
    await parties.report_incident(incident(2, now - timedelta(days=1)))
    await parties.apply_restriction(email_only_restriction(pid, now))
    return pid


def email_only_restriction(pid: str, at: datetime) -> RestrictionRequest:
    """A restriction as a manager proposes one after the second incident: email only, to a
    named caseworker (R8)."""
    return RestrictionRequest.model_validate(
        {
            "restriction_id": f"{pid}-r1",
            "party_id": pid,
            "incident_ids": [f"{pid}-i2"],
            "measures": [
                {"measure": "single_contact_channel", "channels": ["email"]},
                {"measure": "single_named_contact", "named_contact": "caseworker-7"},
            ],
            "proposed_by": "manager-1",
            "reasons": "The abuse continued during the warning.",
            "contact_arrangements": "Email caseworker-7 only.",
            "decided_at": at,
        }
    )


async def gate(say: Callable[[str], None], parties: PartyClient, store: RecordStore, samples: int) -> None:
    """The gate's latency against the status query, and history events per 100 contacts."""
    say(f"## Contact gate, {samples} sequential calls each (ms), one party with a cached workflow")
    pid = await _restricted_party(parties)
    await parties.status(pid)  # cached from here on

    def contact(n: int) -> InboundContact:
        return InboundContact(
            contact_id=f"{pid}-c{n}",
            party_id=pid,
            received_at=datetime.now(UTC),
            channel=ContactChannel.PHONE if n % 5 == 0 else ContactChannel.EMAIL,
            to_whom="caseworker-7",
        )

    before = (await parties.handle(pid).describe()).history_length
    timings: dict[str, list[float]] = {"gate: answer_contact": [], "query: gate_view": [], "query: status": []}
    calls: dict[str, Callable[[int], Awaitable[Any]]] = {
        "gate: answer_contact": lambda n: answer_contact(parties, store, contact(n)),
        "query: gate_view": lambda n: parties.gate_view(pid),
        "query: status": lambda n: parties.status(pid),
    }
    for n in range(samples):
        for name, call in calls.items():
            t0 = time.perf_counter()
            await call(n)
            timings[name].append(1000 * (time.perf_counter() - t0))
    for name, values in timings.items():
        say(f"  {name:22s} {_quantiles(values)}")
    after = (await parties.handle(pid).describe()).history_length
    say(
        f"  history events added by {samples} contacts: {after - before} "
        f"({100 * (after - before) / samples:.1f} per 100 contacts); contacts logged: {store.contact_count(pid)}"
    )


def import_lines(n: int, live_every: int = 3) -> list[str]:
    """N parties, four lines each (incident, warning, repeat, restriction): every
    `live_every`-th with its restriction in force, the others long expired."""
    now = datetime.now(UTC)
    lines = []
    for p in range(n):
        pid = f"imp-{p:05d}"
        start = now - timedelta(days=40 if p % live_every == 0 else 3 * 365)
        at = [start, start + timedelta(days=1), start + timedelta(days=9), start + timedelta(days=10)]
        incident = {
            "record": "incident",
            "party": {"party_id": pid},
            "category": "aggressive_or_abusive",
            "behaviour_code": "verbal_abuse",
            "reported_by": "colleague-1",
        }
        lines += [
            json.dumps(incident | {"incident_id": f"{pid}-i1", "occurred_at": at[0].isoformat()}),
            json.dumps(
                {
                    "record": "warning",
                    "warning_id": f"{pid}-w1",
                    "party_id": pid,
                    "incident_ids": [f"{pid}-i1"],
                    "communicated_at": at[1].isoformat(),
                    "issued_by": "colleague-1",
                    "reasons": "Abuse continued after we asked you to stop.",
                }
            ),
            json.dumps(incident | {"incident_id": f"{pid}-i2", "occurred_at": at[2].isoformat()}),
            json.dumps(
                {
                    "record": "restriction",
                    "restriction_id": f"{pid}-r1",
                    "party_id": pid,
                    "incident_ids": [f"{pid}-i2"],
                    "measures": [{"measure": "single_contact_channel", "channels": ["email"]}],
                    "proposed_by": "manager-1",
                    "reasons": "The abuse continued during the warning.",
                    "contact_arrangements": "Email your caseworker only.",
                    "decided_at": at[3].isoformat(),
                }
            ),
        ]
    return lines


async def bulk_import(say: Callable[[str], None], parties: PartyClient, store: RecordStore, n: int) -> None:
    """The import's rate, and a re-run's."""
    say(f"## Bulk import: {n} parties, 4 lines each, a third live (their workflows start)")
    lines = import_lines(n)
    t0 = time.perf_counter()
    grouped, orphans = read_lines(lines)
    parsed = time.perf_counter() - t0
    report = await import_parties(parties, store, grouped)
    took = time.perf_counter() - t0
    assert not orphans and report.parties_imported == n, report.model_dump(exclude={"lines"})
    say(
        f"  {took:.1f} s: {n / took:.0f} parties/s, {len(lines) / took:.0f} lines/s "
        f"(reading and validating {parsed:.1f} s); workflows started: {report.workflows_started}"
    )
    t0 = time.perf_counter()
    again = await import_parties(parties, store, read_lines(lines)[0])
    took = time.perf_counter() - t0
    assert again.parties_already_imported == n
    say(f"  the same file again: {took:.1f} s, nothing imported twice ({again.parties_already_imported} skipped)")
