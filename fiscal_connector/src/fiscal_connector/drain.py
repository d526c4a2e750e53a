"""The drain: send queued documents, each device in order, devices in parallel.

One thread per device (up to a limit) takes the device's lock, then repeats:
claim the oldest unfinished entry (atomic in SQLite), settle it with the
backend under its key, record the outcome under the claim token. An entry
that may have reached the backend is first asked about (query), never sent
blindly again; the backend's dedup by key is the last guard. Results reach
the caller's callback from the calling thread, at least once: an entry is
marked notified only after its callback returned.

Only the backend's word that a document is wrong makes it a dead letter. A
backend that does not answer, however long, leaves the entry at the head of
its device's queue with a capped backoff; a backend that refuses the device's
settings pauses the device until they change.

A drain with `idle_seconds` stays for documents queued while it runs: the caller's
`on_tick`, called from the calling thread between callback passes, queues them,
and the device threads that ran out of work take them up at once. It ends once
nothing was queued, sent or reported for `idle_seconds`.
"""

import bisect
import concurrent.futures
import dataclasses
import json
import logging
import random
import threading

import pybreaker

from .backends.base import DONE, FAILED, NOT_FOUND, PENDING
from .breaker import seconds_until_trial
from .errors import (
    BackendConfigError,
    OutboxError,
    PermanentBackendError,
    TransientBackendError,
    error_kind,
)
from .locks import forget_owner, owner_id
from .outbox import DEAD, RETRY_WAIT, UNKNOWN, crashpoint, send_key
from .receipt import as_correction, late_basis

_logger = logging.getLogger(__name__)

NOTIFY_EVERY = 0.02  # seconds between callback passes (and ticks) while devices drain


def backoff_delay(attempts, base, cap):
    """Capped exponential backoff with equal jitter: between half and all of the step."""
    # The exponent stops growing long past any cap: a shift-long outage counts thousands
    # of failures, and 2 ** thousands does not fit a float.
    step = min(cap, base * 2.0 ** min(max(attempts - 1, 0), 64))
    return step / 2 + random.uniform(0, step / 2)


