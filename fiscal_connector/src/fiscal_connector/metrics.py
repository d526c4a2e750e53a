"""Prometheus metrics of the outbox, for `fiscal-connector metrics` and the Odoo route.

`OutboxCollector(connector)` reads everything from the connector's outbox file
(and Redis for the breaker, where the drain keeps it there) each time it is
scraped, so any process on the host reports what the drainer sees, without
blocking it: reads only, one short transaction each.
"""

import json
import signal
import threading

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import start_wsgi_server

from .outbox import ATTEMPT_RESULTS, DEAD, UNFINISHED

BREAKER_STATES = ("closed", "open", "half-open")
QUEUE_STATES = (*UNFINISHED, DEAD)
# Every metric this collector exports (the alert rules and the dashboard name only these
# and the Odoo route's own).
METRIC_NAMES = (
    "fiscal_queue_entries",
    "fiscal_queue_oldest_waiting_age_seconds",
    "fiscal_attempts_total",
    "fiscal_backend_latency_seconds",
    "fiscal_breaker_state",
    "fiscal_dead_letters",
    "fiscal_last_success_timestamp_seconds",
    "fiscal_backend_unreachable_since_timestamp_seconds",
    "fiscal_device_paused",
    "fiscal_shift_age_seconds",
)


class OutboxCollector:
    """A prometheus_client collector over one open Connector."""

    def __init__(self, connector):
        self.connector = connector

    def collect(self):
        status = self.connector.status()
        counters = self.connector.counters()
        now = self.connector.outbox.clock.time()
        buckets = self.connector.config.latency_buckets
        device = ["device"]
        entries = GaugeMetricFamily("fiscal_queue_entries", "Outbox entries by state",
                                    labels=["device", "state"])
        oldest = GaugeMetricFamily("fiscal_queue_oldest_waiting_age_seconds",
                                   "Age of the oldest receipt not yet fiscalized (0: none)",
                                   labels=device)
        attempts = CounterMetricFamily("fiscal_attempts", "Sending attempts by their result",
                                       labels=["device", "result"])
        latency = HistogramMetricFamily("fiscal_backend_latency_seconds",
                                        "Time one attempt spent with the backend", labels=device)
        breaker = GaugeMetricFamily("fiscal_breaker_state", "Circuit breaker state (1: current)",
                                    labels=["device", "state"])
        dead = GaugeMetricFamily("fiscal_dead_letters", "Receipts the backend refused",
                                 labels=device)
        success = GaugeMetricFamily("fiscal_last_success_timestamp_seconds",
                                    "When a receipt was last fiscalized", labels=device)
        unreachable = GaugeMetricFamily("fiscal_backend_unreachable_since_timestamp_seconds",
                                        "Since when the backend does not answer", labels=device)
        paused = GaugeMetricFamily("fiscal_device_paused",
                                   "1 while the backend refuses the device's settings",
                                   labels=device)
        shift = GaugeMetricFamily("fiscal_shift_age_seconds",
                                  "Age of the register's open shift", labels=device)
        for code, info in status.items():
            for state in QUEUE_STATES:
                entries.add_metric([code, state], info["states"].get(state, 0))
            oldest.add_metric([code], info["oldest_pending_age"] or 0)
            dead.add_metric([code], info["states"].get(DEAD, 0))
            for state in BREAKER_STATES:
                breaker.add_metric([code, state], int(info["breaker"] == state))
            paused.add_metric([code], int(bool(info["paused"])))
            if info["last_success"]:
                success.add_metric([code], info["last_success"])
            if info["unreachable_since"]:
                unreachable.add_metric([code], info["unreachable_since"])
            if info["shift_opened_at"]:
                shift.add_metric([code], now - info["shift_opened_at"])
            counts = counters.get(code, {"attempts": {}, "latency": {}})
            for result in ATTEMPT_RESULTS.values():
                attempts.add_metric([code, result], counts["attempts"].get(result, 0))
            cumulative, points = 0, []
            for bound in (*buckets, float("inf")):
                cumulative += counts["latency"].get(bound, 0)
                points.append(("+Inf" if bound == float("inf") else str(bound), cumulative))
            latency.add_metric([code], points, sum_value=counts.get("latency_sum", 0.0))
        yield from (entries, oldest, attempts, latency, breaker, dead, success, unreachable,
                    paused, shift)


def registry_for(connector):
    registry = CollectorRegistry()  # registering reads nothing: collect runs on a scrape
    registry.register(OutboxCollector(connector))
    return registry


def serve_metrics(connector, host, port):
    """Serve /metrics until SIGINT or SIGTERM; announce the URL as one JSON line."""
    server, thread = start_wsgi_server(port, addr=host, registry=registry_for(connector))
    print(json.dumps({"url": f"http://{host}:{server.server_port}/metrics"}), flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    thread.join()
    return 0
