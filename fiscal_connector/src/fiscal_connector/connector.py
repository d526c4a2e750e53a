"""The one facade the Odoo module (and the command line) use."""

import dataclasses
import datetime
import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

import redis

from .backends import BACKENDS
from .backends.atol_web import shift_opened_at
from .backends.base import DONE, FAILED, NOT_FOUND, PENDING, Outcome
from .breaker import make_breaker, opened_at
from .clock import SYSTEM_CLOCK
from .config import config_fingerprint
from .drain import NOTIFY_EVERY, Drain, notify
from .errors import (
    BackendConfigError,
    FiscalError,
    OutboxError,
    PermanentBackendError,
    quoted,
)
from .locks import LockManager
from .outbox import DEAD, MAX_KEY_LENGTH, Outbox, crashpoint, send_key
from .receipt import Receipt, as_correction

_logger = logging.getLogger(__name__)

# Register tasks whose success opens (True) or closes (False) the register's shift.
SHIFT_TASKS = {"openShift": True, "closeShift": False}


def _check_key(value, what):
    """An idempotency key: a text of 1 to 128 printable characters (it is sent in URLs)."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_KEY_LENGTH:
        raise FiscalError(f"{what} must be a text of 1 to {MAX_KEY_LENGTH} characters")
    if not value.isprintable():  # control characters, lone surrogates
        raise FiscalError(f"{what} must hold printable characters only")
    return value


@functools.lru_cache(maxsize=64)
def _checking_backend(device):
    """A backend used for its checks only (they call nothing): one per device settings,
    kept, as a till checks every sale before it is paid."""
    return BACKENDS[device.backend].from_config(device)


def check_receipt(device, receipt_dict, now=None):
    """The Receipt that `device` (a DeviceConfig) would take, or the FiscalError that
    enqueue would refuse it with: for callers that must refuse before a sale is paid."""
    receipt = Receipt.from_dict(receipt_dict, now=now)
    _checking_backend(device).check(receipt)
    return receipt


class Connector:
    def __init__(self, config, devices, *, clock=SYSTEM_CLOCK, create=True):
        """`create`: False refuses to open an outbox file that does not exist yet."""
        self.config = config
        self.devices = {device.code: device for device in devices}
        if len(self.devices) != len(devices):
            raise FiscalError("Two devices share one code")
        self.outbox = Outbox(config.outbox_path, config.max_entries, config.integrity_check,
                             clock=clock, create=create)
        self._backends = {}
        self._breakers = {}  # (device, "redis" | "file") -> breaker
        self._redis = None
        if config.redis_url:
            self._redis = redis.Redis.from_url(
                config.redis_url, socket_timeout=2.0, socket_connect_timeout=1.0
            )

    # -- queue --------------------------------------------------------------

    def enqueue(self, key, device_code, receipt_dict, after_key=None):
        """Validate and queue a receipt under the caller's key.

        Returns True if queued now, False if this exact entry was already there.
        Refuses with a FiscalError, writing nothing, whatever the device's backend
        would refuse: the drain then only meets what the register itself decides.
        """
        _check_key(key, "An idempotency key")
        if after_key is not None:
            _check_key(after_key, "The key referred to (after_key)")
        if not isinstance(device_code, str):
            raise FiscalError("The device must be given by its code, a text")
        backend = self._backend(device_code)
        receipt = Receipt.from_dict(receipt_dict, now=self.outbox.clock.time())
        backend.check(receipt)
        body = receipt.to_dict()
        return self.outbox.enqueue(key, device_code, body["operation"], body, after_key)

    def drain(self, max_seconds=50, on_result=None, devices=None, processes=1, *,
              idle_seconds=0.0, on_tick=None):
        """Send what is due for at most `max_seconds`; on_result(key, state, result, error).

        With `idle_seconds`, the drain also sends what `on_tick()` (called from this
        thread every few hundredths of a second; it returns how many documents it
        queued) queues while it runs, and ends after `idle_seconds` without work.

        processes > 1 splits the devices among that many drainer processes (a store
        with many registers: one process is bound to one core by the GIL); each is a
        normal drainer with its own device locks and atomic claims.
        """
        codes = list(devices or self.devices)
        for code in codes:
            self._device(code)
        if processes > 1 and (idle_seconds or on_tick):
            raise ValueError("A drain in processes does not wait for new documents")
        if processes > 1 and len(codes) > 1:
            return self._drain_in_processes(codes, min(processes, len(codes)), max_seconds,
                                            on_result)
        redis_client = self._reachable_redis()
        breakers = self._breakers_for(codes, redis_client)
        # Beside the file itself, whichever path led to it: every path shares one lock.
        locks = LockManager(os.path.realpath(self.outbox.path) + ".locks", redis_client,
                            self.config.redis_prefix, self.config.lock_expire)
        backends = {code: self._backend(code) for code in codes}
        settings = {code: config_fingerprint(self.devices[code]) for code in codes}
        drain = Drain(self.config, self.outbox, backends, breakers, locks,
                      devices={code: self.devices[code] for code in codes}, settings=settings,
                      max_seconds=max_seconds, idle_seconds=idle_seconds)
        report = drain.run(on_result, on_tick)
        report["redis"] = redis_client is not None
        return report

    def _drain_in_processes(self, codes, processes, max_seconds, on_result):
        started = time.monotonic()
        config = dataclasses.asdict(self.config)
        workers = []
        for first in range(processes):
            job = {"config": config, "max_seconds": max_seconds,
                   "devices": [dataclasses.asdict(self.devices[code])
                               for code in codes[first::processes]]}
            # The report goes to a file: a pipe could fill up while no one reads it.
            output = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
            worker = subprocess.Popen(  # noqa: S603 - our own module, no shell
                [sys.executable, "-m", "fiscal_connector.worker"],
                stdin=subprocess.PIPE, stdout=output, text=True)
            worker.stdin.write(json.dumps(job))
            worker.stdin.close()
            workers.append((worker, output, job["devices"]))
        notified = 0
        while any(worker.poll() is None for worker, _, _ in workers):
            if on_result is not None:
                notified += notify(self.outbox, on_result)
            time.sleep(NOTIFY_EVERY)
        report = {"done": 0, "dead": 0, "unknown": 0, "retry_wait": 0, "devices": {},
                  "redis": False, "pids": []}
        for worker, output, devices in workers:
            with output:
                output.seek(0)
                text = output.read()
            if worker.wait() != 0:
                _logger.error("Drainer process %s ended with code %s", worker.pid,
                              worker.returncode)
                failed = {"done": 0, "dead": 0, "unknown": 0, "retry_wait": 0, "lock": None,
                          "breaker": "unknown", "skipped": "its drainer process failed"}
                report["devices"].update({device["code"]: failed for device in devices})
                continue
            part = json.loads(text)
            for name in ("done", "dead", "unknown", "retry_wait"):
                report[name] += part[name]
            report["devices"].update(part["devices"])
            report["redis"] = report["redis"] or part["redis"]
            report["pids"].append(part["pid"])
        if on_result is not None:
            notified += notify(self.outbox, on_result)
        report.update(notified=notified, seconds=round(time.monotonic() - started, 3),
                      processes=processes)
        return report

    def _breakers_for(self, codes, redis_client):
        """Each device's breaker: shared through Redis when it answers, else through the
        outbox file."""
        return {code: self._breaker(code, redis_client) for code in codes}

    def _breaker(self, code, redis_client):
        kind = "redis" if redis_client is not None else "file"
        if (code, kind) not in self._breakers:
            try:
                self._breakers[code, kind] = make_breaker(
                    code, self.config.breaker_fail_max, self.config.breaker_reset_timeout,
                    self.outbox, redis_client=redis_client, prefix=self.config.redis_prefix,
                )
            except redis.RedisError as error:  # Redis went away since it last answered
                _logger.warning("Redis unreachable for the breaker of %s (%s): the breaker's "
                                "state is kept in the outbox file", code, error)
                return self._breaker(code, None)
        return self._breakers[code, kind]

    def _reachable_redis(self):
        if self._redis is None:
            return None
        try:
            self._redis.ping()
        except redis.RedisError as error:
            _logger.warning(
                "Redis at %s unreachable (%s): draining with local file locks and in-process "
                "circuit breakers, safe on this host only", self._redis_address(), error,
            )
            return None
        return self._redis

    def _redis_address(self):
        kwargs = self._redis.connection_pool.connection_kwargs
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"

    # -- inspection ---------------------------------------------------------

    def status(self):
        result = self.outbox.status(self.devices)
        breakers = self._breakers_for(list(result), self._reachable_redis())
        for code, info in result.items():
            info["breaker"] = breakers[code].current_state
            opened = opened_at(breakers[code]) if info["breaker"] != "closed" else None
            info["breaker_opened_at"] = opened.timestamp() if opened else None
        return result

    def counters(self):
        """Per device: attempts by result and backend latency (see Outbox.counters)."""
        return self.outbox.counters()

    def check_integrity(self, full=False):
        """Check the outbox file now (an admin's request; opening checks once per process)."""
        self.outbox.check_integrity(full)

    def entry(self, key):
        return self.outbox.entry(key)

    def dead_letters(self, device_code=None):
        return self.outbox.dead_letters(device_code)

    def retry_dead(self, key):
        self.outbox.retry_dead(key)

    def reissue(self, key):
        """Register a dead letter after all: ask the backend about the key it was last sent
        under; adopt the document that key holds; or, the backend having refused it (the key
        is spent, with no document), queue the entry again under its successor key; or, the
        backend never having seen it, under the same key.

        Returns {"adopted": bool, "spent_key" (None when the key was not spent), "send_key"
        (None when adopted), "result"}; raises FiscalError while the answer proves nothing
        (the backend unreachable, still processing, or past remembering the key).
        """
        entry = self.outbox.entry(key)
        if entry is None:
            raise OutboxError(f"No outbox entry with key {quoted(key)}")
        if entry["state"] != DEAD:
            raise OutboxError(f"Entry {quoted(key)} is {entry['state']}, not a dead letter")
        after = entry["after_key"] and self.outbox.entry(entry["after_key"])
        if after and after["state"] != "done":
            raise OutboxError(f"Entry {quoted(key)} refers to {quoted(entry['after_key'])}, "
                              f"which is {after['state']}: register that one first")
        backend = self._backend(entry["device"])
        spent = send_key(entry)
        operation, body = as_correction(entry["body"], entry["late_correction"])
        if entry["backend_ref"]:
            backend.recall(spent, entry["backend_ref"])
        try:
            # Without a reference, ATOL Online is asked by sending the identical body again.
            outcome = backend.query(spent, operation, None if entry["backend_ref"] else body)
        except BackendConfigError:
            raise
        except PermanentBackendError as error:  # the body is refused: nothing registered
            outcome = Outcome(FAILED, error=str(error))
        if outcome.state == DONE:
            result = dataclasses.replace(outcome.result, operation=operation).to_dict()
            self.outbox.adopt(key, result)
            _logger.info("Dead letter %s: key %s holds document %s, adopted", key, spent,
                         outcome.result.fd_number)
            return {"adopted": True, "spent_key": spent, "send_key": None, "result": result}
        # A key sent long ago may be forgotten by the backend; one never sent proves itself.
        forgotten = entry["submitted"] and (
            self.outbox.clock.time() - entry["updated_at"] > backend.memory_days * 86400)
        if outcome.state == PENDING or (outcome.state == NOT_FOUND and forgotten):
            raise FiscalError(
                f"Key {quoted(spent)}: the backend "
                + ("still processes it" if outcome.state == PENDING else
                   f"forgets keys after {backend.memory_days} days, so its 'not found' proves "
                   "nothing")
                + "; no successor was issued")
        if outcome.state == NOT_FOUND:  # never seen there: the key is not spent, send it again
            self.outbox.retry_dead(key)
            _logger.info("Dead letter %s: the backend never saw key %s; queued again under it",
                         key, spent)
            return {"adopted": False, "spent_key": None, "send_key": spent, "result": None}
        crashpoint("reissue:before_record")
        reason = outcome.error or "the backend refused it"
        if not self.outbox.reissue_dead(key, spent, reason):
            raise OutboxError(f"Entry {quoted(key)} changed meanwhile: look at it again")
        crashpoint("reissue:after_record")
        successor = send_key(self.outbox.entry(key))
        _logger.info("Dead letter %s: key %s holds no document; queued again as %s", key,
                     spent, successor)
        return {"adopted": False, "spent_key": spent, "send_key": successor, "result": None}

    def purge(self, retention_days=None):
        days = self.config.retention_days if retention_days is None else retention_days
        return self.outbox.purge(days)

    # -- the register itself ------------------------------------------------

    def test_connection(self, device_code):
        """Ask the backend with the device's settings; on success a device paused for its
        settings resumes."""
        answer = self._backend(device_code).ping()
        self.resume(device_code)
        return answer

    def resume(self, device_code):
        """Let a device paused for its settings send again (its settings were checked)."""
        if self.outbox.device_info(device_code).get("paused_reason"):
            self.outbox.resume(device_code)
            _logger.info("Device %s resumed", device_code)

    def run_task(self, device_code, task, params=None):
        result = self._backend(device_code).run_task(task, params)
        told, opened = shift_opening(task, result, self.outbox.clock.time())
        if told:
            self.outbox.note_shift(device_code, opened)
        return result

    def close(self):
        for backend in self._backends.values():
            backend.close()
        self._backends.clear()
        self.outbox.close()
        if self._redis is not None:
            self._redis.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _device(self, code):
        try:
            return self.devices[code]
        except (KeyError, TypeError):
            raise FiscalError(
                f"Unknown device {quoted(code)}; configured: "
                f"{', '.join(sorted(self.devices)) or 'none'}"
            ) from None

    def _backend(self, code):
        if code not in self._backends:
            device = self._device(code)
            self._backends[code] = BACKENDS[device.backend].from_config(device)
        return self._backends[code]


def shift_opening(task, result, now):
    """What a register task's answer tells of the register's shift: (True, the epoch
    seconds it opened at, None once closed), or (False, None) when it tells nothing."""
    if task in SHIFT_TASKS:
        if not SHIFT_TASKS[task]:
            return True, None
        # By the register's clock: the time of its shift-open report.
        moment = ((result or {}).get("fiscalParams") or {}).get("fiscalDocumentDateTime")
        return True, datetime.datetime.fromisoformat(moment).timestamp() if moment else now
    if task == "getShiftStatus":
        return True, shift_opened_at((result or {}).get("shiftStatus") or {})
    return False, None


def with_backend(device, call):
    """call(backend) on a backend of `device` (a DeviceConfig) made for it and closed after:
    a connection test or a register task from a host without the outbox."""
    backend = BACKENDS[device.backend].from_config(device)
    try:
        return call(backend)
    finally:
        backend.close()


def open_connector(config, devices, *, clock=SYSTEM_CLOCK, create=True):
    """Open the outbox (integrity check once per process, migrations) and return a
    Connector. `create`: make the outbox (and its folder) if missing; False refuses."""
    if create:
        folder = os.path.dirname(os.path.abspath(config.outbox_path))
        os.makedirs(folder, exist_ok=True)
    return Connector(config, list(devices), clock=clock, create=create)