class _DeviceRun:
    """Drains one device during one drain call (runs in its own thread)."""

    def __init__(self, drain, code):
        self.drain = drain
        self.code = code
        self.backend = drain.backends[code]
        self.breaker = drain.breakers[code]
        self.counts = {"done": 0, "dead": 0, "unknown": 0, "retry_wait": 0, "lost_claims": 0,
                       "successors": 0}
        self.skipped = None

    def run(self):
        if self._paused():
            return self.report(None)
        lock = self.drain.locks.acquire(self.code)
        if lock is None:
            self.skipped = "locked by another drainer"
            return self.report(None)
        try:
            self._loop(lock)
        except OutboxError as error:  # e.g. disk full while recording: rows resume next drain
            _logger.error("Drain of device %s stopped: %s", self.code, error)
            self.skipped = str(error)
        finally:
            lock.release()
            self.drain.outbox.release_connection()  # pool threads end with the drain
        return self.report(lock.mode)

    def _paused(self):
        """True while the device is paused for settings it still has."""
        info = self.drain.outbox.device_info(self.code)
        if not info.get("paused_reason"):
            return False
        if info["paused_settings"] == self.drain.settings[self.code]:
            self.skipped = f"paused: {info['paused_reason']}"
            return True
        _logger.info("Device %s: its settings changed since it was paused; resuming", self.code)
        self.drain.outbox.resume(self.code)
        return False

    def report(self, lock_mode):
        return {**self.counts, "skipped": self.skipped, "lock": lock_mode,
                "breaker": self.breaker.current_state}

    def _loop(self, lock):
        config, outbox, clock = self.drain.config, self.drain.outbox, self.drain.clock
        while not self.drain.stop.is_set() and clock.monotonic() < self.drain.deadline:
            if lock.lost:
                self.skipped = "lost the Redis lock"
                return
            closed_for = seconds_until_trial(self.breaker)
            if closed_for:
                if clock.monotonic() + closed_for >= self.drain.deadline:
                    self.skipped = "circuit breaker open"
                    return
                clock.wait(self.drain.stop, closed_for)  # then a trial call (half-open)
                continue
            woken_by = self.drain.wake  # taken before the claim: no arrival slips past
            status, row = outbox.claim_head(self.code, self.drain.token, config.poll_interval,
                                            self.drain.devices[self.code].send_window)
            if status == "busy":
                self.skipped = f"entry {row['key']} is being sent by another drainer"
                return
            if status == "empty":
                if self.drain.wait_for_arrivals():
                    continue
                return
            if status == "wait":
                delay = row["next_attempt_at"] - clock.time()
                if clock.monotonic() + delay >= self.drain.deadline:
                    return
                clock.wait(woken_by, max(delay, 0))  # a new arrival may be due at once
                continue
            if status == "dead":
                self.counts["dead"] += 1
                continue
            if not self._attempt(row):
                return

    def _call(self, method, *args):
        return self.breaker.call(method, *args)

    def _settle(self, row):
        """Ask or send until the backend gives a final answer or the poll budget ends;
        (outcome, the operation sent)."""
        key, body = send_key(row), json.loads(row["body"])
        basis = json.loads(row["late_correction"] or "null")
        operation, sent = as_correction(body, basis)
        outcome = None
        if row["submitted"]:
            outcome = self._call(self.backend.query, key, operation, sent)
            if outcome.state == NOT_FOUND:
                outcome = None
        if outcome is None:
            if basis is None:  # nothing registered under this key yet: it may go out late
                basis = self._late_basis(row, body)
                operation, sent = as_correction(body, basis)
            crashpoint("drain:before_submit")
            outcome = self._call(self.backend.submit, key, operation, sent)
        crashpoint("drain:after_submit")
        clock = self.drain.clock
        poll_until = clock.monotonic() + self.drain.config.poll_budget
        delay = 0.05
        while outcome.state == PENDING and clock.monotonic() + delay < min(
            poll_until, self.drain.deadline
        ):
            clock.sleep(delay)
            delay = min(delay * 2, self.drain.config.poll_interval)
            outcome = self._call(self.backend.query, key, operation)
            if outcome.state == NOT_FOUND:  # this process lost track: ask with the body
                outcome = self._call(self.backend.query, key, operation, sent)
        return outcome, operation

    def _late_basis(self, row, body):
        """The correction basis of a receipt sent after its settlement day, recorded
        before it is sent so that every resend carries the same document."""
        device = self.drain.devices[self.code]
        if device.correction_after_hours is None:
            return None
        basis = late_basis(body, self.drain.clock.time(), device.zone,
                           device.correction_after_hours)
        if basis:
            self.drain.outbox.mark_late(row["id"], self.drain.token, basis)
            _logger.info("Entry %s goes out late: as a correction receipt of %s", row["key"],
                         basis["base_date"])
        return basis

    def _renew_shift(self):
        """The register refuses receipts for its shift: close it and open a new one."""
        try:
            opened = self._call(self.backend.renew_shift)
        except BackendConfigError:
            raise
        except PermanentBackendError as error:  # not the receipt's fault: the device waits
            raise TransientBackendError(f"Renewing the register's shift failed: {error}") from None
        self.drain.outbox.note_shift(self.code, opened or self.drain.clock.time(), renewed=True)
        _logger.warning("Device %s: the register refused a receipt for its shift; the shift "
                        "was closed and a new one opened", self.code)

    def _spend_key(self, row, outcome):
        """Send a receipt refused for the shift again, now, under its successor key: the
        refusal is the backend's word that its key holds no document."""
        crashpoint("drain:before_spend_key")
        if not self.drain.outbox.spend_key(row["id"], self.drain.token, send_key(row),
                                           outcome.error):
            _logger.warning("Entry %s was taken over by another drainer", row["key"])
            self.counts["lost_claims"] += 1
            return False
        self.counts["successors"] += 1
        return True

    def _attempt(self, row):
        """Settle one claimed entry; False when this device must stop for now."""
        outbox, config, clock = self.drain.outbox, self.drain.config, self.drain.clock
        started = clock.monotonic()
        try:
            outcome, operation = self._settle(row)
            if self.backend.refused_for_shift(outcome):
                self._renew_shift()
        except pybreaker.CircuitBreakerError:
            # The breaker refused before any call: the entry goes back as it was.
            outbox.unclaim(row["id"], self.drain.token, row["state"], row["submitted"])
            return True  # the loop waits for the breaker's trial time or stops
        except BackendConfigError as error:
            # Not the receipt's fault: it goes back as it was and the device waits for
            # its settings to change (or for a successful connection test).
            outbox.unclaim(row["id"], self.drain.token, row["state"], row["submitted"])
            outbox.pause(self.code, str(error), self.drain.settings[self.code],
                         kind=error_kind(error.kind, error.code))
            _logger.warning("Device %s paused: %s", self.code, error)
            self.skipped = f"paused: {error}"
            return False
        except PermanentBackendError as error:
            return self._record(row, DEAD, started, last_error=str(error),
                                last_error_kind=error_kind(error.kind, error.code))
        except Exception as error:  # noqa: BLE001 - any failure mid-call leaves the outcome unknown
            if not isinstance(error, TransientBackendError):
                _logger.exception("Unexpected error while sending %s", row["key"])
            # However long the backend stays away, the entry waits in its queue.
            # The pace follows the device's run of failures, not this entry's: one whose
            # answers were lost while others went through is asked again at the floor.
            failures = max(self.breaker.fail_counter, 1)
            wait = max(backoff_delay(failures, config.backoff_base, config.backoff_cap),
                       self.backend.retry_floor)
            return self._record(row, UNKNOWN, started, answered=False, last_error=str(error),
                                last_error_kind="unreachable", next_attempt_at=clock.time() + wait)
        if self.backend.refused_for_shift(outcome):
            return self._spend_key(row, outcome)
        fields = {"backend_ref": outcome.ref} if outcome.ref else {}
        if outcome.state == DONE:
            result = dataclasses.replace(outcome.result, operation=operation)
            return self._record(row, DONE, started, result=result.to_dict(), last_error=None,
                                last_error_kind=None, **fields)
        if outcome.state == FAILED:
            return self._record(row, DEAD, started, last_error=outcome.error,
                                last_error_kind=error_kind("refused", outcome.code), **fields)
        # Accepted but not finished (or lost track): ask again later, not a failed attempt.
        return self._record(
            row, RETRY_WAIT, started, attempts=row["attempts"],
            next_attempt_at=clock.time() + config.poll_interval,
            last_error=f"backend says {outcome.state}: asking again",
            last_error_kind="processing", **fields,
        )

    def _record(self, row, state, started, answered=True, **fields):
        seconds = self.drain.clock.monotonic() - started
        buckets = self.drain.config.latency_buckets
        index = bisect.bisect_left(buckets, seconds)
        bucket = buckets[index] if index < len(buckets) else float("inf")
        if not self.drain.outbox.finish(row["id"], self.drain.token, state,
                                        attempt=(seconds, bucket, answered), **fields):
            # Another drainer recovered this row meanwhile: it owns the device now.
            _logger.warning("Entry %s was taken over by another drainer", row["key"])
            self.counts["lost_claims"] += 1
            return False
        crashpoint("drain:after_record")
        self.counts[state] = self.counts.get(state, 0) + 1
        return True


