"""What one process of the host sees of another's drain, through the outbox file alone:
the circuit breaker without Redis, the device lock through any path to the file, and the
metrics an exporter scrapes while receipts drain."""

import json
import os
import subprocess
import sys
import threading
import time

import requests
from conftest import drain_all, fast_config, free_port, write_config_file
from fiscal_connector.demo import emulator_device, sample_receipt
from fiscal_connector.emulators import EmulatorServer

from fiscal_connector import open_connector

CLI = [sys.executable, "-m", "fiscal_connector.cli"]


def _cli(config_file, *args):
    done = subprocess.run([*CLI, "--config", str(config_file), *args], capture_output=True,
                          text=True, timeout=60, check=False)
    assert "Traceback" not in done.stderr
    return done


def _breaker_seen_by_another_process(config_file):
    return json.loads(_cli(config_file, "--json", "status").stdout)["web"]["breaker"]


def test_without_redis_status_in_another_process_shows_the_drainer_s_breaker(tmp_path):
    server = EmulatorServer("atol_web", tmp_path / "web", port=free_port())
    config = fast_config(tmp_path / "outbox.sqlite", breaker_fail_max=2,
                         breaker_reset_timeout=3.0)
    config_file = write_config_file(tmp_path / "connector.json", config,
                                    [emulator_device("web", server, timeout=0.3)])
    source = tmp_path / "receipts.jsonl"
    source.write_text("".join(json.dumps({"key": f"k{n}", "device": "web",
                                          "receipt": sample_receipt(n)}) + "\n"
                              for n in range(3)))
    assert _cli(config_file, "enqueue", str(source)).returncode == 0
    assert _breaker_seen_by_another_process(config_file) == "closed"
    drainer = subprocess.Popen([*CLI, "--config", str(config_file), "drain", "--seconds", "2"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seen = set()
        for _ in range(40):  # while the drainer runs against nothing
            seen.add(_breaker_seen_by_another_process(config_file))
            if "open" in seen:
                break
            time.sleep(0.1)
        assert "open" in seen, seen
    finally:
        drainer.wait(30)
    status = json.loads(_cli(config_file, "--json", "status").stdout)["web"]
    assert status["breaker"] == "open" and status["breaker_opened_at"] is not None
    assert status["unreachable_since"] is not None
    server.start()
    try:
        time.sleep(3.0)  # the reset timeout: the next call is a trial
        assert _cli(config_file, "drain", "--seconds", "10").returncode == 0
        assert _breaker_seen_by_another_process(config_file) == "closed"
        assert server.documents() == {"k0": 1, "k1": 1, "k2": 1}
    finally:
        server.stop()


def test_every_path_to_one_outbox_shares_one_lock(tmp_path, monkeypatch):
    server = EmulatorServer("atol_web", tmp_path / "web", latency_ms=300).start()
    try:
        real = tmp_path / "data" / "outbox.sqlite"
        real.parent.mkdir()
        device = emulator_device("web", server)
        first = open_connector(fast_config(real), [device])
        for number in range(4):
            first.enqueue(f"k{number}", "web", sample_receipt(number))
        alias = tmp_path / "alias-outbox.sqlite"
        alias.symlink_to(real)
        monkeypatch.chdir(tmp_path)
        through_alias = open_connector(fast_config(alias), [device])
        relative = open_connector(fast_config("data/outbox.sqlite"), [device])
        busy = threading.Thread(target=first.drain, kwargs={"max_seconds": 20})
        busy.start()
        time.sleep(0.5)  # the first drainer holds the device and sends, 0.3 s a call
        for other in (through_alias, relative):
            report = other.drain(max_seconds=1)
            assert report["devices"]["web"]["skipped"] == "locked by another drainer"
        busy.join()
        assert sorted(os.listdir(tmp_path / "data")) == [
            "outbox.sqlite", "outbox.sqlite-shm", "outbox.sqlite-wal", "outbox.sqlite.locks"]
        assert not (tmp_path / "alias-outbox.sqlite.locks").exists()
        drain_all(relative)
        assert server.documents() == {f"k{n}": 1 for n in range(4)}
        for conn in (first, through_alias, relative):
            conn.close()
    finally:
        server.stop()


def _scrape(url):
    samples = {}
    for line in requests.get(url, timeout=5).text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_the_exporter_follows_the_drain(tmp_path):
    server = EmulatorServer("atol_web", tmp_path / "web", port=free_port()).start()
    config = fast_config(tmp_path / "outbox.sqlite", breaker_fail_max=2,
                         breaker_reset_timeout=30.0)
    device = emulator_device("web", server, timeout=0.3)
    config_file = write_config_file(tmp_path / "connector.json", config, [device])
    conn = open_connector(config, [device])
    for number in range(6):
        conn.enqueue(f"k{number}", "web", sample_receipt(number))
    exporter = subprocess.Popen([*CLI, "--config", str(config_file), "metrics", "--port", "0"],
                                stdout=subprocess.PIPE, text=True)
    try:
        url = json.loads(exporter.stdout.readline())["url"]
        pending = 'fiscal_queue_entries{device="web",state="pending"}'
        done = 'fiscal_attempts_total{device="web",result="done"}'
        is_open = 'fiscal_breaker_state{device="web",state="open"}'
        before = _scrape(url)
        assert before[pending] == 6 and before[done] == 0 and before[is_open] == 0
        assert before['fiscal_queue_oldest_waiting_age_seconds{device="web"}'] > 0
        conn.drain(max_seconds=10)
        after = _scrape(url)
        assert after[pending] == 0 and after[done] == 6
        assert after['fiscal_backend_latency_seconds_count{device="web"}'] == 6
        assert after['fiscal_last_success_timestamp_seconds{device="web"}'] > time.time() - 60
        server.stop()  # the register goes away: the breaker opens
        conn.enqueue("k-late", "web", sample_receipt(7))
        conn.drain(max_seconds=2)
        down = _scrape(url)
        assert down[is_open] == 1 and down['fiscal_breaker_state{device="web",state="closed"}'] == 0
        assert down['fiscal_attempts_total{device="web",result="unknown"}'] == 2
        assert down['fiscal_backend_unreachable_since_timestamp_seconds{device="web"}'] > 0
        assert down['fiscal_dead_letters{device="web"}'] == 0
    finally:
        exporter.terminate()
        assert exporter.wait(20) == 0
        conn.close()
        server.stop()
