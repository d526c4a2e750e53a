"""What both emulators share: the HTTP server with fault injection, and the
register (FN, FD numbering, shifts, fiscal signs) persisted in SQLite.

Faults are consumed one per document request (a POST of a document or a GET
of its status; tokens, server info and the control endpoints are never
faulted), in this order of precedence: reset, error_5xx, timeout, lost,
malformed. `latency_ms` delays every non-control request.

* reset     - close the socket without reading the request's effect (nothing stored)
* error_5xx - answer 503 without doing anything
* timeout   - sleep `timeout_seconds`, then process and answer (the client has
              given up long before: the document is stored, the answer unseen)
* lost      - process (store) the request, then drop the connection
* malformed - process, then answer 200 with a body that is not JSON
* blocked   - (register) the next N documents stay `blocked` for `blocked_polls`
              polls, then settle as registered (ATOL Web Server: the queue behind a
              blocked task waits); blocked_fail: the same, then settle as an error
* fail      - (register) the next N documents end in a register error, no FD
* reject    - the next N document POSTs are refused as invalid (ATOL Online error
              32, Web Server HTTP 400): nothing is registered, so the same body may
              be sent again under its key
"""

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import socket
import sqlite3
import struct
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from ..receipt import OPERATIONS

FAULT_COUNTERS = ("reset", "error_5xx", "timeout", "lost", "malformed", "blocked",
                  "blocked_fail", "fail", "reject")
TRANSPORT_FAULTS = ("reset", "error_5xx", "timeout", "lost", "malformed")
DEFAULT_FAULTS = {
    "latency_ms": 0,
    "timeout_seconds": 3.0,
    "pending_polls": 0,  # polls answered wait/inProgress before a document is ready
    "blocked_polls": 2,  # polls a `blocked` document stays blocked
    **dict.fromkeys(FAULT_COUNTERS, 0),
}
SHIFT_HOURS = 24
# a document still answering wait/inProgress/blocked: it settles on the poll after the last one
UNSETTLED = "pending_polls > 0 AND polls <= pending_polls"
DOCUMENT_BODY = "/_emulator/documents/"  # + key: the body the register received for it
MALFORMED_BODY = b"<html><body>502 Bad Gateway (emulated garbage)</body></html>"

SCHEMA = """
CREATE TABLE IF NOT EXISTS register (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    fn TEXT NOT NULL, rnm TEXT NOT NULL, inn TEXT NOT NULL, secret TEXT NOT NULL,
    next_fd INTEGER NOT NULL, shift_number INTEGER NOT NULL, shift_open INTEGER NOT NULL,
    shift_opened_at REAL, receipt_in_shift INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY, ref TEXT NOT NULL UNIQUE, operation TEXT NOT NULL,
    body TEXT NOT NULL, received_at REAL NOT NULL, posts INTEGER NOT NULL DEFAULT 1,
    changed_posts INTEGER NOT NULL DEFAULT 0,
    polls INTEGER NOT NULL DEFAULT 0, pending_polls INTEGER NOT NULL,
    pending_status TEXT NOT NULL, status TEXT NOT NULL, error_code INTEGER,
    error_text TEXT, fd_number INTEGER, total TEXT, payments TEXT, shift_number INTEGER,
    result TEXT);
CREATE INDEX IF NOT EXISTS documents_pending_status ON documents (pending_status);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, expires_at REAL NOT NULL);
"""


def _canonical(body):
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def _add(left, right):
    return f"{Decimal(left or 0) + Decimal(right):.2f}"


