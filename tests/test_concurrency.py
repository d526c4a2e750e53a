"""Four drainer processes on one outbox, Redis killed mid-run: 0 duplicates, order kept."""

import dataclasses
import json
import pathlib
import shutil
import subprocess
import sys
import time

import pytest
import redis
from conftest import (
    assert_device_order,
    assert_exactly_once,
    fast_config,
    free_port,
    write_config_file,
)
from fiscal_connector.demo import emulator_device, sample_receipt

from fiscal_connector import open_connector

DRAINER = pathlib.Path(__file__).with_name("fiscal_drainer.py")
DRAINERS = 4


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own, on another loopback port, so it can be killed."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/0"
    client.close()
    if process.poll() is None:
        process.kill()
    process.wait(10)


def _wait_until_all_drained_once(logs):
    for _ in range(600):
        if all(log.exists() and "{" in log.read_text() for log in logs):
            return
        time.sleep(0.05)
    raise AssertionError("the drainers did not start")


def test_four_drainers_and_redis_dying(tmp_path, emulator_factory, private_redis):
    redis_process, redis_url = private_redis
    servers = [emulator_factory("atol_web", latency_ms=5), emulator_factory("atol_web",
               latency_ms=5), emulator_factory("atol_online", latency_ms=5)]
    devices = [emulator_device(f"d{n}", servers[n % 3]) for n in range(8)]
    config = dataclasses.replace(fast_config(tmp_path / "outbox.sqlite"), redis_url=redis_url,
                                 lock_expire=3)
    config_file = write_config_file(tmp_path / "connector.json", config, devices)
    stop_file = tmp_path / "enqueued-all"
    keys = []
    conn = open_connector(config, devices)

    def enqueue(first, count):
        for number in range(first, first + count):
            keys.append(f"sale-{number}")
            conn.enqueue(keys[-1], f"d{number % 8}", sample_receipt(number))
            if number % 10 == 9:  # a refund right after, on another device
                keys.append(f"refund-{number}")
                conn.enqueue(keys[-1], f"d{(number + 1) % 8}",
                             sample_receipt(number, "sell_refund"), after_key=f"sale-{number}")

    enqueue(0, 160)
    logs = [tmp_path / f"drainer-{n}.log" for n in range(DRAINERS)]
    drainers = [subprocess.Popen([sys.executable, str(DRAINER), str(config_file), str(log),
                                  str(stop_file)]) for log in logs]
    try:
        _wait_until_all_drained_once(logs)
        enqueue(160, 80)  # more work arrives while they drain
        redis_process.kill()  # Redis dies mid-run
        redis_process.wait(10)
        enqueue(240, 80)
        stop_file.touch()
        codes = [drainer.wait(150) for drainer in drainers]
    finally:
        for drainer in drainers:
            if drainer.poll() is None:
                drainer.kill()
    assert codes == [0] * DRAINERS
    assert_exactly_once(conn, keys, servers)
    assert_device_order(conn, servers, keys)
    # No entry was ever worked by two drainers: each went out in one attempt.
    assert {conn.entry(key)["attempts"] for key in keys} == {1}
    reports = [json.loads(line) for log in logs for line in log.read_text().splitlines()
               if line.startswith("{")]
    assert {report["redis"] for report in reports} == {True, False}
    # They did compete: devices were found locked by another drainer.
    assert any("locked by another drainer" in report["skipped"] for report in reports)
    delivered = {line.split()[0] for log in logs for line in log.read_text().splitlines()
                 if line.endswith(" done")}
    assert delivered == set(keys)
    conn.close()
