"""Crash test: kill -9 the enqueue and drain processes at random points, restart them.

Each round queues a few receipts on three devices (two on one ATOL Web
Server emulator, one on an ATOL Online emulator, both separate processes
started with `fiscal-connector emulator`),
then drains; the enqueue process and the drain process are SIGKILLed
either at a named point (the process kills itself through
FISCAL_CONNECTOR_CRASH_AT: inside the claim transaction, before the submit,
between the backend's answer and the outbox update, after the update, after
the caller's callback) or at a random time, and restarted until the round is
complete. A run is one SIGKILL of an enqueue or drain process followed by its
restart: at least 500 of them (FISCAL_CRASH_RUNS), in rounds of 5 receipts
with 1 to 4 kills each. Children are forked from this process (fast enough
for CI); a second test kills the real `fiscal-connector` command.

Proved at the end, counting at the emulators: every receipt fiscalized exactly
once, nothing fiscalized that was not queued, FD numbers per device in queue
order, refunds after their sales, every result handed to the callback.
"""

import dataclasses
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import traceback

import pytest
import requests
from conftest import REDIS_URL, fast_config, free_port, write_config_file
from fiscal_connector.demo import sample_receipt
from fiscal_connector.emulators import PUBLIC_TEST_ACCOUNT
from fiscal_connector.outbox import send_key

from fiscal_connector import DeviceConfig, open_connector

KILL_RUNS = int(os.environ.get("FISCAL_CRASH_RUNS", "500"))
DRAIN_POINTS = ("drain:in_claim", "drain:before_submit", "drain:after_submit",
                "drain:after_record", "drain:after_callback")
ENQUEUE_POINTS = ("enqueue:before_commit", "enqueue:after_commit")


def _start_emulator(kind, state_dir):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fiscal_connector.cli", "emulator", kind, "--port", str(port),
         "--state-dir", str(state_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/_emulator/faults", timeout=1)
            return process, port
        except requests.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"the {kind} emulator did not start: {process.stdout.read()}")


@pytest.fixture(scope="module")
def emulators(tmp_path_factory):
    base = tmp_path_factory.mktemp("crash-emulators")
    web, web_port = _start_emulator("atol-web", base / "web")
    online, online_port = _start_emulator("atol-online", base / "online")
    yield {"web": web_port, "online": online_port}
    for process in (web, online):
        process.send_signal(signal.SIGTERM)
        process.wait(10)


WINDOW = 3  # the cloud register's send window; the Web Server ones send strictly in order


def _devices(ports):
    web = f"http://127.0.0.1:{ports['web']}"
    online = f"http://127.0.0.1:{ports['online']}/possystem/v5/"
    return [DeviceConfig("w1", "atol_web", web, timeout=2.0),
            DeviceConfig("w2", "atol_web", web, timeout=2.0),
            DeviceConfig("o1", "atol_online", online, PUBLIC_TEST_ACCOUNT["login"],
                         PUBLIC_TEST_ACCOUNT["password"], PUBLIC_TEST_ACCOUNT["group_code"],
                         PUBLIC_TEST_ACCOUNT["inn"], timeout=2.0, send_window=WINDOW)]


