"""The API's Prometheus metrics: its own requests, and the figures operators act on.

Request metrics are labelled by route template (`/parties/{party_id}/incidents`),
never by the path a caller sent: party ids are personal data, and one series per
party would swamp Prometheus. The product's gauges are counted from the records
database at each scrape (`records.figures`), so every API replica reports the
same values and nothing is kept in memory between scrapes.
"""

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from records.figures import Figures
from records.store import RecordStore

# Requests that matched no route (404s) share one label.
UNMATCHED = "unmatched"


class ApiMetrics:
    """One registry per app, so apps built in tests do not share counts.

    Args:
        store: The records database, counted at each scrape.
    """

    def __init__(self, store: RecordStore) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "ubp_api_requests",
            "HTTP requests answered, by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "ubp_api_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            ["method", "route"],
            registry=self.registry,
        )
        self.registry.register(_FiguresCollector(store))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request."""
        self._requests.labels(method, route, str(status)).inc()
        self._latency.labels(method, route).observe(seconds)

    def exposition(self) -> bytes:
        """Every metric in Prometheus's text format; reads the records database (blocking)."""
        return generate_latest(self.registry)


class _FiguresCollector(Collector):
    def __init__(self, store: RecordStore) -> None:
        self._store = store

    def describe(self) -> list[Metric]:
        # Without this, registering would count (query the database) at once.
        return []

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ubp_records_database_up", "1 if the records database answered this scrape, else 0")
        try:
            figures = self._store.figures()
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _gauges(figures)


def _gauges(figures: Figures) -> Iterator[Metric]:
    for name, description, counts in (
        ("ubp_open_tasks", "Open human tasks, by kind", figures.open_tasks),
        ("ubp_escalated_tasks", "Open tasks escalated to the alternates, by kind", figures.escalated_tasks),
        ("ubp_overdue_tasks", "Open tasks undecided past their escalation due date, by kind", figures.overdue_tasks),
    ):
        gauge = GaugeMetricFamily(name, description, labels=["kind"])
        for kind, count in counts.items():
            gauge.add_metric([kind.value], count)
        yield gauge
    for name, description, value in (
        ("ubp_restrictions_in_force", "Restrictions in force, every party", figures.restrictions_in_force),
        ("ubp_rejected_messages", "Signals the party workflows could not apply, on file", figures.rejected_messages),
        ("ubp_queued_notices", "Notices to staff waiting for the notice dispatch", figures.queued_notices),
        ("ubp_undeliverable_notices", "Notices to staff that could not be delivered", figures.undeliverable_notices),
    ):
        yield GaugeMetricFamily(name, description, value=value)
