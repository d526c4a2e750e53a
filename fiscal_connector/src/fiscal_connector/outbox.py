"""The durable outbox: one SQLite file holding every document to fiscalize.

Every write is one short BEGIN IMMEDIATE transaction on a WAL database with
synchronous=FULL, so a committed entry survives a power cut and a crash leaves
each row in a state the next drain knows how to resume. State changes made by
a drainer are conditional on its claim token, so a drainer that lost its row
to crash recovery can never overwrite what another one recorded.
"""

import contextlib
import hashlib
import importlib.resources
import json
import logging
import os
import random
import re
import signal
import sqlite3
import threading
import uuid

import orjson

from . import hlc
from .clock import SYSTEM_CLOCK
from .errors import (
    IdempotencyConflictError,
    OutboxCorruptError,
    OutboxError,
    OutboxFullError,
    quoted,
)
from .locks import owner_is_dead

_logger = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
DONE = "done"
RETRY_WAIT = "retry_wait"
UNKNOWN = "unknown"
DEAD = "dead"
STATES = (PENDING, SENDING, DONE, RETRY_WAIT, UNKNOWN, DEAD)
UNFINISHED = (PENDING, SENDING, RETRY_WAIT, UNKNOWN)
# Entries in the per-device queues: the predicate of the partial index entry_queue.
# Not an IN list of the four unfinished states: SQLite would build a temporary
# b-tree for it each time a statement runs.
_QUEUED = "admitted = 1 AND state NOT IN ('done', 'dead')"

MAX_KEY_LENGTH = 128  # ATOL Online's external_id limit, the stricter of the two protocols
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_NOTADB = 26
_MIGRATION_NAME = re.compile(r"^(\d{4})_\w+\.sql$")
# A claim older than this is stale even if its drainer runs on another host: one
# attempt is bounded by HTTP timeouts and the poll budget, far below it.
STALE_CLAIM_SECONDS = 600
# Arrivals admitted per claim transaction: about 20 ms of write lock, so a sale's
# enqueue never waits long behind a drain that catches up on a large backlog.
ADMIT_BATCH = 1000
_ADMITTED_UP_TO = "(SELECT admitted_up_to FROM intake)"
# What the metrics call the outcome of an attempt, by the state it left the entry in.
ATTEMPT_RESULTS = {DONE: "done", RETRY_WAIT: "retry", UNKNOWN: "unknown", DEAD: "dead"}
# Files whose integrity this process has checked: a long-lived process (Odoo's cron
# host) opens its outbox on every run, and a check reads the whole file.
_checked_files = set()
# The admission mark beside the newest entry (none in an empty outbox): one row.
_NEWEST = "intake LEFT JOIN entry AS newest ON newest.id = (SELECT MAX(id) FROM entry)"
# From it: the newest entry's id and stamp for the next id and the clock, the
# admission mark and the count of admitted entries not yet done for the capacity.
_INTAKE_COLUMNS = (
    "COALESCE(newest.id, 0), COALESCE(newest.hlc, 0), intake.admitted_up_to, intake.undelivered"
)
_INTAKE = f"SELECT {_INTAKE_COLUMNS} FROM {_NEWEST}"
# What an enqueue reads, in one row: the above, and whether the key was purged.
_ENQUEUE_CONTEXT = (
    f"SELECT {_INTAKE_COLUMNS}, EXISTS (SELECT 1 FROM purged WHERE key = ?) FROM {_NEWEST}"
)
# A plain VALUES insert: an INSERT ... SELECT reading the entry table itself would
# have SQLite copy the row through a temporary table first. Parameters are
# numbered: binding a tuple is the cheaper. It writes the row and its key only;
# the drain admits it into the queue (see _admit_arrivals).
_INSERT_ENTRY = (
    "INSERT INTO entry (id, key, device, operation, body, hlc, next_attempt_at, after_key, "
    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?7, ?7) "
    "ON CONFLICT (key) DO NOTHING"
)


# Moves an entry's send key to its spent keys (parameters: spent key, reason, now x3):
# sent afresh under the successor, nothing submitted under it yet.
_SPEND_KEY = (
    "spent_keys = json_insert(COALESCE(spent_keys, '[]'), '$[#]', "
    "json_object('key', ?, 'reason', ?, 'at', ?)), submitted = 0, backend_ref = NULL, "
    "next_attempt_at = ?, updated_at = ?"
)


def _undelivered(newest_id, admitted_up_to, undelivered_admitted):
    """Entries not yet done (dead letters included): the admitted ones, counted by
    triggers, plus the arrivals, whose ids run on from admitted_up_to."""
    return undelivered_admitted + max(0, newest_id - admitted_up_to)