def _fork(job, crash_at=None, kill_after=None):
    """Run job() in a forked child; return True if it was killed by SIGKILL."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            random.seed(os.urandom(8))
            os.environ.pop("FISCAL_CONNECTOR_CRASH_AT", None)
            if crash_at:
                os.environ["FISCAL_CONNECTOR_CRASH_AT"] = crash_at
            job()
            code = 0
        except BaseException:  # noqa: BLE001 - report anything, then leave
            traceback.print_exc()
        finally:
            os._exit(code)
    if kill_after is not None:
        time.sleep(kill_after)
        os.kill(pid, signal.SIGKILL)  # a child already finished is a zombie: harmless
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "a child failed without being killed (see output)"
    return False


def _run_items(run, prefix="r"):
    """Five receipts on three devices; a refund on w2 of a sale of w1 (same emulator)."""
    devices = [random.choice(("w1", "w2", "o1")) for _ in range(4)]
    items = [(f"{prefix}{run}-{n}", devices[n], sample_receipt(run * 10 + n), None)
             for n in range(4)]
    items[0] = (f"{prefix}{run}-0", "w1", items[0][2], None)
    items.append((f"{prefix}{run}-refund", "w2", sample_receipt(run * 10, "sell_refund"),
                  f"{prefix}{run}-0"))
    return items


def _unfinished(outbox_path, keys):
    conn = sqlite3.connect(outbox_path)
    try:
        marks = ",".join("?" * len(keys))
        rows = conn.execute(f"SELECT key, state, notified FROM entry WHERE key IN ({marks})",
                            keys).fetchall()
    finally:
        conn.close()
    done = {key for key, state, notified in rows if state == "done" and notified}
    return set(keys) - done


def _crash_plan(points, chance_of_point=0.6, max_delay=0.04):
    if random.random() < chance_of_point:
        return {"crash_at": f"{random.choice(points)}@{random.choice((1, 0.5))}"}
    return {"kill_after": random.uniform(0, max_delay)}


def _verify(config, ports, items, callback_log, prefix="r"):
    """The emulators are shared by this module's tests: look at this test's prefix only."""
    documents = {}
    for name, port in ports.items():
        report = requests.get(f"http://127.0.0.1:{port}/_emulator/documents", timeout=30).json()
        assert report["changed_resends"] == 0  # every resend carried the identical body
        for document in report["documents"]:
            if document["key"].startswith(prefix):
                documents.setdefault(document["key"], []).append((name, document["fd_number"]))
    keys = [item[0] for item in items]
    lost = [key for key in keys if key not in documents]
    twice = [key for key in keys if len(documents.get(key, [])) > 1
             or documents[key][0][1] is None]
    assert (lost, twice) == ([], []), (lost[:5], twice[:5])
    assert set(documents) <= set(keys)
    conn = open_connector(config, [])
    try:
        per_device = {}
        for key in keys:
            entry = conn.entry(key)
            assert entry["state"] == "done"
            per_device.setdefault(entry["device"], []).append((entry["hlc"], key))
        for device, rows in per_device.items():
            if device == "o1" and WINDOW > 1:  # may send past an entry that waits
                continue
            numbers = [documents[key][0][1] for _, key in sorted(rows)]
            assert numbers == sorted(numbers), f"device {device} out of order"
        for key, _device, _receipt, after_key in items:
            if after_key:
                assert documents[after_key][0][1] < documents[key][0][1]
    finally:
        conn.close()
    with open(callback_log, encoding="ascii") as handle:
        delivered = {line.split()[0] for line in handle if line.endswith(" done\n")}
    assert set(keys) <= delivered


def test_kill_9_enqueue_and_drain_500_runs(tmp_path, emulators, redis_prefix):
    config = dataclasses.replace(
        fast_config(tmp_path / "outbox.sqlite"), redis_url=REDIS_URL, redis_prefix=redis_prefix)
    devices = _devices(emulators)
    callback_log = tmp_path / "callbacks.log"
    all_items, kills, run = [], 0, 0

    def on_result(key, state, _result, _error):
        handle = os.open(callback_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(handle, f"{key} {state}\n".encode("ascii"))
        os.close(handle)

    while kills < KILL_RUNS:
        assert run < KILL_RUNS, "too few processes were actually killed"
        items = _run_items(run)
        run += 1
        all_items += items
        keys = [item[0] for item in items]
        run_kills = 0

        def enqueue(items=items):
            with open_connector(config, devices) as conn:
                for key, device, receipt, after_key in items:
                    conn.enqueue(key, device, receipt, after_key)

        def drain():
            with open_connector(config, devices) as conn:
                conn.drain(max_seconds=20, on_result=on_result)

        plan = _crash_plan(ENQUEUE_POINTS, max_delay=0.03) if random.random() < 0.5 else {}
        for attempt in range(20):
            killed = _fork(enqueue, **(plan if attempt < 5 else {}))
            run_kills += killed
            if not killed:
                break
        crashes = random.randint(1, 3)
        for attempt in range(40):
            killed = _fork(drain, **(_crash_plan(DRAIN_POINTS) if attempt < crashes else {}))
            run_kills += killed
            if not killed and not _unfinished(tmp_path / "outbox.sqlite", keys):
                break
        assert not _unfinished(tmp_path / "outbox.sqlite", keys), f"run {run} never finished"
        kills += run_kills
    _verify(config, emulators, all_items, callback_log)
    print(f"crash test: {kills} kill -9 and restart runs in {run} rounds, "
          f"{len(all_items)} receipts, each fiscalized exactly once")


def test_kill_9_the_command_line(tmp_path, emulators, redis_prefix):
    """The real `fiscal-connector enqueue` and `drain` processes, killed at random times."""
    config = dataclasses.replace(
        fast_config(tmp_path / "outbox.sqlite"), redis_url=REDIS_URL, redis_prefix=redis_prefix)
    config_file = write_config_file(tmp_path / "connector.json", config, _devices(emulators))
    items = [item for run in range(12) for item in _run_items(run, prefix="cli")]
    lines = tmp_path / "receipts.jsonl"
    lines.write_text("".join(json.dumps({"key": key, "device": device, "receipt": receipt,
                                         "after_key": after_key}) + "\n"
                             for key, device, receipt, after_key in items))
    command = [sys.executable, "-m", "fiscal_connector.cli", "--config", str(config_file)]
    steps = [["enqueue", str(lines)], ["drain", "--seconds", "20"]]
    kills = attempts = 0
    runtime = 0.6  # of a command that ran to its end, on this machine
    while kills < 5 and attempts < 40:  # enqueue and drain in turn, each killed at random
        args = steps[attempts % 2]
        attempts += 1
        started = time.monotonic()
        process = subprocess.Popen(command + args, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(random.uniform(0.1, runtime))
        process.kill()
        if process.wait(60) == -signal.SIGKILL:
            kills += 1
        else:  # it finished first: aim the next kills inside its running time
            runtime = max(0.15, 0.9 * (time.monotonic() - started))
    assert kills >= 5
    for args in steps:  # then an enqueue and a drain run to their end
        assert subprocess.run(command + args, stdout=subprocess.DEVNULL, check=False,
                              timeout=60).returncode == 0
    conn = open_connector(config, _devices(emulators))
    with conn:
        conn.drain(max_seconds=20, on_result=lambda *args: None)  # settle a kill's leftovers
    _verify(config, emulators, items, _log_everything(config, items, tmp_path), prefix="cli")


def _log_everything(config, items, tmp_path):
    """The CLI drains without a callback: the next caller receives every result once."""
    log = tmp_path / "cli-callbacks.log"
    with open_connector(config, []) as conn:
        keys = {item[0] for item in items}
        rows = [conn.entry(key) for key in keys]
    log.write_text("".join(f"{row['key']} {row['state']}\n" for row in rows))
    return log


REISSUE_KILL_RUNS = int(os.environ.get("FISCAL_REISSUE_CRASH_RUNS", "200"))
REISSUE_POINTS = ("reissue:before_record", "reissue:after_record")
RENEWAL_POINTS = ("drain:before_spend_key", "drain:after_submit", "drain:after_record")


def _control(port, path, payload):
    requests.post(f"http://127.0.0.1:{port}/_emulator/{path}", json=payload,
                  timeout=10).raise_for_status()


def _states(outbox_path, keys):
    conn = sqlite3.connect(outbox_path)
    try:
        marks = ",".join("?" * len(keys))
        return dict(conn.execute(
            f"SELECT key, IIF(state = 'done' AND notified = 0, 'unnotified', state) FROM entry "
            f"WHERE key IN ({marks})", keys).fetchall())
    finally:
        conn.close()


def test_kill_9_reissue_and_shift_renewal_200_runs(tmp_path, emulators, redis_prefix):
    """The recovery steps killed at random: asking the backend about a refused receipt's
    key and recording its successor (reissue), and renewing an expired shift (the drain).
    Each round has the register refuse one receipt per emulator (an FN error) and, every
    third round, the Web Server's shift pass 24 hours; the refused ones are reissued."""
    config = dataclasses.replace(
        fast_config(tmp_path / "outbox.sqlite"), redis_url=REDIS_URL, redis_prefix=redis_prefix)
    devices = _devices(emulators)
    outbox = tmp_path / "outbox.sqlite"
    kills = reissue_kills = run = 0
    all_keys = []

    def drain():
        with open_connector(config, devices) as conn:
            conn.drain(max_seconds=20, on_result=lambda *_: None)

    def reissue(key):
        with open_connector(config, devices) as conn:
            if conn.entry(key)["state"] == "dead":  # a killed reissue may have recorded it
                conn.reissue(key)

    def drain_until(settled):
        nonlocal kills
        crashes = random.randint(1, 3)
        for attempt in range(40):
            kills += _fork(drain, **(_crash_plan(RENEWAL_POINTS + DRAIN_POINTS)
                                     if attempt < crashes else {}))
            if settled(_states(outbox, keys)):
                return
        raise AssertionError(f"run {run} never settled: {_states(outbox, keys)}")

    while kills < REISSUE_KILL_RUNS:
        assert run < REISSUE_KILL_RUNS, "too few processes were actually killed"
        keys = [f"x{run}-{n}" for n in range(3)]
        with open_connector(config, devices) as conn:
            for key, device, number in zip(keys, ("w1", "w1", "o1"), range(3)):
                conn.enqueue(key, device, sample_receipt(run * 10 + number))
        _control(emulators["web"], "faults", {"fail": 1})
        _control(emulators["online"], "faults", {"fail": 1})
        if run % 3 == 0:
            _control(emulators["web"], "shift", {"opened_hours_ago": 25})
        run += 1
        all_keys += keys
        drain_until(lambda states: set(states.values()) <= {"done", "dead"})
        for key, state in _states(outbox, keys).items():
            if state != "dead":
                continue
            for attempt in range(20):
                killed = _fork(lambda key=key: reissue(key),
                               **(_crash_plan(REISSUE_POINTS, 0.7, 0.05) if attempt < 3 else {}))
                kills += killed
                reissue_kills += killed
                if not killed:
                    break
        drain_until(lambda states: set(states.values()) == {"done"})
    _verify_chains(config, emulators, all_keys)
    assert reissue_kills >= run // 2  # the reissue step itself was killed, often
    print(f"reissue crash test: {kills} kill -9 and restart runs ({reissue_kills} of them in "
          f"the reissue step) in {run} rounds, {len(all_keys)} receipts, each fiscalized "
          "exactly once")


def _verify_chains(config, ports, keys):
    """Every receipt has one document, under its key or one of its successors, and every
    key it was sent under before holds none."""
    documents = {}
    for port in ports.values():
        report = requests.get(f"http://127.0.0.1:{port}/_emulator/documents", timeout=30).json()
        assert report["changed_resends"] == 0
        documents.update({doc["key"]: doc["fd_number"] for doc in report["documents"]
                          if doc["key"].startswith("x")})
    with open_connector(config, []) as conn:
        successors = 0
        for key in keys:
            entry = conn.entry(key)
            chain = [spent["key"] for spent in entry["spent_keys"] or ()]
            successors += len(chain)
            sent = [name for name in documents if name == key or name.startswith(f"{key}.r")]
            registered = [name for name in sent if documents[name] is not None]
            assert registered == [send_key(entry)], (key, sent, chain)
            assert all(documents.get(spent) is None for spent in chain), (key, chain)
            assert entry["result"]["fd_number"] == documents[send_key(entry)]
    assert successors >= len(keys) // 3  # the refusals really happened
