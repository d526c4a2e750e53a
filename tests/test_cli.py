"""The `fiscal-connector` command line, run as a real process."""

import json
import signal
import subprocess
import sys
import time

import pytest
import requests
from conftest import free_port
from fiscal_connector.demo import emulator_device, sample_receipt

CLI = [sys.executable, "-m", "fiscal_connector.cli"]


def run(*args, status=0):
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == status, (done.returncode, done.stdout, done.stderr)
    return done


def _config_text(kind, outbox, devices):
    if kind == "json":
        return json.dumps({"outbox_path": str(outbox), "backoff_cap": 5,
                           "devices": {code: dict(settings) for code, settings in devices}})
    if kind == "toml":
        lines = [f'outbox_path = "{outbox}"', "backoff_cap = 5"]
        for code, settings in devices:
            lines.append(f"[devices.{code}]")
            lines += [f'{name} = "{value}"' for name, value in settings]
        return "\n".join(lines) + "\n"
    lines = ["[connector]", f"outbox_path = {outbox}", "backoff_cap = 5"]
    for code, settings in devices:
        lines.append(f"[device:{code}]")
        lines += [f"{name} = {value}" for name, value in settings]
    return "\n".join(lines) + "\n"


def _write_config(kind, tmp_path, atol_web_emulator, atol_online_emulator):
    web = emulator_device("web", atol_web_emulator)
    cloud = emulator_device("cloud", atol_online_emulator)
    devices = [(device.code, [(name, getattr(device, name)) for name in
                              ("backend", "url", "login", "password", "group_code",
                               "company_inn", "timeout") if getattr(device, name) != ""])
               for device in (web, cloud)]
    path = tmp_path / f"connector.{kind}"
    path.write_text(_config_text(kind, tmp_path / "outbox.sqlite", devices))
    return path


@pytest.mark.parametrize("kind", ["json", "toml", "ini"])
def test_config_file_formats(kind, tmp_path, atol_web_emulator, atol_online_emulator):
    path = _write_config(kind, tmp_path, atol_web_emulator, atol_online_emulator)
    empty = tmp_path / "nothing.jsonl"
    empty.write_text("")
    assert run("--config", str(path), "enqueue", str(empty)).stdout == "nothing to queue\n"
    status = json.loads(run("--config", str(path), "--json", "status").stdout)
    assert status == {code: {"depth": 0, "oldest_pending_age": None, "states": {},
                             "last_success": None, "last_error": None, "last_error_kind": None,
                             "cleared_error": None, "unreachable_since": None, "paused": None,
                             "paused_kind": None, "paused_at": None, "shift_opened_at": None,
                             "shift_renewed_at": None, "breaker": "closed",
                             "breaker_opened_at": None}
                      for code in ("cloud", "web")}


def test_help_documents_the_config_file():
    text = run("--help").stdout
    for word in ("TOML", "INI", "[device:kkt1]", "outbox_path", "status", "dlq", "emulator",
                 "demo", "--json"):
        assert word in text


def test_enqueue_drain_show_status_dlq(tmp_path, atol_web_emulator, atol_online_emulator):
    config_file = _write_config("json", tmp_path, atol_web_emulator, atol_online_emulator)
    lines = [{"key": f"k{n}", "device": ("web", "cloud")[n % 2], "receipt": sample_receipt(n)}
             for n in range(4)]
    lines.append({"key": "k0-refund", "device": "web",
                  "receipt": sample_receipt(0, "sell_refund"), "after_key": "k0"})
    lines.append({"key": "k-last", "device": "cloud", "receipt": sample_receipt(7)})
    source = tmp_path / "receipts.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    base = ["--config", str(config_file), "--json"]

    queued = [json.loads(line) for line in run(*base, "enqueue", str(source)).stdout.splitlines()]
    assert [row["result"] for row in queued] == ["queued"] * 6
    again = [json.loads(line) for line in run(*base, "enqueue", str(source)).stdout.splitlines()]
    assert again[0] == {"line": 1, "key": "k0", "result": "already queued"}

    status = json.loads(run(*base, "status").stdout)
    assert status["web"]["depth"] == 3 and status["cloud"]["states"] == {"pending": 3}
    atol_online_emulator.set_faults(reject=1)  # the register refuses k1, the cloud's first
    report = json.loads(run(*base, "drain", "--seconds", "20").stdout)
    assert (report["done"], report["dead"]) == (5, 1)

    shown = json.loads(run(*base, "show", "k0-refund").stdout)
    assert shown["state"] == "done" and shown["result"]["fd_number"] > 0
    assert "refused the document" in run("--config", str(config_file), "show", "k1").stdout
    dead = json.loads(run(*base, "dlq", "list").stdout)
    assert [row["key"] for row in dead] == ["k1"]
    run(*base, "dlq", "retry", "k1")
    assert json.loads(run(*base, "show", "k1").stdout)["state"] == "pending"
    error = run("--config", str(config_file), "dlq", "retry", "k2", status=1).stderr
    assert "not a dead letter" in error
    assert atol_online_emulator.documents().get("k1", 0) == 0
    run(*base, "drain", "--seconds", "20")
    assert atol_online_emulator.documents()["k1"] == 1
    text = run("--config", str(config_file), "status").stdout
    assert "web" in text and "closed" in text