def _sha256_hex(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical_json(data):
    """Sorted keys, no spaces, UTF-8 as is: the same text for the same document, so
    it identifies it (character for character what json.dumps(sort_keys=True,
    separators=(",", ":"), ensure_ascii=False) writes, at a seventh of the cost)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode("utf-8")


_crash_spec_of_process = {}


def crashpoint(name):
    """Crash-test hook: FISCAL_CONNECTOR_CRASH_AT=name[@chance][,...] SIGKILLs the process here."""
    # Read once per process (a forked child reads it again): it is on every sale's path.
    spec = _crash_spec_of_process.get(os.getpid())
    if spec is None:
        spec = os.environ.get("FISCAL_CONNECTOR_CRASH_AT", "")
        _crash_spec_of_process[os.getpid()] = spec
    if not spec:
        return
    for item in spec.split(","):
        point, _, chance = item.partition("@")
        if point == name and random.random() < float(chance or 1):
            os.kill(os.getpid(), signal.SIGKILL)


def _migrations():
    folder = importlib.resources.files("fiscal_connector") / "migrations"
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.read_text(encoding="utf-8")))
    return sorted(found)


def successor_key(key, number):
    """The key of the `number`-th successor of `key` (0: the key itself): derived, so a
    process that lost track of it sends the same one again and the backend's dedup holds."""
    if not number:
        return key
    successor = f"{key}.r{number}"
    if len(successor) <= MAX_KEY_LENGTH:
        return successor
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fiscal-successor:{key}:{number}"))


def send_key(row):
    """The key an entry row is sent under now: its own, or its newest successor's."""
    spent = row.get("spent_keys")
    if isinstance(spent, str):
        spent = json.loads(spent)
    return successor_key(row["key"], len(spent or ()))


def _row_dict(row):
    data = dict(row)
    for name in ("body", "result", "backend_ref", "spent_keys", "late_correction"):
        if data.get(name):
            data[name] = json.loads(data[name])
    data["hlc_text"] = hlc.to_text(data["hlc"])
    return data


class Outbox:
    """Entries of the outbox, each moving pending -> sending -> done (or retry_wait,
    unknown, dead). Safe to use from several threads (one connection per thread)
    and several processes (SQLite locking)."""

    def __init__(self, path, max_entries=100000, integrity_check="quick", *, clock=SYSTEM_CLOCK,
                 create=True):
        self.path = os.path.abspath(path)
        if not create and not os.path.isfile(self.path):
            raise OutboxError(f"There is no outbox at {self.path}: check the path "
                              "(--outbox, or outbox_path in the configuration)")
        self.max_entries = max_entries
        self.clock = clock
        self._local = threading.local()
        self._connections = []
        self._guard = threading.Lock()
        # Threads of this process queue here for the single SQLite writer: a thread
        # waiting on SQLite's busy handler would sleep in steps of up to 100 ms.
        self._writer = threading.Lock()
        self._waiting = []  # group commit: operations queued for the next leader
        self._group = threading.Condition()
        self._leading = False
        conn = self._conn()
        identity = self.identity()
        if identity not in _checked_files:
            self.check_integrity(full=integrity_check == "full")
            _checked_files.add(identity)
        self._migrate(conn)

    def identity(self):
        """The file itself (device and inode), the same through every path that leads to it."""
        info = os.stat(self.path)
        return info.st_dev, info.st_ino

    # -- connections and errors ---------------------------------------------

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            self._local.synchronous = "FULL"
            with self._guard:
                self._connections.append(conn)
        return conn

    def _open(self):
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            raise OutboxError(f"The outbox folder {folder} does not exist")
        try:
            conn = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL").fetchone()
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            # a purged entry's tombstone keeps the hash of its body (see purge)
            conn.create_function("sha256_hex", 1, _sha256_hex, deterministic=True)
            return conn
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def _translate(self, error):
        code = (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF
        text = str(error)
        if code == _SQLITE_FULL or "disk is full" in text:
            return OutboxFullError(
                f"The disk holding the outbox {self.path} is full: nothing was written and "
                "what is already queued is unchanged. Free disk space, then try again."
            )
        if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "not a database" in text:
            return self._corrupt(text)
        return OutboxError(f"Outbox {self.path}: {text}")

    def _corrupt(self, detail):
        detail = " ".join(detail.split())  # SQLite's report spans lines: the message is one
        return OutboxCorruptError(
            f"The outbox file {self.path} is damaged ({detail}). It was NOT recreated, so the "
            "receipts it holds are not lost: stop the drain, keep the file and restore it from "
            "a backup or recover it with `sqlite3 FILE .recover`, then start again."
        )

    def check_integrity(self, full=False):
        """PRAGMA quick_check (integrity_check when `full`); OutboxCorruptError if damaged."""
        pragma = "integrity_check" if full else "quick_check"
        try:
            rows = [row[0] for row in self._conn().execute(f"PRAGMA {pragma}")]
        except sqlite3.Error as error:
            raise self._translate(error) from error
        if rows != ["ok"]:
            raise self._corrupt("; ".join(rows[:3]))

    def _migrate(self, conn):
        migrations = _migrations()
        latest = migrations[-1][0]
        with self._write() as tx:
            version = tx.execute("PRAGMA user_version").fetchone()[0]
            if version > latest:
                raise OutboxError(
                    f"The outbox {self.path} has schema version {version}, newer than this "
                    f"connector knows ({latest}): upgrade the connector"
                )
            # One transaction for every step: a crash anywhere in it leaves the old schema.
            for number, script in migrations:
                if number > version:
                    for index, statement in enumerate(_split_sql(script)):
                        crashpoint(f"migrate:{number}:{index}")
                        tx.execute(statement)
                    tx.execute(f"PRAGMA user_version = {number}")
                    crashpoint(f"migrate:{number}:end")
                    _logger.info("Outbox %s migrated to schema version %d", self.path, number)

    @contextlib.contextmanager
    def _write(self, durable=True):
        """One write transaction of this thread (see _transaction)."""
        with self._writer, self._transaction(durable) as conn:
            yield conn

    def _transaction(self, durable):
        return _Transaction(self, durable)

    def _grouped(self, operation, durable):
        """Run operation(tx) in a transaction of its own if no other thread is writing,
        else in one with whatever other threads queued meanwhile (group commit: one
        fsync for many drain threads); return its result.

        Each operation runs in its own savepoint, so one failing operation undoes
        only itself; a failed commit fails them all.
        """
        if self._writer.acquire(blocking=False):  # no other writer: commit alone, at once
            try:
                with self._transaction(durable) as tx:
                    return operation(tx)
            finally:
                self._writer.release()
        slot = {"operation": operation, "durable": durable, "done": False}
        with self._group:
            self._waiting.append(slot)
            while not slot["done"]:
                if self._leading:
                    self._group.wait()
                    continue
                self._leading = True  # this thread commits everything queued so far
                batch, self._waiting = self._waiting, []
                self._group.release()
                try:
                    with self._writer:
                        self._commit_batch(batch)
                finally:
                    self._group.acquire()
                    self._leading = False
                    self._group.notify_all()
        if "error" in slot:
            raise slot["error"]
        return slot["result"]

    def _commit_batch(self, batch):
        try:
            with self._transaction(any(slot["durable"] for slot in batch)) as tx:
                if len(batch) == 1:  # alone: its error rolls back the whole transaction
                    batch[0]["result"] = batch[0]["operation"](tx)
                    return
                for slot in batch:
                    tx.execute("SAVEPOINT operation")
                    try:
                        slot["result"] = slot["operation"](tx)
                    except Exception as error:  # noqa: BLE001 - handed to its own thread
                        if not tx.in_transaction:
                            raise  # SQLite undid the whole transaction (e.g. disk full)
                        tx.execute("ROLLBACK TO operation")
                        slot["error"] = (
                            self._translate(error) if isinstance(error, sqlite3.Error) else error
                        )
                    tx.execute("RELEASE operation")
        except Exception as error:  # noqa: BLE001 - the commit failed: so did every operation
            # already an OutboxError: _transaction translates what SQLite raises
            for slot in batch:
                slot["error"] = error
        finally:
            for slot in batch:
                if "result" not in slot and "error" not in slot:  # interrupted mid-batch
                    slot["error"] = OutboxError("The outbox write was interrupted")
                slot["done"] = True

    def _read(self, sql, params=()):
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise self._translate(error) from error

    def release_connection(self):
        """Close this thread's connection (a drain thread that is about to end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.conn = None
            with self._guard:
                self._connections.remove(conn)
            conn.close()

    def close(self):
        with self._guard:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- enqueue ------------------------------------------------------------

    def enqueue(self, key, device, operation, body, after_key=None):
        """Queue one document; return True if new, False if this exact entry was already there.

        Raises IdempotencyConflictError when the key exists with another body,
        device or reference, OutboxFullError at capacity or on a full disk.
        """
        text = canonical_json(body)
        now = self.clock.time()
        created = self._grouped(
            lambda tx: self._enqueue(tx, key, device, operation, text, after_key, now),
            durable=True,
        )
        crashpoint("enqueue:after_commit")
        return created

    def _enqueue(self, tx, key, device, operation, text, after_key, now):  # noqa: PLR0917
        after_key = self._check_reference(tx, key, after_key)
        newest, newest_hlc, admitted_up_to, undelivered, purged = tx.execute(
            _ENQUEUE_CONTEXT, (key,)
        ).fetchone()
        live = _undelivered(newest, admitted_up_to, undelivered)
        if not purged and live < self.max_entries:
            # The id follows both the newest row and the last admitted one, so arrivals
            # are exactly the ids above admitted_up_to, even after a purge took the
            # newest rows.
            entry_id = max(newest, admitted_up_to) + 1
            inserted = tx.execute(
                _INSERT_ENTRY,
                (entry_id, key, device, operation, text, hlc.after(newest_hlc), now, after_key),
            ).rowcount
            if inserted:
                crashpoint("enqueue:before_commit")
                return True
        self._refuse_or_accept_again(tx, key, device, text, after_key, live)
        return False

    def _refuse_or_accept_again(self, tx, key, device, text, after_key, live):  # noqa: PLR0917
        """Why nothing was inserted: the same entry again (fine), another one, or a full outbox."""
        # A purged key keeps device and body hash only: its reference no longer matters.
        existing = tx.execute(
            "SELECT device, body, after_key, 0 AS purged FROM entry WHERE key = ? "
            "UNION ALL SELECT device, body_hash, NULL, 1 FROM purged WHERE key = ? LIMIT 1",
            (key, key),
        ).fetchone()
        if existing is None:
            raise OutboxFullError(
                f"The outbox {self.path} holds {live} undelivered entries, its limit is "
                f"{self.max_entries}: {quoted(key)} was not queued. Check the devices "
                "(`fiscal-connector status`), drain, or raise max_entries."
            )
        if existing["purged"]:
            same = existing["device"] == device and existing["body"] == _sha256_hex(text)
        else:
            same = existing["device"] == device and existing["body"] == text
            same = same and existing["after_key"] == after_key
        if not same:
            raise IdempotencyConflictError(
                f"Key {quoted(key)} is already queued with a different receipt, device or "
                "reference: a changed document needs a new key (it would be a second fiscal "
                "document)"
            )

    def undelivered(self):
        """How many entries are not done yet (dead letters included): what max_entries limits."""
        newest, _, admitted_up_to, undelivered = self._read(_INTAKE)[0]
        return _undelivered(newest, admitted_up_to, undelivered)

    @staticmethod
    def _check_reference(tx, key, after_key):
        if not after_key:
            return None
        if after_key == key:
            raise OutboxError(f"Entry {quoted(key)} cannot refer to itself")
        if tx.execute("SELECT 1 FROM entry WHERE key = ?", (after_key,)).fetchone():
            return after_key
        if tx.execute("SELECT 1 FROM purged WHERE key = ?", (after_key,)).fetchone():
            return None  # done and purged long ago: nothing to wait for
        raise OutboxError(
            f"Entry {quoted(key)} refers to {quoted(after_key)}, which is not in the outbox: "
            "queue the document it refers to first"
        )

    # -- the drain's side ---------------------------------------------------

    def claim_head(self, device, token, poll_interval, window=1):
        """Atomically take the oldest due entry among a device's `window` oldest
        unfinished ones for sending (1: strictly the oldest).

        Returns (status, row): "empty"; "wait" (no entry of the window is due yet,
        or each waits for the document it refers to: row is the first due again);
        "dead" (the document row refers to is dead, so row is too); "busy"
        (another live drainer is sending row); "claimed" (row is now `sending`
        under `token`; row holds its state and submitted flag from before the
        claim). A row left `sending` by a drainer that died becomes `unknown`, to
        be settled by asking the backend.
        """
        # Not durable: lost on a power cut, the entry is simply sent again under its key.
        while True:  # one short transaction per batch of arrivals admitted
            status, row = self._grouped(
                lambda tx: self._claim_head(tx, device, token, poll_interval, max(window, 1)),
                durable=False,
            )
            if status != "admitted":
                return status, row

    @staticmethod
    def _admit_arrivals(tx):
        """Put up to ADMIT_BATCH entries queued since the last pass into the per-device
        queue index and counters (batched here instead of two more B-trees in every
        sale's commit); return whether more arrivals wait."""
        newest, _, admitted_up_to, _ = tx.execute(_INTAKE).fetchone()
        last = min(newest, admitted_up_to + ADMIT_BATCH)
        if last > admitted_up_to:
            tx.execute(
                "UPDATE entry SET admitted = 1 WHERE id > ? AND id <= ?", (admitted_up_to, last)
            )
            tx.execute("UPDATE intake SET admitted_up_to = ?", (last,))
        return newest > last

    def _claim_head(self, tx, device, token, poll_interval, window):  # noqa: PLR0913
        now = self.clock.time()
        more_arrivals = self._admit_arrivals(tx)
        rows = tx.execute(
            f"SELECT * FROM entry WHERE device = ? AND {_QUEUED} ORDER BY hlc, id LIMIT ?",
            (device, window),
        ).fetchall()
        waiting = None  # the entry of the window due first
        for row in map(dict, rows):
            if row["state"] == SENDING and not self._recover_claim(tx, device, row, now):
                return "busy", row
            if row["next_attempt_at"] <= now and row["after_key"]:
                status = self._hold_for_reference(tx, row, now, poll_interval)
                if status == "dead":
                    return status, row
            if row["next_attempt_at"] > now:
                if waiting is None or row["next_attempt_at"] < waiting["next_attempt_at"]:
                    waiting = row
                continue
            tx.execute(
                "UPDATE entry SET state = 'sending', submitted = 1, claim = ?, "
                "attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = ?",
                (token, now, row["id"], row["state"]),
            )
            crashpoint("drain:in_claim")
            return "claimed", row
        if more_arrivals and len(rows) < window:  # admitted entries are older than arrivals
            return "admitted", None
        return ("wait", waiting) if waiting else ("empty", None)

    @staticmethod
    def _recover_claim(tx, device, row, now):
        """A row left sending: False while its drainer lives; else it becomes unknown
        (to be asked about) and True."""
        stale = now - row["updated_at"] > STALE_CLAIM_SECONDS
        if not (stale or owner_is_dead(row["claim"])):
            return False
        _logger.warning(
            "Outbox entry %s of device %s was left sending by a stopped drainer: "
            "its outcome is unknown, asking the backend",
            row["key"],
            device,
        )
        tx.execute(
            "UPDATE entry SET state = 'unknown', submitted = 1, claim = NULL, "
            "last_error = ?, last_error_kind = 'interrupted', updated_at = ? WHERE id = ?",
            ("drainer stopped while sending; outcome unknown", now, row["id"]),
        )
        row.update(state=UNKNOWN, submitted=1, next_attempt_at=now)
        return True

    @staticmethod
    def _hold_for_reference(tx, head, now, poll_interval):
        ref = tx.execute(
            "SELECT state FROM entry WHERE key = ?", (head["after_key"],)
        ).fetchone()
        if ref is None or ref["state"] == DONE:
            return None
        if ref["state"] == DEAD:
            error = (
                f"refers to {head['after_key']}, which is a dead letter: "
                "retry that document first, then this one"
            )
            tx.execute(
                "UPDATE entry SET state = 'dead', notified = 0, last_error = ?, "
                "last_error_kind = 'reference', updated_at = ? WHERE id = ?",
                (error, now, head["id"]),
            )
            head.update(state=DEAD, last_error=error, last_error_kind="reference")
            return "dead"
        wait_until = now + poll_interval
        tx.execute(
            "UPDATE entry SET state = 'retry_wait', next_attempt_at = ?, last_error = ?, "
            "last_error_kind = 'waiting_reference', updated_at = ? WHERE id = ?",
            (wait_until, f"waiting for {head['after_key']} to be fiscalized", now, head["id"]),
        )
        head.update(next_attempt_at=wait_until)
        return "wait"

    def finish(self, entry_id, token, state, *, attempt=None, **fields):
        """Record the outcome of a claimed entry; False if the claim was lost meanwhile.

        `attempt`, for an outcome the backend was asked for: (seconds it took, the
        latency bucket it falls in, whether the backend answered at all); it is
        counted in the device's metrics and its reachability.
        """
        now = self.clock.time()
        fields.update(state=state, claim=None, updated_at=now)
        if state in (DONE, DEAD):
            fields["notified"] = 0
        if state == DONE:
            fields["done_at"] = now
        for name in ("result", "backend_ref"):
            if fields.get(name) is not None:
                fields[name] = canonical_json(fields[name])
        return self._grouped(lambda tx: self._finish(tx, entry_id, token, fields, attempt),
                             durable=True)

    @staticmethod
    def _finish(tx, entry_id, token, fields, attempt):
        now = fields["updated_at"]
        state = fields["state"]
        assignments = ", ".join(f"{name} = ?" for name in fields)
        changed = tx.execute(
            f"UPDATE entry SET {assignments} "
            "WHERE id = ? AND state = 'sending' AND claim = ?",
            (*fields.values(), entry_id, token),
        ).rowcount
        if not changed:
            return False
        device = tx.execute("SELECT device FROM entry WHERE id = ?", (entry_id,)).fetchone()[0]
        seconds, bucket, answered = attempt or (0.0, None, True)
        error = fields.get("last_error")
        tx.execute(
            "INSERT INTO device_info (device, last_success, last_error, last_error_at, "
            "unreachable_since, latency_seconds_sum, last_error_kind) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
            "ON CONFLICT (device) DO UPDATE SET "
            "last_success = COALESCE(excluded.last_success, last_success), "
            "last_error = IIF(?3 IS NULL, last_error, ?3), "
            "last_error_kind = IIF(?3 IS NULL, last_error_kind, ?7), "
            "last_error_at = IIF(?3 IS NULL, last_error_at, ?4), "
            "unreachable_since = IIF(?5 IS NULL, NULL, COALESCE(unreachable_since, ?5)), "
            "latency_seconds_sum = latency_seconds_sum + ?6",
            (device, now if state == DONE else None, error, now if error else None,
             None if answered else now, seconds, fields.get("last_error_kind")),
        )
        if attempt is not None:
            tx.execute(
                "INSERT INTO attempt_count (device, result, n) VALUES (?, ?, 1) "
                "ON CONFLICT (device, result) DO UPDATE SET n = n + 1",
                (device, ATTEMPT_RESULTS[state]),
            )
            tx.execute(
                "INSERT INTO latency_count (device, le, n) VALUES (?, ?, 1) "
                "ON CONFLICT (device, le) DO UPDATE SET n = n + 1",
                (device, bucket),
            )
        return True

    def unclaim(self, entry_id, token, previous_state, submitted):
        """Give a claimed entry back untouched (nothing was sent: the breaker refused)."""
        with self._write() as tx:
            tx.execute(
                "UPDATE entry SET state = ?, submitted = ?, claim = NULL, "
                "attempts = attempts - 1 WHERE id = ? AND state = 'sending' AND claim = ?",
                (previous_state, submitted, entry_id, token),
            )

    def unnotified(self, limit=200):
        rows = self._read(
            "SELECT id, key, state, result, last_error FROM entry "
            "WHERE state IN ('done', 'dead') AND notified = 0 ORDER BY id LIMIT ?",
            (limit,),
        )
        return [
            dict(row) | {"result": json.loads(row["result"]) if row["result"] else None}
            for row in rows
        ]

    def mark_notified(self, entry_id, state):
        with self._write(durable=False) as tx:  # lost on a power cut: the callback runs again
            tx.execute(
                "UPDATE entry SET notified = 1 WHERE id = ? AND state = ?", (entry_id, state)
            )

    # -- inspection and operations -----------------------------------------

    def entry(self, key):
        rows = self._read("SELECT * FROM entry WHERE key = ?", (key,))
        return _row_dict(rows[0]) if rows else None

    def dead_letters(self, device=None, limit=1000):
        sql = "SELECT * FROM entry WHERE state = 'dead'"
        params = ()
        if device:
            sql += " AND device = ?"
            params = (device,)
        rows = self._read(sql + " ORDER BY device, id LIMIT ?", (*params, limit))
        return [_row_dict(row) for row in rows]

    def mark_late(self, entry_id, token, correction):
        """Send a claimed entry, not sent so far, as a correction receipt with this basis."""
        with self._write() as tx:
            tx.execute(
                "UPDATE entry SET late_correction = ? WHERE id = ? AND state = 'sending' "
                "AND claim = ? AND late_correction IS NULL",
                (canonical_json(correction), entry_id, token),
            )

    def spend_key(self, entry_id, token, spent, reason):
        """A claimed entry's key `spent` holds no document (the backend said so): queue it
        again at once under its successor key. False if the claim was lost meanwhile."""
        now = self.clock.time()
        with self._write() as tx:
            return bool(tx.execute(
                f"UPDATE entry SET {_SPEND_KEY}, state = 'pending', claim = NULL "
                "WHERE id = ? AND state = 'sending' AND claim = ?",
                (spent, reason, now, now, now, entry_id, token),
            ).rowcount)

    def reissue_dead(self, key, spent, reason):
        """Queue a dead letter again under its successor key, `spent` being confirmed to hold
        no document; False if it is no longer that dead letter (another reissue won)."""
        now = self.clock.time()
        with self._write() as tx:
            row = tx.execute("SELECT * FROM entry WHERE key = ?", (key,)).fetchone()
            if row is None or row["state"] != DEAD or send_key(dict(row)) != spent:
                return False
            tx.execute(
                f"UPDATE entry SET {_SPEND_KEY}, state = 'pending', attempts = 0, notified = 0 "
                "WHERE id = ?",
                (spent, reason, now, now, now, row["id"]),
            )
            return True

    def adopt(self, key, result):
        """A dead letter whose key turned out to hold a document: done with its result."""
        now = self.clock.time()
        with self._write() as tx:
            return bool(tx.execute(
                "UPDATE entry SET state = 'done', result = ?, last_error = NULL, "
                "last_error_kind = NULL, notified = 0, done_at = ?, updated_at = ? "
                "WHERE key = ? AND state = 'dead'",
                (canonical_json(result), now, now, key),
            ).rowcount)

    def retry_dead(self, key):
        """Queue a dead letter again under the SAME key (asking the backend first if submitted)."""
        now = self.clock.time()
        with self._write() as tx:
            changed = tx.execute(
                "UPDATE entry SET state = 'pending', attempts = 0, next_attempt_at = ?, "
                "notified = 0, updated_at = ? WHERE key = ? AND state = 'dead'",
                (now, now, key),
            ).rowcount
            if not changed:
                row = tx.execute("SELECT state FROM entry WHERE key = ?", (key,)).fetchone()
                if row is None:
                    raise OutboxError(f"No outbox entry with key {quoted(key)}")
                raise OutboxError(f"Entry {quoted(key)} is {row['state']}, not a dead letter")

    def purge(self, retention_days):
        """Delete done entries older than the retention, keeping their keys as tombstones."""
        cutoff = self.clock.time() - retention_days * 86400
        with self._write() as tx:
            tx.execute(
                "INSERT OR IGNORE INTO purged (key, device, body_hash, done_at) "
                "SELECT key, device, sha256_hex(body), done_at FROM entry "
                "WHERE state = 'done' AND done_at < ?",
                (cutoff,),
            )
            return tx.execute(
                "DELETE FROM entry WHERE state = 'done' AND done_at < ?", (cutoff,)
            ).rowcount

    def _arrivals(self):
        """Per device: (count, oldest created_at) of the entries not admitted yet."""
        rows = self._read(
            "SELECT device, COUNT(*), MIN(created_at) FROM entry "
            f"WHERE id > {_ADMITTED_UP_TO} GROUP BY device"
        )
        return {device: (count, oldest) for device, count, oldest in rows}

    def devices(self):
        rows = self._read(
            "SELECT device FROM stats UNION "
            f"SELECT device FROM entry WHERE id > {_ADMITTED_UP_TO} ORDER BY device"
        )
        return [row[0] for row in rows]

    def status(self, devices=()):
        """Per device: depth, oldest unfinished age (s), counts per state, last success, the
        current last error (`last_error`; one a later success cleared is `cleared_error`),
        since when the backend does not answer, and why the device is paused."""
        now = self.clock.time()
        result = {}
        arrivals = self._arrivals()
        for device in sorted(set(devices) | set(self.devices())):
            states = {
                row["state"]: row["n"]
                for row in self._read(
                    "SELECT state, n FROM stats WHERE device = ? AND n > 0", (device,)
                )
            }
            arrived, oldest = arrivals.get(device, (0, None))
            if arrived:
                states[PENDING] = states.get(PENDING, 0) + arrived
            head = self._read(  # an admitted entry is older than any arrival
                f"SELECT created_at FROM entry WHERE device = ? AND {_QUEUED} "
                "ORDER BY hlc, id LIMIT 1",
                (device,),
            )
            oldest = head[0][0] if head else oldest
            info = self.device_info(device)
            error, success = info.get("last_error"), info.get("last_success")
            cleared = bool(error and success and success >= (info.get("last_error_at") or 0))
            result[device] = {
                "depth": sum(states.get(state, 0) for state in UNFINISHED),
                "oldest_pending_age": round(now - oldest, 3) if oldest is not None else None,
                "states": states,
                "last_success": success,
                "last_error": None if cleared else error,
                "last_error_kind": None if cleared else info.get("last_error_kind"),
                "cleared_error": error if cleared else None,
                "unreachable_since": info.get("unreachable_since"),
                "paused": info.get("paused_reason"),
                "paused_kind": info.get("paused_kind"),
                "paused_at": info.get("paused_at"),
                "shift_opened_at": info.get("shift_opened_at"),
                "shift_renewed_at": info.get("shift_renewed_at"),
            }
        return result

    def device_info(self, device):
        rows = self._read("SELECT * FROM device_info WHERE device = ?", (device,))
        return dict(rows[0]) if rows else {}

    def _set_device_info(self, device, **values):
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        updates = ", ".join(f"{name} = excluded.{name}" for name in values)
        with self._write(durable=False) as tx:  # operator's view: lost on a power cut at worst
            tx.execute(
                f"INSERT INTO device_info (device, {names}) VALUES (?, {marks}) "
                f"ON CONFLICT (device) DO UPDATE SET {updates}",
                (device, *values.values()),
            )

    def pause(self, device, reason, settings, kind="settings"):
        """Stop draining `device` until its settings differ from `settings` (a hash) or
        resume() is called: the backend refused the device's configuration."""
        self._set_device_info(device, paused_reason=reason, paused_settings=settings,
                              paused_at=self.clock.time(), paused_kind=kind)

    def resume(self, device):
        self._set_device_info(device, paused_reason=None, paused_settings=None, paused_at=None,
                              paused_kind=None)

    def note_shift(self, device, opened_at, renewed=False):
        """The register's shift was opened at `opened_at` (epoch seconds; None: closed);
        `renewed`: by the drain, because the register refused a receipt for it."""
        values = {"shift_opened_at": opened_at}
        if renewed:
            values["shift_renewed_at"] = self.clock.time()
        self._set_device_info(device, **values)

    def counters(self):
        """Per device: attempts by result, latency counts by bucket bound, latency sum."""
        found = {}
        for device, result, count in self._read("SELECT device, result, n FROM attempt_count"):
            found.setdefault(device, {"attempts": {}, "latency": {}})["attempts"][result] = count
        for device, bound, count in self._read("SELECT device, le, n FROM latency_count"):
            found.setdefault(device, {"attempts": {}, "latency": {}})["latency"][bound] = count
        for device, total in self._read("SELECT device, latency_seconds_sum FROM device_info"):
            found.setdefault(device, {"attempts": {}, "latency": {}})["latency_sum"] = total
        return found

    # -- circuit breaker state without Redis (breaker.OutboxBreakerStorage) --

    def breaker(self, device):
        rows = self._read("SELECT * FROM breaker WHERE device = ?", (device,))
        return dict(rows[0]) if rows else {"state": "closed", "fail_counter": 0,
                                           "success_counter": 0, "opened_at": None}

    def set_breaker(self, device, **values):
        assignments = ", ".join(f"{name} = ?" for name in values)
        self._change_breaker(device, assignments, tuple(values.values()))

    def add_to_breaker(self, device, counter):
        self._change_breaker(device, f"{counter} = {counter} + 1", ())

    def _change_breaker(self, device, assignments, values):
        with self._write(durable=False) as tx:  # a lost change only reopens or recloses it
            tx.execute("INSERT OR IGNORE INTO breaker (device) VALUES (?)", (device,))
            tx.execute(f"UPDATE breaker SET {assignments} WHERE device = ?", (*values, device))


class _Transaction:
    """One write transaction, taken at once (BEGIN IMMEDIATE); errors leave nothing behind.

    durable=False commits with synchronous=NORMAL: still safe against a crash of
    the process (WAL), but a power cut may undo it. Only for writes whose loss
    is harmless because the backend's dedup by key settles them again (a claim,
    a callback mark); queued entries and outcomes are always FULL.

    A class, not a generator context manager: it is on every sale's path, where
    the generator's extra calls were measurable.
    """

    __slots__ = ("conn", "level", "outbox")

    def __init__(self, outbox, durable):
        self.outbox = outbox
        self.level = "FULL" if durable else "NORMAL"

    def __enter__(self):
        outbox = self.outbox
        self.conn = conn = outbox._conn()
        try:
            if outbox._local.synchronous != self.level:  # a statement less per unchanged commit
                conn.execute(f"PRAGMA synchronous={self.level}")
                outbox._local.synchronous = self.level
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise outbox._translate(error) from error
        return conn

    def __exit__(self, kind, error, traceback):
        conn = self.conn
        if kind is None:
            try:
                conn.execute("COMMIT")
                return False
            except sqlite3.Error as commit_error:
                error = commit_error
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(error, sqlite3.Error):
            raise self.outbox._translate(error) from error
        return False


def _split_sql(script):
    """Split a migration into statements (sqlite3.complete_statement knows about triggers)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        if not current and (not line.strip() or line.lstrip().startswith("--")):
            continue
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        raise OutboxError("A migration ends with an incomplete SQL statement")
    return statements
