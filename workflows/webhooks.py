"""One workflow per webhook subscription (issue 25): it drains the subscription's events from the
outbox, a round at a time (activities.webhooks), for as long as the subscription is active.

Between rounds it sleeps on a timer: until the earliest retry waiting, or `poll_seconds` (the
latency of a new event when idle, 5 s by default), whichever comes first; at once when a round
stopped at its limit. Nothing on a party's side waits for it or wakes it: a party's write only
adds to the outbox, so a slow or dead subscriber never slows a party. Orchestration only.
"""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.webhooks import WebhookActivities
    from policy.webhooks import DeliveryRound, RoundReport, WebhookDeliveryInput
    from workflows.retries import RECORDS_RETRY

# A round posts up to 200 events with a 10 s limit each, heartbeating after each.
ROUND_TIMEOUT = timedelta(minutes=40)
HEARTBEAT_TIMEOUT = timedelta(seconds=30)
# Rounds per run: each adds a handful of events to the history; then a new run starts it afresh.
ROUNDS_PER_RUN = 500


def workflow_id_for(webhook_id: str) -> str:
    return f"webhook-delivery-{webhook_id}"


@workflow.defn(name="WebhookDelivery")
class WebhookDeliveryWorkflow:
    """Delivers a subscription's events until it is removed."""

    @workflow.run
    async def run(self, inp: WebhookDeliveryInput) -> RoundReport:
        for _ in range(ROUNDS_PER_RUN):
            report = await workflow.execute_activity_method(
                WebhookActivities.deliver_round,
                DeliveryRound(webhook_id=inp.webhook_id, now=workflow.now()),
                start_to_close_timeout=ROUND_TIMEOUT,
                heartbeat_timeout=HEARTBEAT_TIMEOUT,
                retry_policy=RECORDS_RETRY,
                summary="deliver due events",
            )
            if not report.active:
                return report
            if report.more:
                continue
            pause = timedelta(seconds=inp.poll_seconds)
            if report.next_due_at is not None:
                pause = min(pause, max(report.next_due_at - workflow.now(), timedelta(seconds=1)))
            await workflow.sleep(pause, summary="wait for new events or the next retry")
        workflow.continue_as_new(inp.model_copy(update={"rounds": inp.rounds + ROUNDS_PER_RUN}))
