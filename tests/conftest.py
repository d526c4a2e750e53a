"""Shared fixtures for the tests that run without Odoo.

Fiscal connector tests use the real Redis at 127.0.0.1:6379 (each test under
its own key prefix, deleted afterwards), real SQLite files in tmp dirs and the
real emulators over HTTP (fixtures_emulators).
"""

import dataclasses
import importlib.util
import json
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from fiscal_connector.clock import SYSTEM_CLOCK, Clock

from fiscal_connector import ConnectorConfig, open_connector

pytest_plugins = ["fixtures_emulators"]

REDIS_URL = "redis://127.0.0.1:6379/0"


def load_addon_module(addon, filename):
    """A module of an addon that does not import Odoo, loaded from its file."""
    path = Path(__file__).resolve().parents[1] / "addons" / addon / filename
    spec = importlib.util.spec_from_file_location(f"{addon}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fast_config(outbox_path, **overrides):
    """Settings with short backoffs and timers, so faults settle within a test."""
    values = {"backoff_base": 0.01, "backoff_cap": 0.2, "poll_interval": 0.05,
              "poll_budget": 1.0, "breaker_fail_max": 50, "breaker_reset_timeout": 1.0,
              "lock_expire": 10}
    values.update(overrides)
    return ConnectorConfig(str(outbox_path), **values)


class SimulatedClock(Clock):
    """Time that passes as the connector waits: every wait or sleep moves the clock on by
    what was asked and takes a millisecond, so hours of backoff pass in seconds. The
    circuit breaker (pybreaker) keeps real time: give it a short reset timeout."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ahead = 0.0

    def advance(self, seconds):
        with self._lock:
            self._ahead += max(seconds, 0.0)

    def time(self):
        return time.time() + self._ahead

    def monotonic(self):
        return time.monotonic() + self._ahead

    def sleep(self, seconds):
        self.advance(seconds)
        time.sleep(0.001)

    def wait(self, event, seconds):
        if event.is_set():
            return True
        self.advance(seconds)
        return event.wait(0.001)


def write_config_file(path, config, devices):
    """The JSON config file the command line (and helper processes) read."""
    settings = {name: value for name, value in dataclasses.asdict(config).items()
                if value is not None}
    settings["devices"] = {device.code: {name: value for name, value in
                                         dataclasses.asdict(device).items() if name != "code"}
                           for device in devices}
    path.write_text(json.dumps(settings))
    return path


@pytest.fixture
def redis_prefix():
    """A unique Redis key prefix; every key under it is deleted after the test."""
    prefix = f"test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def connector_factory(tmp_path, redis_prefix):
    """connector_factory(devices, redis=True, clock=..., **settings) -> an open Connector
    (closed after)."""
    opened = []

    def make(devices, redis_enabled=True, outbox_path=None, clock=SYSTEM_CLOCK, **settings):
        config = fast_config(outbox_path or tmp_path / "outbox.sqlite", **settings)
        if redis_enabled:
            config = dataclasses.replace(config, redis_url=REDIS_URL, redis_prefix=redis_prefix)
        conn = open_connector(config, devices, clock=clock)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


def drain_all(conn, rounds=40, max_seconds=10, on_result=None):
    """Drain until no entry is unfinished (or the rounds run out); return the reports."""
    reports = []
    for _ in range(rounds):
        reports.append(conn.drain(max_seconds=max_seconds, on_result=on_result))
        if all(info["depth"] == 0 for info in conn.status().values()):
            break
    return reports


def assert_exactly_once(conn, keys, servers):
    """Every key fiscalized exactly once across the emulators, nothing else was, and every
    resend under a key carried the identical body."""
    held = {}
    for server in servers:
        report = server.report()
        assert report["changed_resends"] == 0
        for key, count in report["counts"].items():
            held[key] = held.get(key, 0) + count
    for key in keys:
        row = conn.entry(key)
        assert row["state"] == "done", (key, row["state"], row["last_error"])
        assert held.get(key) == 1, (key, held.get(key))
    fiscalized = {key for key, count in held.items() if count}
    assert fiscalized <= set(keys), fiscalized - set(keys)


def assert_device_order(conn, servers, keys):
    """Per device, FD numbers grow in the outbox's HLC order."""
    documents = {}
    for server in servers:
        for document in server.report()["documents"]:
            documents[document["key"]] = (server.url, document["fd_number"])
    by_device = {}
    for key in keys:
        row = conn.entry(key)
        by_device.setdefault(row["device"], []).append((row["hlc"], key))
    for device, rows in by_device.items():
        numbers = [documents[key] for _, key in sorted(rows)]
        for (url_a, fd_a), (url_b, fd_b) in zip(numbers, numbers[1:]):
            assert url_a != url_b or fd_a < fd_b, (device, numbers)
