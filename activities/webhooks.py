"""Delivering events to a webhook subscription (issue 25): HTTP POSTs signed by the Standard
Webhooks specification, and what became of each, in the records database.

One round (`deliver_round`): turn new events into the subscription's deliveries, then for each
party whose earliest pending delivery is due, post it and, while that succeeds, the party's
next ones. A failure is recorded with its next attempt (policy.webhooks.next_attempt) and holds
back only that party. Each attempt is recorded as soon as it is made, so a crash repeats at most
the one in flight (at least once: receivers de-duplicate on `webhook-id`).

The secret is read from the records database, unsealed with the key ring here, and used only
here: it never enters Temporal (a round's input and report name the subscription only), nor a
log. A plain `def`: it blocks on the database and on HTTP, in the worker's thread pool.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks import Webhook
from temporalio import activity

from activities.database import retryable_database_errors
from policy.webhooks import DeliveryRound, DeliveryStatus, RoundReport, body, next_attempt
from records.store import RecordStore
from records.tables import DeliveryRow, WebhookRow
from records.webhooks import WebhookBook

# One request's limit: a slow subscriber holds a round this long at most per request.
REQUEST_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
# What is kept of a failure's answer: enough to tell what went wrong, never the whole body.
ERROR_CHARS = 300


class WebhookActivities:
    """The delivery activity, bound to the records database and what opens the sealed secrets.

    Args:
        store: The records database.
        unseal: Opens a subscription's sealed secret (its key id, sealed bytes and id): the worker
            gives `client.sealed.unseal` with its key ring.
    """

    def __init__(
        self,
        store: RecordStore,
        unseal: Callable[[str, bytes, str], str],
    ) -> None:
        self._book = WebhookBook(store.engine)
        self._unseal = unseal

    @activity.defn
    def deliver_round(self, work: DeliveryRound) -> RoundReport:
        with retryable_database_errors():
            return self._round(work)

    def _round(self, work: DeliveryRound) -> RoundReport:
        if not self._book.enqueue(work.webhook_id, work.now):
            return RoundReport(active=False)
        webhook = self._book.webhook(work.webhook_id)
        assert webhook is not None
        # Standard Webhooks' own library signs (rather than our own HMAC): the receiver checks
        # with the same library, or the specification, and the two cannot drift apart.
        signer = Webhook(self._unseal(webhook.secret_key_id, webhook.secret_sealed, webhook.webhook_id))
        report = RoundReport(active=True)
        heads, _ = self._book.due_heads(work.webhook_id, work.now, work.max_requests)
        requests = 0
        with httpx.Client(timeout=REQUEST_TIMEOUT, follow_redirects=False) as http:
            for head in heads:
                delivery: DeliveryRow | None = head
                while delivery is not None and requests < work.max_requests:
                    activity.heartbeat(delivery.position)
                    requests += 1
                    status = self._attempt(http, signer, webhook, delivery, work.now)
                    if status == DeliveryStatus.DELIVERED:
                        report.delivered += 1
                        following = self._book.next_pending(work.webhook_id, delivery.party_id)
                        delivery = following if following and following.next_attempt_at <= work.now else None
                    else:
                        report.failed += status == DeliveryStatus.FAILED
                        report.retrying += status == DeliveryStatus.PENDING
                        delivery = None
                if requests >= work.max_requests:
                    break
        # After this round's attempts: what is due at once (a round cut short), and the next retry.
        due, report.next_due_at = self._book.due_heads(work.webhook_id, work.now, 1)
        report.more = bool(due)
        return report

    def _attempt(
        self, http: httpx.Client, signer: Webhook, webhook: WebhookRow, delivery: DeliveryRow, now: datetime
    ) -> DeliveryStatus:
        """Post one event; record what came of it. Returns its status now."""
        event = self._book.event_at(delivery.position)
        if event is None:
            # Its party's file was erased (R3) since it was owed: nothing is left to send.
            self._book.record_attempt(delivery.delivery_key, {"status": DeliveryStatus.FAILED.value})
            return DeliveryStatus.FAILED
        payload = body(
            event.event_id,
            event.type,
            event.party_id,
            event.party_seq,
            event.at,
            event.data,
            set(webhook.text_fields),
        )
        # The wall clock, not the workflow's: the receiver checks the timestamp against its own.
        sent_at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": event.event_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signer.sign(event.event_id, sent_at, payload),
        }
        first = delivery.first_attempt_at or now
        values: dict[str, Any] = {"attempts": delivery.attempts + 1, "first_attempt_at": first, "last_attempt_at": now}
        try:
            answer = http.post(webhook.url, content=payload.encode(), headers=headers)
        except httpx.HTTPError as err:
            values |= {"last_status": None, "last_error": f"{type(err).__name__}: {err}"[:ERROR_CHARS]}
        else:
            if answer.is_success:
                values |= {
                    "status": DeliveryStatus.DELIVERED.value,
                    "delivered_at": now,
                    "last_status": answer.status_code,
                }
                self._book.record_attempt(delivery.delivery_key, values)
                return DeliveryStatus.DELIVERED
            values |= {"last_status": answer.status_code, "last_error": answer.text[:ERROR_CHARS]}
        again = next_attempt(first, delivery.attempts + 1, now)
        if again is None:
            values["status"] = DeliveryStatus.FAILED.value
        else:
            values["next_attempt_at"] = again
        self._book.record_attempt(delivery.delivery_key, values)
        return DeliveryStatus.FAILED if again is None else DeliveryStatus.PENDING
