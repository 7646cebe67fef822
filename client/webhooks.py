"""Starting a webhook subscription's delivery workflow (issue 25), for the doors: when operations
add a subscription, and when they replay its deliveries (it may have ended)."""

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from policy.webhooks import WebhookDeliveryInput
from workflows.webhooks import WebhookDeliveryWorkflow, workflow_id_for


async def start_delivery(client: Client, task_queue: str, webhook_id: str, poll_seconds: float) -> None:
    """Start the subscription's delivery workflow, unless it runs already (one per subscription)."""
    await client.start_workflow(
        WebhookDeliveryWorkflow.run,
        WebhookDeliveryInput(webhook_id=webhook_id, poll_seconds=poll_seconds),
        id=workflow_id_for(webhook_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