def crc16_ccitt(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def registration_number(ordinal, inn, serial):
    """KKT registration number (1037): 10-digit ordinal + 6-digit CRC16 check."""
    ordinal = str(ordinal).zfill(10)
    check = crc16_ccitt((ordinal + inn.zfill(12) + serial.zfill(20)).encode())
    return ordinal + str(check).zfill(6)


class Register:
    """The register state and every document received, in one SQLite file.

    One connection guarded by a lock: the emulator is a test double for one
    register, where serial processing is also what the real device does.
    """

    def __init__(self, path, inn="5544332219", auto_rotate_shift=False, tz=None):
        self.lock = threading.RLock()
        self.tz = ZoneInfo(tz) if tz else None  # the register's clock zone; None: the host's
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(documents)")}
        if "changed_posts" not in columns:  # a state dir from before that column
            self.db.execute("ALTER TABLE documents ADD COLUMN changed_posts INTEGER NOT NULL "
                            "DEFAULT 0")
        self.auto_rotate_shift = auto_rotate_shift
        if not self.db.execute("SELECT 1 FROM register").fetchone():
            rng = random.SystemRandom()
            serial = "00106" + "".join(rng.choice("0123456789") for _ in range(9))
            self.db.execute(
                "INSERT INTO register VALUES (1, ?, ?, ?, ?, 1, 0, 0, NULL, 0)",
                ("99990789" + "".join(rng.choice("0123456789") for _ in range(8)),
                 registration_number(rng.randrange(1, 10**6), inn, serial), inn,
                 os.urandom(16).hex()))

    def close(self):
        with self.lock:
            self.db.close()

    @contextlib.contextmanager
    def transaction(self):
        """One atomic step: a document and its FD are stored together or not at all."""
        with self.lock:
            if self.db.in_transaction:  # nested step of an outer transaction
                yield
                return
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def state(self):
        return dict(self.db.execute("SELECT * FROM register").fetchone())

    # ------------------------------------------------------------ clock and signs

    def now(self):
        return dt.datetime.now(self.tz).astimezone(self.tz).replace(microsecond=0)

    def _sign(self, reg, fd_number, moment, total):
        message = f"{reg['fn']}|{fd_number}|{moment}|{total}".encode()
        digest = hmac.new(bytes.fromhex(reg["secret"]), message, hashlib.sha256).digest()
        return str(struct.unpack(">I", digest[:4])[0])

    def _take_fd(self, reg):
        fd_number = reg["next_fd"]
        self.db.execute("UPDATE register SET next_fd = next_fd + 1")
        reg["next_fd"] += 1
        return fd_number

    # ------------------------------------------------------------ shifts

    def shift_expired(self, reg):
        return bool(reg["shift_open"]) and time.time() - reg["shift_opened_at"] > SHIFT_HOURS * 3600

    def open_shift(self):
        """Open a shift (shift-open report, one FD); error text if it is open already."""
        with self.transaction():
            reg = self.state()
            if reg["shift_open"]:
                return None, (156, "the shift is already open")
            return self._open(reg), None

    def _open(self, reg):
        fd_number = self._take_fd(reg)
        self.db.execute(
            "UPDATE register SET shift_open = 1, shift_opened_at = ?, shift_number = "
            "shift_number + 1, receipt_in_shift = 0", (time.time(),))
        reg = self.state()
        return self._params(reg, fd_number, "0.00")

    def close_shift(self):
        """Close the shift (Z report, one FD) with its totals."""
        with self.transaction():
            reg = self.state()
            if not reg["shift_open"]:
                return None, (73, "the shift is closed")
            totals = self.shift_totals(reg)
            return self._close(reg) | {"shiftTotals": totals}, None

    def _close(self, reg):
        fd_number = self._take_fd(reg)
        self.db.execute("UPDATE register SET shift_open = 0, shift_opened_at = NULL")
        return self._params(reg, fd_number, "0.00")

    def _params(self, reg, fd_number, total):
        moment = self.now().isoformat()
        return {"fiscalParams": {
            "fiscalDocumentNumber": fd_number,
            "fiscalDocumentDateTime": moment,
            "fiscalDocumentSign": self._sign(reg, fd_number, moment, total),
            "fnNumber": reg["fn"],
            "registrationNumber": reg["rnm"],
            "shiftNumber": reg["shift_number"],
        }}

    def shift_status(self):
        with self.lock:
            reg = self.state()
        if not reg["shift_open"]:
            state = "closed"
        else:
            state = "expired" if self.shift_expired(reg) else "opened"
        expires = None
        if reg["shift_open"]:
            expires = dt.datetime.fromtimestamp(
                reg["shift_opened_at"] + SHIFT_HOURS * 3600).astimezone().isoformat()
        return {"shiftStatus": {"state": state, "number": reg["shift_number"],
                                "documentsCount": reg["receipt_in_shift"],
                                "expiredTime": expires}}

    def shift_totals(self, reg=None):
        """Sums per operation and per payment type of the current shift's receipts."""
        with self.lock:
            reg = reg or self.state()
            rows = self.db.execute(
                "SELECT operation, total, payments FROM documents WHERE shift_number = ? "
                "AND fd_number IS NOT NULL AND status = 'ready'", (reg["shift_number"],)
            ).fetchall()
        totals = {"shiftNumber": reg["shift_number"], "receiptsCount": 0, "operations": {},
                  "payments": {}}
        for row in rows:
            totals["receiptsCount"] += 1
            ops = totals["operations"]
            ops[row["operation"]] = _add(ops.get(row["operation"]), row["total"])
            for kind, amount in json.loads(row["payments"]).items():
                key = f"{row['operation']}:{kind}"
                totals["payments"][key] = _add(totals["payments"].get(key), amount)
        return totals

    def age_shift(self, hours):
        """Test hook: pretend the open shift was opened `hours` ago."""
        with self.transaction():
            self.db.execute("UPDATE register SET shift_opened_at = ? WHERE shift_open = 1",
                            (time.time() - hours * 3600,))

    # ------------------------------------------------------------ documents

    def find(self, key=None, ref=None):
        column, value = ("key", key) if key is not None else ("ref", ref)
        with self.lock:
            row = self.db.execute(f"SELECT * FROM documents WHERE {column} = ?",
                                  (value,)).fetchone()
        return dict(row) if row else None

    def seen_again(self, key, body):
        """A duplicate POST: count it (and whether its body differs from the first one)."""
        changed = self.find(key)["body"] != _canonical(body)
        self.db.execute("UPDATE documents SET posts = posts + 1, changed_posts = changed_posts "
                        "+ ? WHERE key = ?", (int(changed), key))
        return self.find(key)

    def fiscalize(self, key, ref, operation, body, *, total, payments, faults, error=None):
        """Store a document and register it (FD, sign, shift) unless it fails.

        `payments` maps payment type -> amount text; `error` (code, text) stores
        a document that the register refused, without an FD.
        """
        pending_status, pending = "wait", faults.value("pending_polls")
        if faults.take("blocked_fail"):
            pending_status, pending = "blocked", faults.value("blocked_polls")
            error = error or (4, "no answer from the FN; the document was not registered")
        elif faults.take("blocked"):
            pending_status, pending = "blocked", faults.value("blocked_polls")
        if error is None and faults.take("fail"):
            error = (234, "FN exchange error (emulated)")
        with self.transaction():
            reg = self.state()
            if error is None and self.shift_expired(reg):
                if self.auto_rotate_shift:
                    self._close(reg)
                    reg = self.state()
                else:
                    error = (68, "the shift is over 24 hours; close it")
            fd_number = result = shift_number = None
            if error is None:
                if not reg["shift_open"]:
                    self._open(reg)
                    reg = self.state()
                fd_number = self._take_fd(reg)
                self.db.execute("UPDATE register SET receipt_in_shift = receipt_in_shift + 1")
                moment = self.now().isoformat()
                shift_number = reg["shift_number"]
                result = {
                    "fn": reg["fn"], "rnm": reg["rnm"], "fd": fd_number, "datetime": moment,
                    "sign": self._sign(reg, fd_number, moment, total),
                    "shift": shift_number, "receipt": reg["receipt_in_shift"] + 1,
                    "total": total, "inn": reg["inn"],
                }
            self.db.execute(
                "INSERT INTO documents (key, ref, operation, body, received_at, pending_polls, "
                "pending_status, status, error_code, error_text, fd_number, total, payments, "
                "shift_number, result) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, ref, operation, _canonical(body), time.time(), pending,
                 pending_status, "error" if error else "ready", error and error[0],
                 error and error[1], fd_number, total, json.dumps(payments), shift_number,
                 json.dumps(result) if result else None))
        return self.find(key)

    def store_task(self, key, task_type, body, result, error):
        """A non-fiscal task (shift, reports): done at once, its FD (if any) in `result`."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO documents (key, ref, operation, body, received_at, pending_polls, "
                "pending_status, status, error_code, error_text, result) "
                "VALUES (?, ?, ?, ?, ?, 0, 'wait', ?, ?, ?, ?)",
                (key, key, task_type, _canonical(body), time.time(),
                 "error" if error else "ready", error and error[0], error and error[1],
                 json.dumps(result)))

    def poll(self, key=None, ref=None):
        """Count a status request; return (document, status as seen now)."""
        with self.transaction():
            doc = self.find(key, ref)
            if doc is None:
                return None, None
            blocker = self.db.execute(
                "SELECT key FROM documents WHERE pending_status = 'blocked' AND "
                f"{UNSETTLED} AND rowid < (SELECT rowid FROM documents WHERE key = ?) LIMIT 1",
                (doc["key"],)).fetchone()
            if blocker:  # the queue stands behind a blocked task
                return doc, "wait"
            self.db.execute("UPDATE documents SET polls = polls + 1 WHERE key = ?", (doc["key"],))
            doc["polls"] += 1
        if doc["polls"] <= doc["pending_polls"]:
            if doc["pending_status"] == "blocked":
                return doc, "blocked"
            return doc, "wait" if doc["polls"] == 1 else "inProgress"
        return doc, doc["status"]

    def pending_count(self):
        with self.lock:
            return self.db.execute(
                f"SELECT count(*) FROM documents WHERE {UNSETTLED}").fetchone()[0]

    def blocked_key(self):
        with self.lock:
            row = self.db.execute(
                f"SELECT key FROM documents WHERE {UNSETTLED} AND pending_status = 'blocked' "
                "ORDER BY rowid LIMIT 1").fetchone()
        return row[0] if row else None

    def report(self):
        """Everything held: register state, count per key, each document's fiscal data."""
        with self.lock:
            reg = self.state()
            rows = [dict(r) for r in self.db.execute(
                "SELECT key, ref, operation, posts, changed_posts, polls, status, error_code, "
                "error_text, "
                "fd_number, total, payments, shift_number, result FROM documents "
                "ORDER BY received_at, rowid")]
            tokens = self.db.execute("SELECT count(*) FROM tokens").fetchone()[0]
        documents, counts = [], {}
        for row in rows:
            result = json.loads(row.pop("result") or "null") or {}
            row["payments"] = json.loads(row["payments"] or "{}")
            row["fiscal_sign"] = result.get("sign")
            row["datetime"] = result.get("datetime")
            row["receipt_number"] = result.get("receipt")
            documents.append(row)
            if row["operation"] in OPERATIONS:  # receipts, not shift tasks
                counts[row["key"]] = counts.get(row["key"], 0) + (row["fd_number"] is not None)
        return {
            "register": {name: reg[name] for name in
                         ("fn", "rnm", "inn", "next_fd", "shift_number", "shift_open")},
            "counts": counts,
            "fiscalized": sum(counts.values()),
            # duplicates whose body differed from the first: a client that re-renders
            "changed_resends": sum(doc["changed_posts"] for doc in documents),
            "documents": documents,
            "tokens_issued": tokens,
        }


