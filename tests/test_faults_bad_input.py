"""Bad input: clear errors and no partial writes (receipts, keys, damaged file, full disk)."""

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid

import pytest
from conftest import fast_config
from fiscal_connector.demo import emulator_device, sample_receipt
from fiscal_connector.errors import (
    FiscalError,
    OutboxCorruptError,
    OutboxFullError,
    ReceiptValidationError,
)

from fiscal_connector import open_connector


def _bad(mutate):
    receipt = sample_receipt(1)
    mutate(receipt)
    return receipt


BAD_RECEIPTS = {
    "not_a_dict": (lambda: ["sell"], "receipt"),
    "missing_total": (lambda: _bad(lambda r: r.pop("total")), "total"),
    "wrong_line_sum": (lambda: _bad(lambda r: r["items"][0].update(sum="1.00")), "sum"),
    "total_not_lines": (lambda: _bad(lambda r: r.update(total="1.00")), "total"),
    "payments_not_total": (lambda: _bad(lambda r: r["payments"][0].update(sum="1.00")),
                           "payments"),
    "oversize_name": (lambda: _bad(lambda r: r["items"][0].update(name="Л" * 129)), "name"),
    "invalid_inn": (lambda: _bad(lambda r: r["company"].update(inn="5544332210")), "inn"),
    "too_many_decimals": (lambda: _bad(lambda r: r["items"][0].update(quantity="1.0000001")),
                          "quantity"),
    "over_the_limit": (lambda: _bad(lambda r: r["items"][0].update(
        price="100000000.00", sum="100000000.00")), "price"),
    "unknown_vat": (lambda: _bad(lambda r: r["items"][0].update(vat="vat18")), "vat"),
}


@pytest.fixture
def conn(tmp_path, atol_web_emulator):
    connector = open_connector(fast_config(tmp_path / "outbox.sqlite"),
                               [emulator_device("kkt", atol_web_emulator)])
    yield connector
    connector.close()


@pytest.mark.parametrize("case", list(BAD_RECEIPTS), ids=list(BAD_RECEIPTS))
def test_bad_receipt_is_refused_and_nothing_queued(conn, case):
    build, field = BAD_RECEIPTS[case]
    with pytest.raises(ReceiptValidationError) as error:
        conn.enqueue("k1", "kkt", build())
    assert field in str(error.value)
    assert conn.entry("k1") is None
    assert conn.status()["kkt"]["depth"] == 0


@pytest.mark.parametrize("key", ["", "   ", "k" * 129, None])
def test_bad_key_or_device(conn, key):
    with pytest.raises(FiscalError, match="idempotency key"):
        conn.enqueue(key, "kkt", sample_receipt(1))
    with pytest.raises(FiscalError, match="Unknown device 'nope'"):
        conn.enqueue("k", "nope", sample_receipt(1))


def test_capacity_limit_refuses_new_entries_only(tmp_path, atol_web_emulator):
    devices = [emulator_device("kkt", atol_web_emulator)]
    connector = open_connector(fast_config(tmp_path / "o.sqlite", max_entries=3), devices)
    for number in range(3):
        connector.enqueue(f"k{number}", "kkt", sample_receipt(number))
    with pytest.raises(OutboxFullError, match="limit is 3"):
        connector.enqueue("k3", "kkt", sample_receipt(3))
    assert connector.entry("k3") is None and connector.status()["kkt"]["depth"] == 3
    connector.drain(max_seconds=10)
    assert connector.enqueue("k3", "kkt", sample_receipt(3))  # room again once delivered
    connector.close()


def _corrupt_pages(path, first_page=2, pages=3):
    with open(path, "r+b") as handle:
        handle.seek(4096 * (first_page - 1))
        handle.write(os.urandom(4096 * pages))


@pytest.mark.parametrize("damage", ["garbage_pages", "not_sqlite"])
def test_corrupted_outbox_is_reported_never_recreated(tmp_path, damage):
    path = tmp_path / "outbox.sqlite"
    config = fast_config(path)
    connector = open_connector(config, [])
    for number in range(40):
        connector.outbox.enqueue(f"k{number}", "kkt", "sell", sample_receipt(number))
    connector.close()  # the last connection checkpoints the WAL into the file
    if damage == "garbage_pages":
        _corrupt_pages(path)
    else:
        path.write_bytes(b"these are not the receipts you are looking for" * 100)
    before = path.read_bytes()
    # A process checks the file when it first opens it, and on an admin's request.
    checked = subprocess.run([sys.executable, "-m", "fiscal_connector.cli", "--outbox",
                              str(path), "status"], capture_output=True, text=True, check=False)
    assert checked.returncode == 1 and "NOT recreated" in checked.stderr
    assert len(checked.stderr.splitlines()) == 1
    if damage == "not_sqlite":
        with pytest.raises(OutboxCorruptError, match="NOT recreated"):
            open_connector(config, [])
    else:  # opened before in this process: not read whole again, until asked to
        with open_connector(config, [], create=False) as again, pytest.raises(
                OutboxCorruptError, match="NOT recreated"):
            again.check_integrity()
    assert path.read_bytes() == before


def _mount_tmpfs(target, size):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("a small tmpfs needs root to mount (this run is not root)")
    target.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)],
                          capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


def test_full_disk_refuses_the_new_entry_and_keeps_the_queue(tmp_path, atol_web_emulator):
    disk = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    _mount_tmpfs(disk, "1m")
    try:
        path = disk / "outbox.sqlite"
        connector = open_connector(fast_config(path), [emulator_device("kkt", atol_web_emulator)])
        queued = 0
        with pytest.raises(OutboxFullError, match="disk holding the outbox") as error:
            for number in range(2000):
                connector.enqueue(f"k{number}", "kkt", sample_receipt(number))
                queued += 1
        assert "what is already queued is unchanged" in str(error.value)
        assert queued > 10
        assert connector.entry(f"k{queued}") is None  # the refused entry left nothing behind
        assert connector.status()["kkt"]["states"] == {"pending": queued}
        connector.close()
        check = sqlite3.connect(path)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM entry").fetchone()[0] == queued
        check.close()
        # The drain cannot record on a full disk: it stops cleanly, everything stays queued.
        connector = open_connector(fast_config(path), [emulator_device("kkt", atol_web_emulator)])
        report = connector.drain(max_seconds=10)
        assert "disk holding the outbox" in report["devices"]["kkt"]["skipped"]
        connector.close()
        # Once space is freed, what was queued is delivered, exactly once.
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        connector = open_connector(fast_config(path), [emulator_device("kkt", atol_web_emulator)])
        connector.drain(max_seconds=30)
        assert connector.status()["kkt"]["states"] == {"done": queued}
        assert sum(atol_web_emulator.documents().values()) == queued
        connector.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
