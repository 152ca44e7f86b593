"""Prometheus metrics of one service process (prometheus_client, text exposition format).

HTTP requests are counted by route template, method and status, with a latency histogram. The
event kit's figures are read when scraped: events consumed, handled, duplicates and dead-lettered
(worker), events published (relay), the outbox backlog (rows not yet published, from the
database) and the consumer lag per partition. Background loops (periodic.py) count their rounds and
errors by loop name.

Under gunicorn several worker processes answer HTTP: with PROMETHEUS_MULTIPROC_DIR set (the web
role sets it) each writes its counters to files there and a scrape of any of them adds them up.
"""
from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

PREFIX = "mutual_deploy"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# worker.stats key -> (metric, help)
WORKER_COUNTERS = {
    "consumed": ("events_consumed", "Records taken from the broker"),
    "handled": ("events_handled", "Events handled (state changed, id recorded in the inbox)"),
    "duplicates": ("events_duplicate", "Redelivered events the inbox dropped"),
    "deadlettered": ("events_deadlettered", "Records sent to the dead-letter topic with a reason"),
    "other_mode": ("events_other_mode", "Events of another mode or exercise, skipped"),
    "retries": ("worker_database_retries", "Batches retried because the database was unreachable"),
    "rewinds": ("worker_rewinds", "Times the broker lost its log and partitions were read again"),
}


class ServiceMetrics:
    """The registry of one service process; `render()` is the body of GET /metrics."""

    def __init__(self, service: str, runtime=None):
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(f"{PREFIX}_http_requests", "HTTP requests by route, method and status",
                                ["service", "route", "method", "status"], registry=self.registry)
        self.latency = Histogram(f"{PREFIX}_http_request_duration_seconds", "HTTP request latency",
                                 ["service", "route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.auth_failures = Counter(f"{PREFIX}_auth_failures", "Requests refused for a missing, bad or expired "
                                     "token (401), by reason", ["service", "reason"], registry=self.registry)
        self.auth_throttled = Counter(f"{PREFIX}_auth_throttled", "Requests refused (429) because their client "
                                      "failed to authenticate too often", ["service"], registry=self.registry)
        # background loops (common/periodic.py), by loop name
        self.loop_runs = Counter(f"{PREFIX}_loop_runs", "Rounds of a background loop, failed or not",
                                 ["service", "loop"], registry=self.registry)
        self.loop_errors = Counter(f"{PREFIX}_loop_errors", "Rounds of a background loop whose step raised "
                                   "(logged; the loop goes on)", ["service", "loop"], registry=self.registry)
        self.loop_last_success = Gauge(f"{PREFIX}_loop_last_success_timestamp_seconds", "Unix time of the last "
                                       "round of a background loop that ended without an error",
                                       ["service", "loop"], registry=self.registry, multiprocess_mode="max")
        self.kit = KitCollector(service, runtime) if runtime is not None else None
        if self.kit is not None:
            self.registry.register(self.kit)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(self.service, route, method, str(status)).inc()
        self.latency.labels(self.service, route, method).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # HTTP counters of every gunicorn worker
            if self.kit is not None:
                registry.register(self.kit)
        return generate_latest(registry), CONTENT_TYPE_LATEST


class KitCollector:
    """Reads the runtime's relay, worker and outbox figures at scrape time."""

    def __init__(self, service: str, runtime):
        self.service, self.runtime = service, runtime

    def describe(self):
        return []  # figures are read at scrape time only: registering must not touch the database

    def collect(self):
        rt, labels = self.runtime, [self.service]
        published = CounterMetricFamily(f"{PREFIX}_events_published", "Outbox events the relay published",
                                        labels=["service"])
        published.add_metric(labels, rt.relay.stats["published"])
        yield published
        errors = CounterMetricFamily(f"{PREFIX}_relay_errors", "Relay rounds that failed (broker or database)",
                                     labels=["service"])
        errors.add_metric(labels, rt.relay.stats["errors"])
        yield errors
        backlog = GaugeMetricFamily(f"{PREFIX}_outbox_backlog", "Outbox rows committed but not yet published",
                                    labels=["service"])
        stored = GaugeMetricFamily(f"{PREFIX}_deadletters_stored", "Dead letters recorded in this service's database",
                                   labels=["service"])
        try:
            backlog.add_metric(labels, rt.outbox_backlog())
            stored.add_metric(labels, rt.deadletters_stored())
        except Exception:  # database down: /ready says so; the scrape still answers
            pass
        yield backlog
        yield stored
        if rt.worker is None:
            return
        for key, (name, text) in WORKER_COUNTERS.items():
            family = CounterMetricFamily(f"{PREFIX}_{name}", text, labels=["service"])
            family.add_metric(labels, rt.worker.stats.get(key, 0))
            yield family
        lag = GaugeMetricFamily(f"{PREFIX}_consumer_lag", "Records behind the end of each assigned partition",
                                labels=["service", "group", "topic", "partition"])
        for (topic, partition), value in sorted(rt.worker.lag.items()):
            lag.add_metric([self.service, rt.worker.group_id, topic, str(partition)], value)
        yield lag
