"""drain(processes=N): the devices split among N real drainer processes on one outbox."""

import os
import subprocess
import sys

from conftest import assert_device_order, assert_exactly_once, fast_config, write_config_file
from fiscal_connector.demo import emulator_device, sample_receipt

from fiscal_connector import open_connector


def _enqueue(conn, first, count, devices):
    keys = []
    for number in range(first, first + count):
        keys.append(f"sale-{number}")
        conn.enqueue(keys[-1], f"d{number % devices}", sample_receipt(number))
        if number % 10 == 9:  # a refund on another device, which a drainer process may own
            keys.append(f"refund-{number}")
            conn.enqueue(keys[-1], f"d{(number + 1) % devices}",
                         sample_receipt(number, "sell_refund"), after_key=f"sale-{number}")
    return keys


def test_three_processes_deliver_once_in_order(tmp_path, emulator_factory):
    servers = [emulator_factory("atol_web", latency_ms=2),
               emulator_factory("atol_online", latency_ms=2)]
    devices = [emulator_device(f"d{n}", servers[n % 2]) for n in range(8)]
    conn = open_connector(fast_config(tmp_path / "outbox.sqlite"), devices)
    keys = _enqueue(conn, 0, 120, 8)
    delivered = []
    reports = []
    for _ in range(20):
        reports.append(conn.drain(max_seconds=20, processes=3,
                                  on_result=lambda key, state, *_: delivered.append((key, state))))
        if all(info["depth"] == 0 for info in conn.status().values()):
            break
    first = reports[0]
    assert first["processes"] == 3 and len(set(first["pids"])) == 3
    assert os.getpid() not in first["pids"]
    assert set(first["devices"]) == {device.code for device in devices}
    assert sum(report["done"] for report in reports) == len(keys)
    assert_exactly_once(conn, keys, servers)
    assert_device_order(conn, servers, keys)
    assert {conn.entry(key)["attempts"] for key in keys} == {1}
    assert sorted(delivered) == sorted((key, "done") for key in keys)  # each callback once
    conn.close()


def test_command_line_drain_with_processes(tmp_path, emulator_factory):
    server = emulator_factory("atol_web")
    devices = [emulator_device(f"d{n}", server) for n in range(4)]
    config = fast_config(tmp_path / "outbox.sqlite")
    config_file = write_config_file(tmp_path / "connector.json", config, devices)
    conn = open_connector(config, devices)
    keys = _enqueue(conn, 0, 20, 4)
    done = subprocess.run(
        [sys.executable, "-m", "fiscal_connector.cli", "--config", str(config_file), "drain",
         "--processes", "2", "--seconds", "30"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert f"done={len(keys)}" in done.stdout.splitlines()[0]
    assert_exactly_once(conn, keys, [server])
    conn.close()


def test_many_devices_reports_larger_than_a_pipe(tmp_path, emulator_factory):
    """1000 devices in 2 processes: each report (~72 KiB) is more than a pipe holds."""
    server = emulator_factory("atol_web")
    devices = [emulator_device(f"register-{n:04d}", server) for n in range(1000)]
    conn = open_connector(fast_config(tmp_path / "outbox.sqlite", drain_workers=8), devices)
    conn.enqueue("only-1", "register-0999", sample_receipt(1))
    report = conn.drain(max_seconds=60, processes=2)
    assert len(report["devices"]) == 1000 and len(report["pids"]) == 2
    assert report["done"] == 1 and conn.entry("only-1")["state"] == "done"
    conn.close()
