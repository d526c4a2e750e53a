"""Every mistake an operator makes at the command line: one line on stderr naming what to
fix, a non-zero exit (2 for bad usage), no traceback, nothing created; and a file of
receipts is read to its end, each line answered with its number."""

import json
import os
import subprocess
import sys

import pytest
from fiscal_connector.demo import emulator_device, sample_receipt

CLI = [sys.executable, "-m", "fiscal_connector.cli"]


def run(*args, status, stdin=None):
    done = subprocess.run([*CLI, *args], capture_output=True, timeout=120, check=False,
                          input=stdin)
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == status, (done.returncode, done.stdout, stderr)
    assert "Traceback" not in stderr
    return done.stdout.decode("utf-8"), stderr


def one_line(stderr):
    lines = stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("fiscal-connector") and ": error: " in lines[0], lines
    return lines[0]


def files_below(folder):
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.fixture
def config_file(tmp_path, atol_web_emulator):
    web = emulator_device("web", atol_web_emulator)
    path = tmp_path / "connector.json"
    path.write_text(json.dumps({"outbox_path": "outbox.sqlite",
                                "devices": {"web": {"backend": "atol_web", "url": web.url}}}))
    return path


def _config(tmp_path, text, name="bad.json"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


CONFIG_MISTAKES = {
    "not a table": ("[1, 2]", "must be a table of settings"),
    "wrong type": ('{"outbox_path": "o.sqlite", "max_entries": "many"}', "is not a number"),
    "negative": ('{"outbox_path": "o.sqlite", "backoff_cap": -5}', "must not be negative"),
    "infinite": ('{"outbox_path": "o.sqlite", "backoff_cap": 1e999}', "must be a number"),
    "fraction where a count": ('{"outbox_path": "o.sqlite", "max_entries": 1.5}',
                               "must be a whole number"),
    "devices not a table": ('{"outbox_path": "o.sqlite", "devices": ["kkt"]}',
                            "devices must be a table"),
    "device not a table": ('{"outbox_path": "o.sqlite", "devices": {"kkt": 5}}',
                           "Device kkt must be a table"),
    "device without url": ('{"outbox_path": "o.sqlite", "devices": {"kkt": {}}}',
                           "Device kkt: url is required"),
    "unknown backend": ('{"outbox_path": "o.sqlite", "devices": {"kkt": '
                        '{"backend": "shtrih", "url": "http://x"}}}', "unknown backend 'shtrih'"),
    "text where a number": ('{"outbox_path": "o.sqlite", "devices": {"kkt": '
                            '{"url": "http://x", "timeout": [1]}}}', "must be a number"),
    "no outbox_path": ('{"redis_url": "redis://127.0.0.1"}', "needs outbox_path"),
    "not JSON": ("{oops", "Cannot parse the configuration"),
    "long value quoted short": ('{"outbox_path": "o.sqlite", "redis_url": ' + json.dumps(
        ["x" * 500]) + "}", "must be a text"),
}


@pytest.mark.parametrize("case", list(CONFIG_MISTAKES), ids=list(CONFIG_MISTAKES))
def test_config_mistakes_are_one_line(tmp_path, case):
    text, message = CONFIG_MISTAKES[case]
    _stdout, stderr = run("--config", _config(tmp_path, text), "status", status=1)
    line = one_line(stderr)
    assert message in line
    assert len(line.replace(str(tmp_path), "")) < 160  # a value is quoted in 80 characters
    assert files_below(tmp_path) == ["bad.json"]


def test_unreadable_config_files(tmp_path):
    assert "Cannot read the configuration" in one_line(
        run("--config", str(tmp_path / "missing.toml"), "status", status=1)[1])
    (tmp_path / "folder.json").mkdir()
    assert "Cannot read the configuration" in one_line(
        run("--config", str(tmp_path / "folder.json"), "status", status=1)[1])
    (tmp_path / "latin.ini").write_bytes("[connector]\noutbox_path = é\n".encode("latin-1"))
    assert "Cannot parse the configuration" in one_line(
        run("--config", str(tmp_path / "latin.ini"), "status", status=1)[1])


@pytest.mark.parametrize("command", [["status"], ["show", "k"], ["dlq", "list"],
                                     ["dlq", "retry", "k"], ["drain", "--seconds", "1"],
                                     ["purge", "--days", "1"], ["check"]])
def test_a_mistyped_outbox_is_refused_and_never_created(tmp_path, command):
    mistyped = tmp_path / "no-such-folder" / "outbx.sqlite"
    line = one_line(run("--outbox", str(mistyped), *command, status=1)[1])
    assert "There is no outbox at" in line and str(mistyped) in line
    assert files_below(tmp_path) == []


USAGE_MISTAKES = {
    "negative seconds": (["drain", "--seconds", "-1"], "--seconds: must be 0 or more"),
    "seconds not a number": (["drain", "--seconds", "soon"], "'soon' is not a number"),
    "negative days": (["purge", "--days", "-2"], "--days: must be 0 or more"),
    "no processes": (["drain", "--processes", "0"], "--processes: must be 1 or more"),
    "negative receipts": (["demo", "--receipts", "-3"], "--receipts: must be 0 or more"),
    "port out of range": (["metrics", "--port", "70000"], "--port: must be 0 to 65535"),
    "device without url": (["--device", "kkt=atol_web", "status"], "expected CODE=BACKEND,URL"),
    "unknown command": (["fiscalize"], "invalid choice"),
}


@pytest.mark.parametrize("case", list(USAGE_MISTAKES), ids=list(USAGE_MISTAKES))
def test_usage_mistakes_exit_2_in_one_line(tmp_path, case):
    args, message = USAGE_MISTAKES[case]
    _stdout, stderr = run("--outbox", str(tmp_path / "o.sqlite"), *args, status=2)
    assert message in one_line(stderr)
    assert files_below(tmp_path) == []


def test_unwritable_state_folder(tmp_path):
    (tmp_path / "a-file").write_text("")
    source = tmp_path / "empty.jsonl"
    source.write_text("")
    line = one_line(run("--outbox", str(tmp_path / "a-file" / "o.sqlite"), "enqueue",
                        str(source), status=1)[1])
    assert f"Cannot use {tmp_path / 'a-file'}" in line


def test_purge_of_everything_asks_for_yes(config_file):
    source = config_file.parent / "empty.jsonl"
    source.write_text("")
    run("--config", str(config_file), "enqueue", str(source), status=0)
    assert "add --yes" in one_line(run("--config", str(config_file), "purge", "--days", "0",
                                       status=1)[1])
    stdout, _ = run("--config", str(config_file), "purge", "--days", "0", "--yes", status=0)
    assert stdout == "purged 0 done entries\n"


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_unreadable_input_file(config_file, what):
    target = config_file.parent / "receipts.jsonl"
    if what == "folder":
        target.mkdir()
    line = one_line(run("--config", str(config_file), "enqueue", str(target), status=1)[1])
    assert f"Cannot read {target}" in line


def test_a_file_is_read_to_its_end_and_every_line_answered(config_file, atol_web_emulator):
    lines = [
        json.dumps({"key": "good-1", "device": "web", "receipt": sample_receipt(1)}).encode(),
        b'{"key": "latin", "device": "web", "receipt": "caf\xe9"}',  # not UTF-8
        b"{not json",
        json.dumps({"key": "refused", "device": "web",
                    "receipt": dict(sample_receipt(2), total="1.00")}).encode(),
        json.dumps({"key": "list-device", "device": ["web"],
                    "receipt": sample_receipt(3)}).encode(),
        json.dumps({"key": "odd-name", "device": "web", "receipt": dict(
            sample_receipt(4), cashier={"name": "LONE"})}).replace("LONE", "\\ud800").encode(),
        b"[1, 2]",
        b"",
        json.dumps({"key": "good-2", "device": "web", "receipt": sample_receipt(5)}).encode(),
    ]
    source = config_file.parent / "receipts.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    stdout, stderr = run("--config", str(config_file), "--json", "enqueue", str(source),
                         status=1)
    rows = [json.loads(line) for line in stdout.splitlines()]
    assert [row["line"] for row in rows] == [1, 2, 3, 4, 5, 6, 7, 9]
    assert rows[0] == {"line": 1, "key": "good-1", "result": "queued"}
    assert rows[7] == {"line": 9, "key": "good-2", "result": "queued"}
    errors = {row["line"]: row["error"] for row in rows if "error" in row}
    assert errors[2].startswith("not UTF-8 text (byte 0xe9")
    assert errors[3].startswith("invalid JSON")
    assert "total" in errors[4]
    assert "device must be given by its code" in errors[5]
    assert "cashier.name" in errors[6] and "surrogate" in errors[6]
    assert "JSON object" in errors[7]
    assert stderr == ""
    text, _ = run("--config", str(config_file), "enqueue", str(source), status=1)
    assert text.splitlines()[0] == "line 1: good-1 already queued"
    assert text.splitlines()[1].startswith("line 2: ERROR not UTF-8 text")
    status = json.loads(run("--config", str(config_file), "--json", "status", status=0)[0])
    assert status["web"]["depth"] == 2


def test_status_tells_a_current_error_from_one_a_later_success_cleared(config_file,
                                                                        atol_web_emulator):
    source = config_file.parent / "receipts.jsonl"
    source.write_text("".join(json.dumps({"key": f"k{n}", "device": "web",
                                          "receipt": sample_receipt(n)}) + "\n"
                              for n in range(2)))
    base = ["--config", str(config_file)]
    run(*base, "enqueue", str(source), status=0)
    atol_web_emulator.set_faults(error_5xx=1)
    run(*base, "drain", "--seconds", "10", status=0)
    status = json.loads(run(*base, "--json", "status", status=0)[0])["web"]
    assert status["last_error"] is None and "HTTP 503" in status["cleared_error"]
    text = run(*base, "status", status=0)[0]
    assert "earlier error, cleared by a later success: " in text
    assert "last error" not in text


def test_the_outbox_is_checked_on_request(config_file):
    source = config_file.parent / "empty.jsonl"
    source.write_text("")
    run("--config", str(config_file), "enqueue", str(source), status=0)
    stdout, _ = run("--config", str(config_file), "check", "--full", status=0)
    assert stdout.endswith(": ok\n")
    assert os.path.exists(config_file.parent / "outbox.sqlite")