class Faults:
    """The fault plan: counters consumed one per request, settable at run time."""

    def __init__(self, **settings):
        self._lock = threading.Lock()
        self._values = dict(DEFAULT_FAULTS)
        self.update(settings)

    def update(self, settings):
        unknown = set(settings) - set(DEFAULT_FAULTS)
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        for name, value in settings.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"fault {name}: {value!r} must be a number >= 0")
        with self._lock:
            self._values.update(settings)
        return self.snapshot()

    def snapshot(self):
        with self._lock:
            return dict(self._values)

    def value(self, name):
        with self._lock:
            return self._values[name]

    def take(self, name):
        """Consume one `name` fault if any is left."""
        with self._lock:
            if self._values[name] > 0:
                self._values[name] -= 1
                return True
            return False

    def next_transport_fault(self):
        for name in TRANSPORT_FAULTS:
            if self.take(name):
                return name
        return None


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method, self.path, self.query, self.headers, self.body = (
            method, path, query, headers, body)

    def json(self):
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8"))


class Response:
    def __init__(self, status, payload=None, document_request=False):
        self.status = status
        self.payload = payload
        self.document_request = document_request


class EmulatorHandler(BaseHTTPRequestHandler):
    """Routes control requests itself; everything else goes to the server's app."""

    protocol_version = "HTTP/1.1"
    server_version = "FiscalEmulator/1.0"
    # TCP_NODELAY: headers and body are two writes; Nagle + delayed ACK would add ~40 ms
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 - http.server naming
        self._dispatch("GET")

    def do_POST(self):  # noqa: N802
        self._dispatch("POST")

    def do_DELETE(self):  # noqa: N802
        self._dispatch("DELETE")

    def log_message(self, format, *args):  # noqa: A002 - quiet: tests read the store, not logs
        pass

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(method, parts.path, parse_qs(parts.query), self.headers,
                          self.rfile.read(length) if length else b"")
        app = self.server.app
        if parts.path.startswith("/_emulator/"):
            self._send(*self._control(app, request))
            return
        faults = app.faults
        latency = faults.value("latency_ms")
        if latency:
            time.sleep(latency / 1000)
        fault = faults.next_transport_fault() if app.is_document_request(request) else None
        if fault == "reset":
            self._reset()
            return
        if fault == "error_5xx":
            self._send(503, {"error": {"code": 503, "description": "Service Unavailable"}})
            return
        if fault == "timeout":
            time.sleep(faults.value("timeout_seconds"))
        response = app.handle(request)
        if fault == "lost":
            self._reset()
        elif fault == "malformed":
            self._send(200, MALFORMED_BODY)
        else:
            self._send(response.status, response.payload)

    def _control(self, app, request):
        try:
            if request.path == "/_emulator/documents" and request.method == "GET":
                return 200, app.register.report()
            if request.path.startswith(DOCUMENT_BODY) and request.method == "GET":
                row = app.register.find(unquote(request.path[len(DOCUMENT_BODY):]))
                if row:
                    return 200, json.loads(row["body"])
            if request.path == "/_emulator/faults" and request.method == "GET":
                return 200, app.faults.snapshot()
            if request.path == "/_emulator/faults" and request.method == "POST":
                return 200, app.faults.update(request.json())
            if request.path == "/_emulator/shift" and request.method == "POST":
                app.register.age_shift(float(request.json()["opened_hours_ago"]))
                return 200, app.register.shift_status()
            if request.path == "/_emulator/expire-tokens" and hasattr(app, "expire_tokens"):
                app.expire_tokens()
                return 200, {"expired": True}
        except (ValueError, KeyError, TypeError) as exc:
            return 400, {"error": str(exc)}
        return 404, {"error": f"no control endpoint {request.method} {request.path}"}

    def _reset(self):
        """Close the connection at once with a TCP reset, answering nothing."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def _send(self, status, payload):
        if isinstance(payload, bytes):
            data, content_type = payload, "text/html"
        elif payload is None:
            data, content_type = b"", "application/json"
        else:
            data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            content_type = "application/json; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout fault): nobody to answer
            self.close_connection = True

    def setup(self):
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self):
        self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError, ValueError):
            super().finish()


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, app):
        super().__init__(address, EmulatorHandler)
        self.app = app
        self.connections = set()

    def close_connections(self):
        """Drop every open keep-alive connection, as a stopped process would."""
        for connection in list(self.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):
        """Dropped and reset connections are part of the game: stay quiet."""


def json_number(text):
    """A decimal text as a JSON number (at most 2 decimals: exact in print)."""
    return float(Decimal(text))


def decimal_of(value, field):
    """A number from a request body as Decimal; ValueError naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{field} must be a number")
    return Decimal(str(value))


class EmulatorApp:
    """One emulated service: its register file in the state dir and its fault plan."""

    kind = ""
    auto_rotate_shift = False

    def __init__(self, state_dir, inn="5544332219", tz=None, **faults):
        os.makedirs(state_dir, exist_ok=True)
        self.register = Register(os.path.join(state_dir, f"{self.kind}.sqlite"), inn,
                                 self.auto_rotate_shift, tz)
        self.faults = Faults(**faults)

    def is_document_request(self, request):
        raise NotImplementedError

    def handle(self, request):
        raise NotImplementedError

    def close(self):
        self.register.close()
