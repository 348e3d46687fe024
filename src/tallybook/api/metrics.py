"""`/metrics`: what an operator graphs and alerts on, in Prometheus' text format.

- HTTP: requests by method, route template (`/v1/transfers/{transfer_id}`, never the raw path,
  so the label set stays small) and status; latency by method and route.
- Posting engine: batch sizes; per batch the seconds spent getting its locks (SQLite: waiting
  for `BEGIN IMMEDIATE`; PostgreSQL: the FOR SHARE / FOR UPDATE statements and their waits),
  in COMMIT (the fsync) and in the whole transaction; retries after lost races by reason
  (deadlocks and serialization failures, unique keys claimed first, lost connections); and
  the commands waiting in the queue.

Unauthenticated, like `/healthz`: it shows no tenant, account, amount or key, only counts and
timings by route. An operator who does not want it reachable turns it off
(`TALLYBOOK_METRICS_ENABLED=false`) or keeps it off the public proxy. Each app has its own
registry, so several apps (tests) in one process do not collide; with `--workers N` every
worker process answers with its own figures (a scrape sees the worker it lands on).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from starlette.types import Scope

from tallybook.ledger.engine import PostingEngine

BATCH_SIZE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)
SECONDS_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)
UNMATCHED_ROUTE = "<unmatched>"


class Metrics:
    """The app's metrics; it observes the posting engine (see `PostingEngine.observe`)."""

    def __init__(self, engine: PostingEngine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "tallybook_http_requests",
            "HTTP requests answered, by route template and status",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "tallybook_http_request_duration_seconds",
            "time from a request's arrival to the end of its response body",
            ("method", "route"),
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "tallybook_engine_batch_size",
            "commands applied in one committed batch (one transaction)",
            buckets=BATCH_SIZE_BUCKETS,
            registry=self.registry,
        )
        self.lock_seconds = Histogram(
            "tallybook_engine_lock_wait_seconds",
            "per committed batch, time getting its locks (SQLite: BEGIN IMMEDIATE; "
            "PostgreSQL: the FOR SHARE / FOR UPDATE statements, waits included)",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "tallybook_engine_commit_seconds",
            "per committed batch, time in COMMIT (the durable flush)",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.transaction_seconds = Histogram(
            "tallybook_engine_transaction_seconds",
            "per committed batch, the whole transaction, from BEGIN to COMMIT",
            buckets=SECONDS_BUCKETS,
            registry=self.registry,
        )
        self.retries = Counter(
            "tallybook_engine_retries",
            "batch attempts rolled back and tried again, by reason: operational (deadlock, "
            "serialization failure, SQLite busy), integrity (a unique key claimed first by "
            "another process, or a retried request met by an attempt that claimed its keys "
            "without reading them), disconnected",
            ("reason",),
            registry=self.registry,
        )
        self._request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        queued = Gauge(
            "tallybook_engine_queue_depth",
            "commands waiting for the next batch",
            registry=self.registry,
        )
        queued.set_function(lambda: engine.queued)
        engine.observe(self)

    def record_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count and time one answered request. The labelled children are kept per label set
        (there are few: routes are templates), so a request does not pay `labels()`'s lookup
        and lock twice."""
        children = self._request_children.get((method, route, status))
        if children is None:
            children = self._request_children[(method, route, status)] = (
                self.requests.labels(method, route, str(status)),
                self.request_seconds.labels(method, route),
            )
        count, latency = children
        count.inc()
        latency.observe(seconds)

    def observe_request(self, scope: Scope, status: int | None, seconds: float) -> None:
        """A `RequestObserver`: the request counted by its route template (a request that
        ended with no response, its client gone, counts as a 500)."""
        self.record_request(scope["method"], _route_of(scope), status or 500, seconds)

    def batch_committed(
        self, size: int, lock_seconds: float, commit_seconds: float, transaction_seconds: float
    ) -> None:
        self.batch_size.observe(size)
        self.lock_seconds.observe(lock_seconds)
        self.commit_seconds.observe(commit_seconds)
        self.transaction_seconds.observe(transaction_seconds)

    def batch_retried(self, reason: str) -> None:
        self.retries.labels(reason).inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _route_of(scope: Scope) -> str:
    """The matched route's template, with the prefix of a mounted surface in front."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED_ROUTE
    mounted_at = str(scope.get("root_path", ""))[len(str(scope.get("app_root_path", ""))) :]
    return mounted_at + path


def install(app: FastAPI, engine: PostingEngine) -> Metrics:
    """Serve `/metrics` (outside the OpenAPI document). The app times every request and
    tells the returned metrics (`Metrics.observe_request`, see `request_observers`)."""
    metrics = Metrics(engine)

    @app.get("/metrics", include_in_schema=False)
    def serve_metrics() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return metrics