def test_dlq_reissue_sends_a_refused_receipt_under_a_successor(tmp_path, atol_web_emulator,
                                                               atol_online_emulator):
    config_file = _write_config("json", tmp_path, atol_web_emulator, atol_online_emulator)
    source = tmp_path / "receipts.jsonl"
    source.write_text(json.dumps({"key": "fn-refused", "device": "web",
                                  "receipt": sample_receipt(1)}) + "\n")
    base = ["--config", str(config_file)]
    run(*base, "enqueue", str(source))
    atol_web_emulator.set_faults(fail=1)  # an FN error: the register keeps nothing
    run(*base, "drain", "--seconds", "10")
    assert run(*base, "dlq", "reissue", "fn-refused").stdout == (
        "fn-refused: fn-refused holds no document; queued again as fn-refused.r1\n")
    run(*base, "drain", "--seconds", "10")
    assert atol_web_emulator.documents() == {"fn-refused": 0, "fn-refused.r1": 1}
    error = run(*base, "dlq", "reissue", "fn-refused", status=1).stderr
    assert error.count("\n") == 1 and "done, not a dead letter" in error
    source.write_text(json.dumps({"key": "http-rejected", "device": "web",
                                  "receipt": sample_receipt(2)}) + "\n")
    run(*base, "enqueue", str(source))
    atol_web_emulator.set_faults(reject=1)  # HTTP 400 on POST: the register keeps nothing
    run(*base, "drain", "--seconds", "10")
    assert run(*base, "dlq", "reissue", "http-rejected").stdout == (
        "http-rejected: the backend never received it; queued again under it\n")
    run(*base, "drain", "--seconds", "10")
    assert atol_web_emulator.documents()["http-rejected"] == 1


def test_errors_are_clear(tmp_path):
    assert "--config" in run("status", status=1).stderr
    (tmp_path / "o.sqlite").write_bytes(b"")  # an empty file is an empty database
    assert "No outbox entry" in run("--outbox", str(tmp_path / "o.sqlite"), "show", "x",
                                    status=1).stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"outbox_path": "o.sqlite", "colour": "red"}')
    assert "The connector: unknown settings colour" in run("--config", str(bad), "status",
                                                       status=1).stderr
    (tmp_path / "junk.sqlite").write_bytes(b"junk" * 2000)
    assert "damaged" in run("--outbox", str(tmp_path / "junk.sqlite"), "status", status=1).stderr
    refused = run("--outbox", str(tmp_path / "o.sqlite"), "drain", "--processes", "0", status=2)
    assert "--processes: must be 1 or more" in refused.stderr


def test_emulator_command_serves_until_terminated(tmp_path):
    port = free_port()
    process = subprocess.Popen([*CLI, "emulator", "atol-web", "--port", str(port),
                                "--state-dir", str(tmp_path / "emu")],
                               stdout=subprocess.PIPE, text=True)
    try:
        announced = json.loads(process.stdout.readline())
        assert announced["url"] == f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                held = requests.get(f"http://127.0.0.1:{port}/_emulator/documents", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert held.json()["counts"] == {}
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0


def test_demo_runs_without_odoo(tmp_path):
    summary = json.loads(run("--json", "demo", "--receipts", "6",
                             "--state-dir", str(tmp_path)).stdout)
    assert summary["receipts"] == 7 and summary["documents"] == 7
    assert (summary["lost"], summary["duplicates"]) == (0, 0)