class Drain:
    """One bounded drain over the configured devices."""

    def __init__(self, config, outbox, backends, breakers, locks, *, devices, settings,  # noqa: PLR0913
                 max_seconds, idle_seconds=0.0):
        """`devices`: each device's DeviceConfig. `settings`: each device's
        config_fingerprint(), to tell whether a paused device's settings changed.
        `idle_seconds`: how long to stay for new documents."""
        self.config = config
        self.devices = devices
        self.outbox = outbox
        self.clock = outbox.clock
        self.backends = backends
        self.breakers = breakers
        self.locks = locks
        self.settings = settings
        self.deadline = self.clock.monotonic() + max_seconds
        self.stop = threading.Event()
        self.token = owner_id()  # names this process: a claim of a dead drainer is recoverable
        self.idle_seconds = idle_seconds
        self.arrivals = threading.Condition()
        self.arrival_count = 0  # bumped by the calling thread when on_tick queued something
        self.wake = threading.Event()  # set (and replaced) on each arrival and at the end
        self.waiting = 0  # device threads out of work, waiting for arrivals

    def wait_for_arrivals(self):
        """Called by a device thread whose queue is empty: True when something new was
        queued (look again), False when the drain ends."""
        if self.idle_seconds <= 0:
            return False
        with self.arrivals:
            seen = self.arrival_count
            self.waiting += 1
            try:
                while self.arrival_count == seen and not self.stop.is_set():
                    self.arrivals.wait()
            finally:
                self.waiting -= 1
            return not self.stop.is_set()

    def _arrived(self):
        with self.arrivals:
            self.arrival_count += 1
            self.arrivals.notify_all()
            self.wake.set()
            self.wake = threading.Event()

    def _end(self):
        with self.arrivals:
            self.stop.set()
            self.arrivals.notify_all()
            self.wake.set()

    def run(self, on_result=None, on_tick=None):
        """`on_tick()`: queues what came meanwhile, returns how many it queued."""
        started = self.clock.monotonic()
        codes = list(self.backends)
        workers = self.config.drain_workers or min(len(codes), 64) or 1
        try:
            devices, notified = self._run_devices(codes, workers, on_result, on_tick)
        finally:
            forget_owner(self.token)
        totals = {name: sum(report[name] for report in devices.values())
                  for name in ("done", "dead", "unknown", "retry_wait")}
        seconds = round(self.clock.monotonic() - started, 3)
        return {**totals, "notified": notified, "seconds": seconds, "devices": devices}

    def _run_devices(self, codes, workers, on_result, on_tick):
        notified = 0
        devices = {}
        with concurrent.futures.ThreadPoolExecutor(workers, "fiscal-drain") as pool:
            futures = {pool.submit(_DeviceRun(self, code).run): code for code in codes}
            try:
                pending = set(futures)
                active_at = self.clock.monotonic()
                while pending:
                    finished, pending = concurrent.futures.wait(pending, timeout=NOTIFY_EVERY)
                    for future in finished:
                        devices[futures[future]] = future.result()
                    reported = notify(self.outbox, on_result) if on_result is not None else 0
                    notified += reported
                    if on_tick is not None and on_tick():
                        self._arrived()
                        reported += 1
                    now = self.clock.monotonic()
                    if reported or self.waiting < len(pending):
                        active_at = now
                    elif now - active_at >= self.idle_seconds or now >= self.deadline:
                        self._end()  # every thread left waits for arrivals: none will come
            finally:
                self._end()
        if on_result is not None:
            notified += notify(self.outbox, on_result)
        return devices, notified


def notify(outbox, on_result):
    """Hand final states (done, dead) to the caller; mark each only after it returned."""
    count = 0
    while True:
        rows = outbox.unnotified()
        if not rows:
            return count
        for row in rows:
            error = row["last_error"] if row["state"] == DEAD else None
            try:
                on_result(row["key"], row["state"], row["result"], error)
            except Exception:  # noqa: BLE001 - the caller's bug must not stop the drain
                _logger.exception("on_result failed for %s; it is offered again next drain",
                                  row["key"])
                return count
            crashpoint("drain:after_callback")
            outbox.mark_notified(row["id"], row["state"])
            count += 1
