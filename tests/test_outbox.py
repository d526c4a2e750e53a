"""The SQLite outbox on real files: idempotency, order, claims, recovery, purge, migrations."""

import sqlite3
import threading

import pytest
from fiscal_connector.demo import sample_receipt
from fiscal_connector.errors import IdempotencyConflictError, OutboxError, OutboxFullError
from fiscal_connector.locks import owner_id
from fiscal_connector.outbox import Outbox

from fiscal_connector import hlc
from fiscal_connector import outbox as outbox_module


@pytest.fixture
def outbox(tmp_path):
    box = Outbox(str(tmp_path / "outbox.sqlite"))
    yield box
    box.close()


def test_pragmas_and_schema_version(outbox):
    conn = sqlite3.connect(outbox.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    own = outbox._conn()
    assert own.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert own.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.close()


def test_enqueue_is_idempotent_and_conflicts_on_another_body(outbox):
    body = sample_receipt(1)
    assert outbox.enqueue("k1", "d1", "sell", body) is True
    assert outbox.enqueue("k1", "d1", "sell", dict(body)) is False
    with pytest.raises(IdempotencyConflictError, match="new key"):
        outbox.enqueue("k1", "d1", "sell", sample_receipt(2))
    with pytest.raises(IdempotencyConflictError):
        outbox.enqueue("k1", "d2", "sell", body)
    assert outbox.status()["d1"]["states"] == {"pending": 1}


def test_reference_must_exist_and_not_be_itself(outbox):
    with pytest.raises(OutboxError, match="not in the outbox"):
        outbox.enqueue("r1", "d1", "sell_refund", sample_receipt(1, "sell_refund"), "nope")
    with pytest.raises(OutboxError, match="itself"):
        outbox.enqueue("r1", "d1", "sell_refund", sample_receipt(1, "sell_refund"), "r1")
    assert outbox.entry("r1") is None


def test_fifo_per_device_and_head_of_line(outbox):
    for number in range(3):
        outbox.enqueue(f"a{number}", "d1", "sell", sample_receipt(number))
    outbox.enqueue("b0", "d2", "sell", sample_receipt(9))
    token = owner_id()
    status, row = outbox.claim_head("d1", token, 0.05)
    assert (status, row["key"]) == ("claimed", "a0")
    # A live drainer holds a0: nobody may take a0 or skip past it.
    assert outbox.claim_head("d1", owner_id(), 0.05)[0] == "busy"
    later = row["next_attempt_at"] + 60
    assert outbox.finish(row["id"], token, "retry_wait", next_attempt_at=later)
    status, row = outbox.claim_head("d1", token, 0.05)
    assert (status, row["key"]) == ("wait", "a0")  # not due: the device waits, a1 is not sent
    assert outbox.claim_head("d2", token, 0.05)[1]["key"] == "b0"


def test_a_send_window_lets_due_entries_pass_one_that_waits(outbox):
    outbox.enqueue("a0", "d1", "sell", sample_receipt(0))
    outbox.enqueue("a1", "d1", "sell_refund", sample_receipt(0, "sell_refund"), "a0")
    for number in (2, 3, 4):
        outbox.enqueue(f"a{number}", "d1", "sell", sample_receipt(number))
    token = owner_id()
    _, row = outbox.claim_head("d1", token, 0.05, window=3)
    assert row["key"] == "a0"
    assert outbox.claim_head("d1", token, 0.05, window=3)[0] == "busy"  # one in flight
    outbox.finish(row["id"], token, "unknown", next_attempt_at=row["next_attempt_at"] + 60)
    # a0 waits for its retry and a1, its refund, for a0: a2 goes meanwhile.
    status, row = outbox.claim_head("d1", token, 0.05, window=3)
    assert (status, row["key"]) == ("claimed", "a2")
    assert "waiting for a0" in outbox.entry("a1")["last_error"]
    outbox.finish(row["id"], token, "done", result={"fd": 1})
    _, row = outbox.claim_head("d1", token, 0.05, window=3)
    assert row["key"] == "a3"
    outbox.finish(row["id"], token, "done", result={"fd": 2})
    # The window is the three oldest unfinished entries: a4 is in it now, a2 and a3 done.
    _, row = outbox.claim_head("d1", token, 0.05, window=3)
    assert row["key"] == "a4"
    outbox.finish(row["id"], token, "done", result={"fd": 3})
    status, row = outbox.claim_head("d1", token, 0.05, window=3)
    assert (status, row["key"]) == ("wait", "a1")  # the first due again of the two waiting


def test_claim_is_atomic_between_threads(outbox):
    outbox.enqueue("k", "d1", "sell", sample_receipt(1))
    results = []
    barrier = threading.Barrier(8)

    def claim():
        barrier.wait()
        results.append(outbox.claim_head("d1", owner_id(), 0.05)[0])

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["busy"] * 7 + ["claimed"]


def test_threads_enqueueing_at_once_each_get_their_own_outcome(outbox):
    """A thread finding the writer free commits alone; the others queue and commit as
    a group, where one refused entry (a changed body under a queued key) undoes
    only itself."""
    outbox.enqueue("taken", "d1", "sell", sample_receipt(0))
    outcomes = {}
    barrier = threading.Barrier(8)

    def enqueue_many(thread_number):
        barrier.wait()
        for number in range(40):
            key = f"t{thread_number}-{number}"
            outcomes[key] = outbox.enqueue(key, "d1", "sell", sample_receipt(number))
            try:
                outbox.enqueue("taken", "d1", "sell", sample_receipt(thread_number + 1))
            except IdempotencyConflictError:
                outcomes[f"refused {key}"] = True

    threads = [threading.Thread(target=enqueue_many, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 640 and all(outcomes.values())
    assert outbox.status()["d1"]["states"] == {"pending": 321}
    assert outbox.undelivered() == 321


def test_sending_row_of_a_dead_drainer_is_recovered_as_unknown(outbox):
    outbox.enqueue("k", "d1", "sell", sample_receipt(1))
    dead_owner = "%s|999999999|gone|x" % owner_id().split("|")[0]
    status, row = outbox.claim_head("d1", dead_owner, 0.05)
    assert status == "claimed"
    status, row = outbox.claim_head("d1", owner_id(), 0.05)
    assert status == "claimed"
    assert (row["state"], row["submitted"]) == ("unknown", 1)  # will be asked about, not resent
    # The dead drainer's late write is refused: its claim is gone.
    assert not outbox.finish(row["id"], dead_owner, "done", result={"x": 1})


def test_reference_waits_then_follows_a_dead_letter(outbox):
    outbox.enqueue("sale", "d1", "sell", sample_receipt(1))
    outbox.enqueue("refund", "d2", "sell_refund", sample_receipt(1, "sell_refund"), "sale")
    token = owner_id()
    status, row = outbox.claim_head("d2", token, 0.05)
    assert status == "wait"
    assert "waiting for sale" in outbox.entry("refund")["last_error"]
    _, sale = outbox.claim_head("d1", token, 0.05)
    outbox.finish(sale["id"], token, "dead", last_error="rejected")
    outbox._conn().execute("UPDATE entry SET next_attempt_at = 0 WHERE key = 'refund'")
    assert outbox.claim_head("d2", token, 0.05)[0] == "dead"
    assert "dead letter" in outbox.entry("refund")["last_error"]


def test_dead_letter_retry_keeps_the_key(outbox):
    outbox.enqueue("k", "d1", "sell", sample_receipt(1))
    token = owner_id()
    _, row = outbox.claim_head("d1", token, 0.05)
    outbox.finish(row["id"], token, "dead", last_error="boom")
    assert [r["key"] for r in outbox.dead_letters()] == ["k"]
    outbox.retry_dead("k")
    entry = outbox.entry("k")
    assert (entry["state"], entry["attempts"], entry["submitted"]) == ("pending", 0, 1)
    with pytest.raises(OutboxError, match="not a dead letter"):
        outbox.retry_dead("k")
    with pytest.raises(OutboxError, match="No outbox entry"):
        outbox.retry_dead("missing")


def test_purge_keeps_tombstones(outbox):
    body = sample_receipt(1)
    outbox.enqueue("k", "d1", "sell", body)
    token = owner_id()
    _, row = outbox.claim_head("d1", token, 0.05)
    outbox.finish(row["id"], token, "done", result={"fd_number": 1})
    assert outbox.purge(retention_days=1) == 0
    assert outbox.purge(retention_days=-1) == 1
    assert outbox.entry("k") is None
    assert outbox.enqueue("k", "d1", "sell", body) is False  # purged key stays idempotent
    with pytest.raises(IdempotencyConflictError):
        outbox.enqueue("k", "d1", "sell", sample_receipt(2))
    # A refund of a purged sale has nothing left to wait for.
    assert outbox.enqueue("r", "d1", "sell_refund", sample_receipt(1, "sell_refund"), "k")
    assert outbox.entry("r")["after_key"] is None


def test_status_counts_and_unnotified(outbox):
    outbox.enqueue("k1", "d1", "sell", sample_receipt(1))
    outbox.enqueue("k2", "d1", "sell", sample_receipt(2))
    token = owner_id()
    _, row = outbox.claim_head("d1", token, 0.05)
    outbox.finish(row["id"], token, "done", result={"fd_number": 7})
    status = outbox.status()["d1"]
    assert status["depth"] == 1
    assert status["states"] == {"done": 1, "pending": 1}
    assert status["oldest_pending_age"] >= 0
    assert status["last_success"] is not None
    [note] = outbox.unnotified()
    assert (note["key"], note["result"]) == ("k1", {"fd_number": 7})
    outbox.mark_notified(note["id"], "done")
    assert outbox.unnotified() == []


def test_arrivals_are_counted_before_the_drain_admits_them(tmp_path):
    """An enqueue writes its row and key only; status and the capacity limit count it
    at once, and the first claim admits every arrival into the per-device queues."""
    box = Outbox(str(tmp_path / "outbox.sqlite"), max_entries=3)
    box.enqueue("k1", "d1", "sell", sample_receipt(1))
    box.enqueue("k2", "d2", "sell", sample_receipt(2))
    counters = sqlite3.connect(box.path)
    assert counters.execute("SELECT COUNT(*) FROM stats").fetchone()[0] == 0
    status = box.status()
    assert {device: info["states"] for device, info in status.items()} == {
        "d1": {"pending": 1}, "d2": {"pending": 1}}
    assert status["d1"]["oldest_pending_age"] >= 0
    token = owner_id()
    assert box.claim_head("d2", token, 0.05)[1]["key"] == "k2"
    assert dict(counters.execute("SELECT device, n FROM stats WHERE state = 'pending'")) == {
        "d1": 1, "d2": 0}
    box.enqueue("k3", "d1", "sell", sample_receipt(3))  # admitted 2 + 1 arrival: full
    with pytest.raises(OutboxFullError, match="holds 3 undelivered"):
        box.enqueue("k4", "d1", "sell", sample_receipt(4))
    assert box.status()["d1"]["states"] == {"pending": 2}
    assert box.claim_head("d1", token, 0.05)[1]["key"] == "k1"
    counters.close()
    box.close()


def test_arrivals_are_admitted_a_batch_per_transaction(outbox, monkeypatch):
    monkeypatch.setattr(outbox_module, "ADMIT_BATCH", 2)
    for number in range(5):
        outbox.enqueue(f"a{number}", "d1", "sell", sample_receipt(number))
    outbox.enqueue("b0", "d2", "sell", sample_receipt(9))
    token = owner_id()
    status, row = outbox.claim_head("d2", token, 0.05)  # behind three batches
    assert (status, row["key"]) == ("claimed", "b0")
    admitted = sqlite3.connect(outbox.path).execute("SELECT admitted_up_to FROM intake")
    assert admitted.fetchone()[0] == 6
    assert outbox.status()["d1"]["states"] == {"pending": 5}
    assert outbox.claim_head("d1", token, 0.05)[1]["key"] == "a0"


def test_arrival_after_the_newest_entries_were_purged_is_still_sent(outbox):
    token = owner_id()
    for key in ("k1", "k2"):
        outbox.enqueue(key, "d1", "sell", sample_receipt(1))
        _, row = outbox.claim_head("d1", token, 0.05)
        outbox.finish(row["id"], token, "done", result={"fd_number": 1})
    assert outbox.purge(retention_days=-1) == 2  # the outbox is empty again
    outbox.enqueue("k3", "d1", "sell", sample_receipt(3))
    status, row = outbox.claim_head("d1", token, 0.05)
    assert (status, row["key"], row["id"]) == ("claimed", "k3", 3)  # ids never step back


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "outbox.sqlite"
    Outbox(str(path)).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(OutboxError, match="newer than this connector"):
        Outbox(str(path))


def test_reopen_keeps_entries_and_hlc(tmp_path):
    path = str(tmp_path / "outbox.sqlite")
    box = Outbox(path)
    box.enqueue("k1", "d1", "sell", sample_receipt(1))
    first = box.entry("k1")["hlc"]
    box.close()
    box = Outbox(path)
    box.enqueue("k2", "d1", "sell", sample_receipt(2))
    assert box.entry("k2")["hlc"] > first
    box.close()


def test_queue_order_survives_a_wall_clock_stepping_back(outbox, monkeypatch):
    for number, millis in enumerate((5000, 4000, 4000, 3000, 6000)):
        monkeypatch.setattr(hlc, "wall_millis", lambda millis=millis: millis)
        outbox.enqueue(f"k{number}", "d1", "sell", sample_receipt(number))
    stamps = [hlc.unpack(outbox.entry(f"k{number}")["hlc"]) for number in range(5)]
    # the counter carries the order while the clock is behind; the clock takes over again
    assert stamps == [(5000, 0), (5000, 1), (5000, 2), (5000, 3), (6000, 0)]
    assert outbox.entry("k0")["hlc_text"] == "1970-01-01T00:00:05.000Z/0"


def test_full_logical_counter_carries_into_the_next_millisecond(tmp_path, monkeypatch):
    box = Outbox(str(tmp_path / "outbox.sqlite"))
    box._conn().execute(
        "INSERT INTO entry (key, device, operation, body, hlc, next_attempt_at, "
        "created_at, updated_at) VALUES ('full', 'd1', 'sell', '{}', ?, 0, 0, 0)",
        (hlc.pack(7000, hlc.LOGICAL_MAX),),
    )
    monkeypatch.setattr(hlc, "wall_millis", lambda: 7000)
    box.enqueue("next", "d1", "sell", sample_receipt(1))
    assert hlc.unpack(box.entry("next")["hlc"]) == (7001, 0)
    box.close()


def test_version_1_outbox_is_migrated_in_place(tmp_path, monkeypatch):
    """A v1 file (clock kept in a meta row, counters kept at insert) upgrades and keeps
    its entries, references, counts and order; a tombstone gets its body's hash."""
    path = tmp_path / "outbox.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(dict(outbox_module._migrations())[1])
    conn.execute("PRAGMA user_version = 1")
    stamp = hlc.pack(hlc.wall_millis() + 60_000, 0)  # written by a clock a minute ahead
    conn.execute(
        "INSERT INTO entry (key, device, operation, body, body_hash, hlc, state, "
        "next_attempt_at, created_at, updated_at, done_at) "
        "VALUES ('fiscalized', 'd1', 'sell', '{}', 'y', 1, 'done', 0, 0, 0, 0)"
    )
    conn.execute(
        "INSERT INTO entry (key, device, operation, body, body_hash, hlc, next_attempt_at, "
        "created_at, updated_at) VALUES ('old', 'd1', 'sell', '{}', 'x', ?, 0, 0, 0)",
        (stamp,),
    )
    conn.execute(
        "INSERT INTO entry (key, device, operation, body, body_hash, hlc, next_attempt_at, "
        "after_key, created_at, updated_at) VALUES ('refund', 'd2', 'sell_refund', '{}', 'z', "
        "?, 0, 'old', 0, 0)",
        (stamp + 1,),
    )
    conn.execute("UPDATE meta SET value = ? WHERE name = 'hlc'", (stamp + 1,))
    conn.commit()
    conn.close()
    box = Outbox(str(path))
    assert box.entry("old")["hlc"] == stamp
    box.enqueue("new", "d1", "sell", sample_receipt(1))
    assert box.entry("new")["hlc"] > stamp + 1
    assert box.entry("refund")["after_key"] == "old"
    assert box.status()["d1"]["states"] == {"pending": 2, "done": 1}  # each counted once
    assert box.claim_head("d1", owner_id(), 0.05)[1]["key"] == "old"
    migrated = sqlite3.connect(path)
    tables = migrated.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    assert {"meta", "entry_v3"}.isdisjoint(name for (name,) in tables)
    # the capacity counter: the three entries not done
    assert migrated.execute("SELECT undelivered FROM intake").fetchone()[0] == 3
    migrated.close()
    assert box.purge(retention_days=-1) == 1
    assert box.enqueue("fiscalized", "d1", "sell", {}) is False  # its tombstone: same body
    with pytest.raises(IdempotencyConflictError):
        box.enqueue("fiscalized", "d1", "sell", {"changed": True})
    box.close()


def test_refund_queued_again_after_its_sale_was_purged_is_the_same_entry(outbox):
    outbox.enqueue("sale", "d1", "sell", sample_receipt(1))
    refund = sample_receipt(1, "sell_refund")
    outbox.enqueue("refund", "d2", "sell_refund", refund, "sale")
    token = owner_id()
    _, row = outbox.claim_head("d1", token, 0.05)
    outbox.finish(row["id"], token, "done", result={"fd_number": 1})
    assert outbox.purge(retention_days=-1) == 1
    assert outbox.entry("refund")["after_key"] is None  # the sale is gone
    assert outbox.enqueue("refund", "d2", "sell_refund", refund, "sale") is False
