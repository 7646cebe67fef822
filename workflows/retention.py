"""R3: the retention sweep (a Temporal Schedule, or `ubp retention apply`) and
erasure requests (`ubp party erase`, through the HTTP API). Orchestration only.

Both remove a party the same way (`remove_party`): look at what is live, in
the party's file and in Temporal; refuse if anything is, unless forced; delete
the party workflow's runs; then remove the file. Each ends with one line in the
removal log: who, when, how many, why, never the content.

Any Temporal client can start either workflow, so neither takes its word for
anything: an erasure request is carried out only under the door's seal, made
for this erasure and used once (policy.authority); a sweep's retention period
and time zone are the worker's own settings (activities.retention), whatever
its input says.
"""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import ValidationError

    from activities.retention import RetentionActivities
    from policy import authority
    from policy.payloads import (
        ErasureOutcome,
        ErasureRequest,
        PartyCheck,
        PartyFileErasure,
        PartyFileHold,
        PartyRunsRemoval,
        RemovalRecord,
        RemovalTotals,
        RetentionQuery,
        RetentionSweepInput,
    )
    from policy.vocabulary import RemovalKind, RemovalOutcome
    from workflows import trust
    from workflows.party import workflow_id_for
    from workflows.retries import RECORDS_RETRY, RECORDS_TIMEOUT

# Parties looked at per run; a full batch continues as new, so the history stays short.
SWEEP_BATCH = 100
# Temporal's own API: describe, list and delete, retried while the server is away.
TEMPORAL_TIMEOUT = timedelta(minutes=2)
TEMPORAL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
# Who the removal log names for an erasure request the door did not seal: nobody was signed in.
UNAUTHENTICATED = "unauthenticated"
# The erasure workflow's type: the door starts it by name, for its input is taken raw.
ERASURE_WORKFLOW = "PartyErasure"


async def remove_party(party_id: str, *, force: bool) -> ErasureOutcome:
    """Remove one party's file and workflow runs, unless anything about it is live and not `force`.

    The file is held first: a run of the party's workflow that starts from then on (a message
    arrived) waits to read the file until it is erased, or the hold released, so no run starts
    from a file about to go and writes it back (records.retention.hold_file)."""
    workflow_id = workflow_id_for(party_id)
    hold = PartyFileHold(party_id=party_id, erasure_id=workflow.info().workflow_id, at=workflow.now())
    await workflow.execute_activity_method(
        RetentionActivities.hold_party_file,
        hold,
        start_to_close_timeout=RECORDS_TIMEOUT,
        retry_policy=RECORDS_RETRY,
        summary=f"hold the file of {party_id}",
    )
    check = await workflow.execute_activity_method(
        RetentionActivities.check_party,
        PartyCheck(party_id=party_id, workflow_id=workflow_id, now=workflow.now()),
        start_to_close_timeout=TEMPORAL_TIMEOUT,
        retry_policy=TEMPORAL_RETRY,
        summary=f"what is live for {party_id}",
    )
    live = check.live + (["its workflow is running"] if check.running else [])
    if live and not force:
        await workflow.execute_activity_method(
            RetentionActivities.release_party_file,
            hold,
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
            summary=f"release the file of {party_id}",
        )
        return ErasureOutcome(party_id=party_id, erased=False, live=live)
    runs = await workflow.execute_activity_method(
        RetentionActivities.delete_party_runs,
        PartyRunsRemoval(workflow_id=workflow_id, force=force),
        start_to_close_timeout=TEMPORAL_TIMEOUT,
        retry_policy=TEMPORAL_RETRY,
        summary=f"delete the runs of {workflow_id}",
    )
    # A run running now (left alone) started after the check, so after the hold: it waits
    # to read the file, holding nothing of it, and starts from none once it is erased.
    erased = await workflow.execute_activity_method(
        RetentionActivities.erase_party_file,
        PartyFileErasure(party_id=party_id),
        start_to_close_timeout=RECORDS_TIMEOUT,
        retry_policy=RECORDS_RETRY,
        summary=f"remove the file of {party_id}",
    )
    return ErasureOutcome(
        party_id=party_id, erased=True, live=live, forced=bool(live), executions=runs.deleted, rows=erased.rows
    )


async def record(removal: RemovalRecord) -> None:
    await workflow.execute_activity_method(
        RetentionActivities.record_removal,
        removal,
        start_to_close_timeout=RECORDS_TIMEOUT,
        retry_policy=RECORDS_RETRY,
        summary=f"log the {removal.kind.value}",
    )


@workflow.defn(name="RetentionSweep")
class RetentionSweepWorkflow:
    """Removes every party's file past the retention period, and its workflow runs,
    except where anything is live; logs how many went and how many were held."""

    @workflow.run
    async def run(self, inp: RetentionSweepInput) -> RemovalTotals:
        sweep_id = inp.sweep_id or workflow.info().workflow_id
        # The cutoff moves with each run's time, counted back by the worker's own retention
        # period (never `inp.years`); a batch only ever looks at parties after the last.
        party_ids = await workflow.execute_activity_method(
            RetentionActivities.retention_candidates,
            RetentionQuery(now=workflow.now(), after=inp.after, limit=SWEEP_BATCH),
            start_to_close_timeout=RECORDS_TIMEOUT,
            retry_policy=RECORDS_RETRY,
            summary="parties past the retention period",
        )
        totals = inp.totals.model_copy(deep=True)
        for party_id in party_ids:
            totals.add(await remove_party(party_id, force=False))
        if len(party_ids) == SWEEP_BATCH:
            workflow.continue_as_new(
                inp.model_copy(update={"sweep_id": sweep_id, "after": party_ids[-1], "totals": totals})
            )
        await record(
            RemovalRecord(
                log_id=sweep_id,
                kind=RemovalKind.RETENTION_SWEEP,
                outcome=RemovalOutcome.DONE,
                at=workflow.now(),
                by=inp.by,
                reason=inp.reason,
                totals=totals,
            )
        )
        workflow.logger.info("retention sweep: %d removed, %d held", totals.parties, totals.held)
        return totals


@workflow.defn(name=ERASURE_WORKFLOW)
class PartyErasureWorkflow:
    """An erasure request for one party: refused while anything is live unless forced
    (by a senior role, checked by the door and again here); logged either way.

    A request that came unencrypted or does not parse, has no door's seal, was sealed
    for another erasure, or was carried out already (a copy of a sealed request
    started again) erases nothing: the refusal is logged, naming nobody as asking.
    The input is taken raw, so that a malformed one is refused instead of failing
    every workflow task."""

    @workflow.run
    async def run(self, raw: RawValue) -> ErasureOutcome:
        log_id = workflow.info().workflow_id
        request, refusal = _request(raw)
        if request is not None and refusal is None:
            refusal = await _seal_refusal(request, log_id)
        if refusal is not None:
            workflow.logger.warning("erasure request refused: %s", refusal)
            await record(
                RemovalRecord(
                    log_id=log_id,
                    kind=RemovalKind.ERASURE_REQUEST,
                    outcome=RemovalOutcome.REFUSED,
                    at=workflow.now(),
                    by=UNAUTHENTICATED,
                    reason=f"refused: {refusal}",
                    party_id=request.party_id if request is not None else None,
                    totals=RemovalTotals(),
                )
            )
            if request is None:
                raise ApplicationError(f"refused: {refusal}", type="InvalidErasureRequest", non_retryable=True)
            return ErasureOutcome(party_id=request.party_id, erased=False, refusal=refusal)
        assert request is not None
        outcome = await remove_party(request.party_id, force=request.force)
        totals = RemovalTotals()
        totals.add(outcome)
        await record(
            RemovalRecord(
                log_id=log_id,
                kind=RemovalKind.ERASURE_REQUEST,
                outcome=RemovalOutcome.DONE if outcome.erased else RemovalOutcome.REFUSED,
                at=workflow.now(),
                by=request.requested_by,
                role=request.role,
                reason=request.reason,
                party_id=request.party_id,
                forced=outcome.forced,
                totals=totals,
            )
        )
        return outcome


def _request(raw: RawValue) -> tuple[ErasureRequest | None, str | None]:
    """The request in the run's input, if it parses, and why it may not be carried out as it
    came (unencrypted, undecryptable, malformed); the reason never quotes its content."""
    refusal = authority.payload_refusal(raw.payload.metadata)
    if raw.payload.metadata.get("encoding") == authority.UNDECRYPTABLE:
        return None, refusal
    try:
        request = workflow.payload_converter().from_payload(raw.payload, ErasureRequest)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in err.errors())
        return None, refusal or f"not a valid erasure request: {problems}"
    except (KeyError, ValueError, TypeError) as err:
        return None, refusal or f"not a valid erasure request: {type(err).__name__}"
    return request, refusal


async def _seal_refusal(request: ErasureRequest, log_id: str) -> str | None:
    """Why the request may not be carried out; None when the door sealed it for this erasure,
    and no erasure by this id is in the removal log yet."""
    refusal = trust.verifier().refusal(authority.ERASE_PARTY, request)
    if refusal is not None:
        return refusal
    if request.erasure_id != log_id:
        return "the door sealed this request for another erasure"
    recorded = await workflow.execute_activity_method(
        RetentionActivities.removal_recorded,
        log_id,
        start_to_close_timeout=RECORDS_TIMEOUT,
        retry_policy=RECORDS_RETRY,
        summary="is this erasure in the removal log already",
    )
    return "this erasure was carried out already: a sealed request is used once" if recorded else None
